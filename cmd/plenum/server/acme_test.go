package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
)

// testDomain is the name the test CA certifies. It has two labels, as
// a public CA requires, and resolves to 127.0.0.1 only through the
// test's own DNS server.
const testDomain = "meet.plenum.test"

// pebble is Let's Encrypt's test CA, run in-process on loopback, with
// real challenge validation against the server under test.
type pebble struct {
	directory string         // ACME directory URL
	client    *http.Client   // trusts the CA's HTTPS certificate
	roots     *x509.CertPool // the CA's root, which issued certificates chain to
	log       *syncBuffer
}

// startPebble starts a CA whose validation authority connects to the
// test domain on httpPort (http-01) and tlsPort (tls-alpn-01) of
// 127.0.0.1.
func startPebble(t *testing.T, httpPort, tlsPort int) *pebble {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // validate at once, not after up to 5 s
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no deliberately refused nonces
	t.Setenv("PEBBLE_AUTHZREUSE", "0")      // every order validates afresh
	t.Setenv("PEBBLE_VA_ALWAYS_VALID", "0") // real validation, never skipped
	p := &pebble{log: &syncBuffer{}}
	logger := log.New(p.log, "pebble ", log.Lmicroseconds)

	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpPort, tlsPort, false, startDNS(t), store)
	frontEnd := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	ts := httptest.NewTLSServer(frontEnd.Handler())
	t.Cleanup(ts.Close)

	p.directory = ts.URL + wfe.DirectoryPath
	p.client = ts.Client()
	p.roots = x509.NewCertPool()
	p.roots.AddCert(authority.GetRootCert(0).Cert)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Pebble's log:\n%s", p.log.String())
		}
	})
	return p
}

// startDNS answers A queries for every name with 127.0.0.1 (and AAAA
// with nothing), over TCP as Pebble asks. It returns its address.
func startDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, question := range q.Question {
			if question.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return ln.Addr().String()
}

// freePort is a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// browser is an HTTPS client that trusts roots and finds the test
// domain on 127.0.0.1, as a browser would after a DNS lookup.
func browser(roots *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 90 * time.Second, // the first handshake waits for the certificate
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, port, _ := net.SplitHostPort(addr)
				return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
			},
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// acmeServer starts a Plenum that gets its certificate for testDomain
// from the CA, with its data in dataDir.
func acmeServer(t *testing.T, p *pebble, dataDir string, httpsPort, redirectPort int) (*server.Server, func() error) {
	t.Helper()
	acme, err := server.NewACME(server.ACMEConfig{
		Domain:       testDomain,
		DirectoryURL: p.directory,
		Email:        "admin@plenum.test",
		Dir:          server.CertificateDir(dataDir),
		HTTPClient:   p.client,
	})
	if err != nil {
		t.Fatal(err)
	}
	return startWith(t, func(c *server.Config) {
		c.Listen = "127.0.0.1:" + strconv.Itoa(httpsPort)
		c.HTTPRedirectListen = "127.0.0.1:" + strconv.Itoa(redirectPort)
		c.ACME = acme
		c.TURN.Server.TLSConfig = acme.TURNTLSConfig()
	})
}

func TestCertificateFromACMEServesTheMeetingPageOverHTTPS(t *testing.T) {
	for _, challenge := range []string{"http-01", "tls-alpn-01"} {
		t.Run(challenge, func(t *testing.T) {
			httpsPort, redirectPort, closed := freePort(t), freePort(t), freePort(t)
			// The CA validates on one port only; the other is closed, so
			// that success proves this challenge type works end to end.
			vaHTTP, vaTLS := redirectPort, closed
			if challenge == "tls-alpn-01" {
				vaHTTP, vaTLS = closed, httpsPort
			}
			p := startPebble(t, vaHTTP, vaTLS)
			dataDir := t.TempDir()
			srv, stop := acmeServer(t, p, dataDir, httpsPort, redirectPort)
			site := "https://" + net.JoinHostPort(testDomain, strconv.Itoa(httpsPort))
			b := browser(p.roots)

			start := time.Now()
			resp, err := b.Get(site + "/assembly")
			if err != nil {
				t.Fatalf("HTTPS with the CA's certificate: %v", err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("<html")) {
				t.Fatalf("meeting page: %s\n%s", resp.Status, page)
			}
			leaf := resp.TLS.PeerCertificates[0]
			t.Logf("certificate for %v from %s obtained and served in %v", leaf.DNSNames, leaf.Issuer.CommonName, time.Since(start).Round(time.Millisecond))

			waitUntil(t, 10*time.Second, "/readyz says ready once the certificate is there", func() bool {
				r, err := b.Get(site + "/readyz")
				if err != nil {
					return false
				}
				r.Body.Close()
				return r.StatusCode == http.StatusOK
			})

			// TURN over TLS has the same certificate, whatever name the
			// TURN client sends, or none.
			for _, sni := range []string{testDomain, ""} {
				conn, err := tls.Dial("tcp", srv.TURN().TLSAddr().String(), &tls.Config{
					RootCAs: p.roots, ServerName: sni, InsecureSkipVerify: sni == "", //nolint:gosec // compared below
				})
				if err != nil {
					t.Fatalf("TURN over TLS (SNI %q): %v", sni, err)
				}
				got := conn.ConnectionState().PeerCertificates[0]
				conn.Close()
				if !got.Equal(leaf) {
					t.Errorf("TURN over TLS (SNI %q) serves another certificate than HTTPS", sni)
				}
			}

			// Plain HTTP sends people to HTTPS.
			resp, err = b.Get("http://" + net.JoinHostPort(testDomain, strconv.Itoa(redirectPort)) + "/assembly?x=1")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if want := site + "/assembly?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
				t.Errorf("plain HTTP: %s to %q, want 301 to %q", resp.Status, resp.Header.Get("Location"), want)
			}

			// The account key and certificate are kept, readable by Plenum only.
			dir := server.CertificateDir(dataDir)
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("certificate directory: %v, mode %v, want 0700", err, fi.Mode().Perm())
			}
			if _, err := os.Stat(filepath.Join(dir, testDomain)); err != nil {
				t.Errorf("no certificate kept in %s: %v", dir, err)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			// Restarted with the CA gone, Plenum serves the certificate it kept.
			gone := &pebble{directory: "https://127.0.0.1:" + strconv.Itoa(closed) + "/dir", client: p.client, roots: p.roots}
			acmeServer(t, gone, dataDir, httpsPort, redirectPort)
			resp, err = b.Get(site + "/")
			if err != nil {
				t.Fatalf("after a restart without the CA: %v", err)
			}
			resp.Body.Close()
			if !resp.TLS.PeerCertificates[0].Equal(leaf) {
				t.Error("after a restart Plenum serves another certificate than the one it kept")
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
