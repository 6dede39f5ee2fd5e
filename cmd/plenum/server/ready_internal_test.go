package server

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
)

// acmeOnLoopback starts a server on loopback whose certificate comes
// from a CA at caURL, kept in dir; it stops at the end of the test.
func acmeOnLoopback(t *testing.T, caURL, dir string) (*Server, *ACME) {
	t.Helper()
	a, err := NewACME(ACMEConfig{Domain: "meet.example.org", Dir: dir, DirectoryURL: caURL})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{
		Listen:  "127.0.0.1:0",
		Network: sfu.NetworkConfig{Interfaces: []string{"lo"}},
		ACME:    a,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s, a
}

// TestTheServerIsReadyWhenItsCertificateIsThere: plenum serve said
// "Plenum is ready. Open https://…" as it started, before the certificate
// existed. Ready, which it now waits for, stays open while the CA
// refuses, and closes once a certificate is at hand, when a browser's
// handshake succeeds.
func TestTheServerIsReadyWhenItsCertificateIsThere(t *testing.T) {
	ca := httptest.NewServer(http.NotFoundHandler()) // a CA that refuses
	defer ca.Close()

	t.Run("without a certificate", func(t *testing.T) {
		s, a := acmeOnLoopback(t, ca.URL, t.TempDir())
		deadline := time.Now().Add(30 * time.Second)
		for !a.failing.Load() {
			if time.Now().After(deadline) {
				t.Fatal("the first request for the certificate never failed")
			}
			time.Sleep(10 * time.Millisecond)
		}
		select {
		case <-s.Ready():
			t.Fatal("ready while the CA refused the certificate: the link would fail in a browser")
		default:
		}
		if _, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{ServerName: "meet.example.org", InsecureSkipVerify: true}); err == nil { //nolint:gosec // any certificate would do
			t.Fatal("a handshake succeeded without a certificate")
		}
	})

	t.Run("with one kept from before", func(t *testing.T) {
		dir := t.TempDir()
		kept := cacheCertificate(t, dir, "meet.example.org", "meet.example.org", 365*24*time.Hour)
		s, _ := acmeOnLoopback(t, ca.URL, dir)
		select {
		case <-s.Ready():
		case <-time.After(30 * time.Second):
			t.Fatal("not ready with a certificate at hand")
		}
		conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{ServerName: "meet.example.org", InsecureSkipVerify: true}) //nolint:gosec // compared below
		if err != nil {
			t.Fatalf("ready, but a handshake fails: %v", err)
		}
		defer conn.Close()
		if !conn.ConnectionState().PeerCertificates[0].Equal(kept) {
			t.Error("ready, but another certificate is served")
		}
	})
}
