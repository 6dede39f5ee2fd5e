package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/plenum-meet/plenum/sfu/keyfile"
)

// LetsEncrypt is the ACME directory of Let's Encrypt's production CA,
// the default of --acme-ca.
const LetsEncrypt = autocert.DefaultACMEDirectory

// Retries of the certificate request made at start, when it fails (DNS
// not yet pointing here, port 80 or 443 closed): after 5 minutes, then
// twice as long each time up to hourly, which keeps inside Let's
// Encrypt's limit of 5 failed validations per name per hour (4 tries
// in the first hour). Between a failed try and the next, handshakes are
// refused (getCertificate): autocert would ask the CA again for each, a
// minute after its last failure, so every scanner's connection would.
const (
	acmeFirstRetry = 5 * time.Minute
	acmeMaxRetry   = time.Hour
)

// errCertificatePending refuses a handshake between failed tries for
// the first certificate.
var errCertificatePending = errors.New("the TLS certificate could not be obtained yet; retrying")

// ACMEConfig asks for a certificate from an ACME CA.
type ACMEConfig struct {
	// Domain is the name the certificate is for, e.g. meet.example.org.
	Domain string
	// DirectoryURL is the CA's ACME directory; empty means LetsEncrypt.
	DirectoryURL string
	// Email is the contact the CA writes to about expiring certificates.
	Email string
	// Dir keeps the account key and certificates; it is created 0700.
	Dir string
	// HTTPClient talks to the CA; nil means http.DefaultClient. Tests
	// set one that trusts their CA's HTTPS certificate.
	HTTPClient *http.Client
}

// ACME obtains and renews the certificate of one domain, answering the
// CA's challenges over HTTP (http-01, on the redirect listener) and TLS
// (tls-alpn-01, on the HTTPS listener). Certificates are renewed 30 days
// before they expire by autocert's timers.
type ACME struct {
	domain  string
	manager *autocert.Manager
	ready   atomic.Bool // the certificate has been obtained (or found in the cache)
	failing atomic.Bool // the last try for the first certificate failed
}

// NewACME prepares certificate management for cfg.Domain. Nothing is
// requested until the server starts.
func NewACME(cfg ACMEConfig) (*ACME, error) {
	domain := strings.ToLower(strings.TrimSuffix(cfg.Domain, "."))
	if err := checkDomain(domain); err != nil {
		return nil, err
	}
	if err := keyfile.MkdirAll(cfg.Dir); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	if err := os.Chmod(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	if err := checkReadable(cfg.Dir); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	dirURL := cfg.DirectoryURL
	if dirURL == "" {
		dirURL = LetsEncrypt
	}
	return &ACME{
		domain: domain,
		manager: &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      certCache{autocert.DirCache(cfg.Dir)},
			HostPolicy: autocert.HostWhitelist(domain),
			Email:      cfg.Email,
			Client:     &acme.Client{DirectoryURL: dirURL, HTTPClient: cfg.HTTPClient, UserAgent: "plenum"},
		},
	}, nil
}

// certCache is autocert's cache in a directory, whose files written as
// root go to the directory's owner, as the data directory's other
// secrets do (keyfile.Write): a certificate obtained or renewed while
// plenum serve ran once as root would otherwise be one the service's
// user cannot read, and it would ask the CA again at each start, into
// Let's Encrypt's limit of 5 certificates a week for one name.
type certCache struct{ autocert.DirCache }

// Put stores data under name, replacing what was there, unless ctx
// ends first.
func (c certCache) Put(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := string(c.DirCache)
	if err := keyfile.MkdirAll(dir); err != nil {
		return err
	}
	return keyfile.Write(filepath.Join(dir, filepath.Clean("/"+name)), data, true)
}

// checkDomain accepts a DNS name with at least two labels, as a public
// CA issues certificates for.
func checkDomain(d string) error {
	if d == "" || net.ParseIP(d) != nil || !strings.Contains(d, ".") || len(d) > 253 {
		return fmt.Errorf("%q is not a domain name such as meet.example.org", d)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a domain name such as meet.example.org", d)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q is not a domain name such as meet.example.org", d)
			}
		}
	}
	return nil
}

