package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

func TestAClientThatNeverReadsIsLetGo(t *testing.T) {
	old := writeTimeout
	writeTimeout = 300 * time.Millisecond
	t.Cleanup(func() { writeTimeout = old })

	failed := make(chan error, 1)
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hs := s.httpServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 1024 { // 64 MB: more than any socket buffer holds
			if _, err := w.Write(chunk); err != nil {
				failed <- err
				return
			}
		}
		failed <- nil
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
	}}
	conn, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("64 MB written to a client that reads nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server still writes to a client that has read nothing for 10 s")
	}
}

// onlyAddr is a listener that has only an address.
type onlyAddr struct {
	net.Listener
	addr net.Addr
}

func (l onlyAddr) Addr() net.Addr { return l.addr }

func TestTheRedirectToHTTPSKeepsOnePairOfBracketsAroundAnIPv6Address(t *testing.T) {
	s := &Server{listener: onlyAddr{addr: &net.TCPAddr{IP: net.IPv6loopback, Port: 8443}}}
	h := s.redirectHandler()
	for _, host := range []string{"[2001:db8::1]", "[2001:db8::1]:80"} {
		r := httptest.NewRequest(http.MethodGet, "http://x/room?a=1", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got, want := w.Header().Get("Location"), "https://[2001:db8::1]:8443/room?a=1"; got != want {
			t.Errorf("Host %s: redirected to %q, want %q", host, got, want)
		}
	}
}

func TestTheACMEChallengesCertificateIsNotReadiness(t *testing.T) {
	const domain = "meet.example.org"
	dir := t.TempDir()
	a, err := NewACME(ACMEConfig{Domain: domain, Dir: dir, DirectoryURL: "https://127.0.0.1:1/dir"})
	if err != nil {
		t.Fatal(err)
	}
	// The challenge's certificate, where autocert keeps it while the CA
	// validates.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemData := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err := os.WriteFile(filepath.Join(dir, domain+"+token"), []byte(pemData), 0o600); err != nil {
		t.Fatal(err)
	}
	// The CA's validator asks with ALPN acme-tls/1.
	if _, err := a.getCertificate(&tls.ClientHelloInfo{ServerName: domain, SupportedProtos: []string{acme.ALPNProto}}); err != nil {
		t.Fatalf("the challenge's handshake: %v", err)
	}
	s := &Server{acme: a}
	s.serving.Store(true)
	if got := s.notReady(); !strings.Contains(got, "certificate") {
		t.Fatalf("/readyz says %q while the only certificate served is the ACME challenge's", got)
	}
}
