package web

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// connectSrc is the connect-src directive of a page's policy.
func connectSrc(t *testing.T, csp string) string {
	t.Helper()
	for _, d := range strings.Split(csp, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "connect-src ") {
			return d
		}
	}
	t.Fatalf("no connect-src in %q", csp)
	return ""
}

// The page may connect to its own origin only: its WebSocket to the host
// the browser asked for, with the scheme of the page, never to any
// host (it was "ws: wss:").
func TestThePageMayConnectToItsOwnHostOnly(t *testing.T) {
	behindProxy := func(r *http.Request) string { return r.Header.Get("X-Test-Proto") } // as the server's trusted proxy tells it
	for _, c := range []struct {
		what, host string
		tls        bool
		scheme     func(*http.Request) string
		proto      string
		want       string
	}{
		{"plain HTTP", "localhost:8080", false, nil, "", "connect-src 'self' ws://localhost:8080"},
		{"HTTPS (--domain, --tls-cert)", "meet.example.org", true, nil, "", "connect-src 'self' wss://meet.example.org"},
		{"an address", "192.0.2.7:8080", false, nil, "", "connect-src 'self' ws://192.0.2.7:8080"},
		{"a proxy that says HTTPS", "meet.example.org", false, behindProxy, "https", "connect-src 'self' wss://meet.example.org"},
		{"a proxy that does not say", "meet.example.org", false, behindProxy, "", "connect-src 'self' ws://meet.example.org wss://meet.example.org"},
		{"an IPv6 address, which CSP cannot name", "[::1]:8080", false, nil, "", "connect-src 'self'"},
		{"a host that would add a directive", "a;script-src", false, nil, "", "connect-src 'self'"},
		{"a host with a quote", "a'b", false, nil, "", "connect-src 'self'"},
	} {
		req := httptest.NewRequest("GET", "/council", nil)
		req.Host = c.host
		if c.tls {
			req.TLS = &tls.ConnectionState{}
		}
		req.Header.Set("X-Test-Proto", c.proto)
		rec := httptest.NewRecorder()
		Handler(Options{Scheme: c.scheme}).ServeHTTP(rec, req)
		csp := rec.Result().Header.Get("Content-Security-Policy")
		if got := connectSrc(t, csp); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
		if !strings.Contains(csp, "script-src 'self'; style-src 'self'; connect-src") || strings.Count(csp, "script-src") != 1 {
			t.Errorf("%s: policy %q", c.what, csp)
		}
	}
}