// Domain is the certificate's name.
func (a *ACME) Domain() string { return a.domain }

// getCertificate serves the domain's certificate whatever name the
// client asked for (an IP address, no name at all as some TURN clients
// do): the client checks it, and the CA is never asked for another name.
// tls-alpn-01 challenges keep their name, the domain's.
func (a *ACME) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if !strings.EqualFold(strings.TrimSuffix(hello.ServerName, "."), a.domain) {
		h := *hello
		h.ServerName = a.domain
		hello = &h
	}
	// The CA's validator gets the challenge's certificate, which says
	// nothing of whether the real one will come.
	challenge := slices.Equal(hello.SupportedProtos, []string{acme.ALPNProto})
	if !challenge && !a.ready.Load() && a.failing.Load() {
		return nil, errCertificatePending
	}
	return a.manager.GetCertificate(hello)
}

// fetch asks autocert for the domain's certificate, from its cache or
// the CA, as a modern browser's handshake would.
func (a *ACME) fetch() error {
	a.failing.Store(false)
	_, err := a.manager.GetCertificate(ecdsaHello(a.domain))
	if err == nil {
		a.ready.Store(true)
	}
	a.failing.Store(err != nil)
	return err
}

// tlsConfig is for the HTTPS listener: HTTP/1.1 (the WebSocket needs
// it) and the ACME TLS-ALPN challenge protocol.
func (a *ACME) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: a.getCertificate,
		NextProtos:     []string{"http/1.1", acme.ALPNProto},
	}
}

// TURNTLSConfig is for TURN over TLS: the same certificate, renewals
// included, since each handshake asks for the current one.
func (a *ACME) TURNTLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: a.getCertificate}
}

// httpHandler answers the CA's http-01 challenges and sends everything
// else to fallback. The CA asks on port 80, so its Host header has no
// port; one on another port (behind port forwarding, in tests) is
// dropped before autocert compares the name with the domain.
func (a *ACME) httpHandler(fallback http.Handler) http.Handler {
	h := a.manager.HTTPHandler(fallback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.Host); err == nil && strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			r = r.Clone(r.Context())
			r.Host = host
		}
		h.ServeHTTP(w, r)
	})
}

// Ready reports whether a certificate is at hand.
func (a *ACME) Ready() bool { return a.ready.Load() }

// obtain gets the certificate (from the data directory, or from the CA)
// and retries with a growing delay until it has one, and says so, or
// ctx ends. A request under way when ctx ends runs to autocert's own
// timeout.
func (a *ACME) obtain(ctx context.Context, log *slog.Logger) bool {
	delay := acmeFirstRetry
	for {
		start := time.Now()
		err := a.fetch()
		if err == nil {
			log.Info("TLS certificate ready", "domain", a.domain, "took", time.Since(start).Round(time.Millisecond))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Error("could not obtain a TLS certificate: check that the domain points at this server, that ports 80 and 443 are reachable from the internet and that the CA (--acme-ca) answers",
			"domain", a.domain, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
		delay = min(2*delay, acmeMaxRetry)
	}
}

// CertificateDir is where --domain keeps its ACME account key and
// certificates under a data directory.
func CertificateDir(dataDir string) string { return filepath.Join(dataDir, "certificates") }

// ecdsaHello is the ClientHello of a modern client, for which autocert
// obtains the ECDSA certificate browsers will be served.
func ecdsaHello(name string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{
		ServerName:        name,
		CipherSuites:      []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		SignatureSchemes:  []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		SupportedCurves:   []tls.CurveID{tls.CurveP256},
		SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12},
	}
}

// checkReadable opens each file in dir: a certificate or account key
// this process cannot read (one stored by root before its files went to
// the directory's owner) would fail every handshake, and have plenum
// ask the CA again, into its weekly limit; better to stop at start and
// say which file.
func checkReadable(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		_ = f.Close()
	}
	return nil
}
