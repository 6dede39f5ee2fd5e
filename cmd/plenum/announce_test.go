package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a server whose link works when the test says so.
type fakeServer struct{ ready chan struct{} }

func (f fakeServer) Ready() <-chan struct{} { return f.ready }
func (f fakeServer) URL() string            { return "https://meet.example.org/" }

// lockedBuffer is a strings.Builder safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTheLinkIsAnnouncedOnceItWorks: "Plenum is ready. Open https://…"
// was printed as the server started, before the certificate of
// --domain existed, and the admin who opened it met a TLS error. It
// comes when the server says its link works; meanwhile the certificate
// is said to be on its way.
func TestTheLinkIsAnnouncedOnceItWorks(t *testing.T) {
	srv := fakeServer{ready: make(chan struct{})}
	var out lockedBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		announce(context.Background(), &out, srv, "meet.example.org")
	}()
	waitFor(t, "the certificate is said to be on its way", func() bool {
		return strings.Contains(out.String(), "Obtaining the TLS certificate of meet.example.org")
	})
	if strings.Contains(out.String(), "Open") {
		t.Fatalf("the link is announced before it works:\n%s", out.String())
	}
	close(srv.ready)
	<-done
	if !strings.Contains(out.String(), "Plenum is ready. Open https://meet.example.org/ in your browser.") {
		t.Fatalf("not announced once ready:\n%s", out.String())
	}

	// A server stopped before its link works announces nothing.
	ctx, cancel := context.WithCancel(context.Background())
	var quiet lockedBuffer
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		announce(ctx, &quiet, fakeServer{ready: make(chan struct{})}, "")
	}()
	cancel()
	<-stopped
	if quiet.String() != "" {
		t.Errorf("a server stopped before it was ready: %q", quiet.String())
	}
}
