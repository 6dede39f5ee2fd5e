package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

func TestHandshakesBetweenTriesForTheFirstCertificateDoNotAskTheCA(t *testing.T) {
	var asked atomic.Int32
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		asked.Add(1)
		http.Error(w, "no such directory", http.StatusNotFound) // not retried
	}))
	defer ca.Close()
	a, err := NewACME(ACMEConfig{Domain: "meet.example.org", Dir: t.TempDir(), DirectoryURL: ca.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.fetch(); err == nil || asked.Load() == 0 {
		t.Fatalf("the start's request did not ask the CA (%v)", err)
	}
	asked.Store(0)
	// A scanner, or a browser, while the first request has failed.
	for _, name := range []string{"meet.example.org", "", "192.0.2.1"} {
		if _, err := a.getCertificate(&tls.ClientHelloInfo{ServerName: name}); !errors.Is(err, errCertificatePending) {
			t.Fatalf("a handshake for %q after a failed request: %v", name, err)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("handshakes asked the CA %d times; only the start's request and its retries may", n)
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
	cacheCertificate(t, dir, domain+"+token", domain, time.Hour)
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

// cacheCertificate writes a self-signed certificate for domain, valid
// for validity, into autocert's cache dir under name, as the CA's
// would be kept: key first, then the certificate.
func cacheCertificate(t *testing.T, dir, name, domain string, validity time.Duration) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(validity),
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
	if err := os.WriteFile(filepath.Join(dir, name), []byte(pemData), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
