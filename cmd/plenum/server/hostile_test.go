package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
)

// TestSlowHeadersAreCutOff: slow-loris clients that send their request
// headers a byte at a time are hung up on after the header timeout,
// and meanwhile the page keeps loading for everyone else.
func TestSlowHeadersAreCutOff(t *testing.T) {
	srv := start(t)
	const loris = 20
	closed := make(chan time.Duration, loris)
	request := "GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + strings.Repeat("a", 200) + "\r\n\r\n"
	for range loris {
		conn, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		go func() {
			began := time.Now()
			// The reader sees the server hang up (EOF or a 408).
			go func() {
				_, _ = io.Copy(io.Discard, conn)
				closed <- time.Since(began)
			}()
			for i := 0; i < len(request); i++ {
				if _, err := conn.Write([]byte{request[i]}); err != nil {
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(srv.URL())
	if err != nil {
		t.Fatalf("the page did not load during the slow-loris attack: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page: %s", resp.Status)
	}
	deadline := time.After(40 * time.Second)
	for range loris {
		select {
		case d := <-closed:
			if d > 30*time.Second {
				t.Errorf("a slow client held its connection %v", d)
			}
		case <-deadline:
			t.Fatal("slow clients still connected after 40 s")
		}
	}
}

// TestPerAddressLimitUsesTheTrustedProxysAddress: behind a trusted
// proxy the limit counts the forwarded client address, so two clients
// behind the same proxy do not share it; without a trusted proxy a
// forged X-Forwarded-For changes nothing.
func TestPerAddressLimitUsesTheTrustedProxysAddress(t *testing.T) {
	dial := func(srv *server.Server, forwardedFor string) (*websocket.Conn, bool) {
		t.Helper()
		conn, _, err := websocket.DefaultDialer.Dial(wsURL(srv), http.Header{"X-Forwarded-For": {forwardedFor}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		_ = conn.WriteJSON(map[string]string{"type": "ping"})
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m struct{ Type, Code, Reason string }
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return conn, m.Type == "pong"
	}

	proxied, _ := startWith(t, func(c *server.Config) {
		c.MaxConnectionsPerIP = 2
		c.TrustedProxies = server.LoopbackPrefixes()
	})
	for i, tt := range []struct {
		client string
		ok     bool
	}{{"203.0.113.5", true}, {"203.0.113.5", true}, {"203.0.113.5", false}, {"203.0.113.6", true}} {
		if _, ok := dial(proxied, tt.client); ok != tt.ok {
			t.Errorf("behind a proxy, connection %d from %s accepted %v, want %v", i+1, tt.client, ok, tt.ok)
		}
	}

	direct, _ := startWith(t, func(c *server.Config) { c.MaxConnectionsPerIP = 2 })
	for i, tt := range []struct {
		client string
		ok     bool
	}{{"203.0.113.5", true}, {"203.0.113.6", true}, {"203.0.113.7", false}} {
		if _, ok := dial(direct, tt.client); ok != tt.ok {
			t.Errorf("without a proxy, connection %d (claiming %s) accepted %v, want %v", i+1, tt.client, ok, tt.ok)
		}
	}
}

// TestOriginSchemeFromTheTrustedProxy: a proxy that says the page was
// served over HTTPS admits https origins only; one that does not say
// leaves the hosts alone to decide.
func TestOriginSchemeFromTheTrustedProxy(t *testing.T) {
	srv, _ := startWith(t, func(c *server.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	try := func(origin, proto string) int {
		t.Helper()
		h := http.Header{"Origin": {origin}, "X-Forwarded-Host": {"meet.example.org"}}
		if proto != "" {
			h.Set("X-Forwarded-Proto", proto)
		}
		conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), h)
		if err == nil {
			_ = conn.Close()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	for _, tt := range []struct {
		origin, proto string
		want          int
	}{
		{"https://meet.example.org", "https", http.StatusSwitchingProtocols},
		{"http://meet.example.org", "https", http.StatusForbidden},
		{"https://meet.example.org", "", http.StatusSwitchingProtocols},
		{"https://evil.example.org", "https", http.StatusForbidden},
	} {
		if got := try(tt.origin, tt.proto); got != tt.want {
			t.Errorf("Origin %s with X-Forwarded-Proto %q: %d, want %d", tt.origin, tt.proto, got, tt.want)
		}
	}
}

// readStatus reads an HTTP status line from a raw connection.
func readStatus(conn net.Conn) (string, error) {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return bufio.NewReader(conn).ReadString('\n')
}

// TestHugeHeadersAreRefused: a request with more header bytes than the
// server accepts gets 431, and the server carries on.
func TestHugeHeadersAreRefused(t *testing.T) {
	srv := start(t)
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n")
	for range 200 {
		if _, err := io.WriteString(conn, "X-Junk: "+strings.Repeat("j", 1000)+"\r\n"); err != nil {
			break // the server has answered and hung up
		}
	}
	status, _ := readStatus(conn)
	if !strings.Contains(status, "431") {
		t.Fatalf("status %q, want 431", status)
	}
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
}

// TestHTTPConnectionsPerAddressAreLimited: a client that opens
// connections to the web server and never upgrades them holds no more
// than HTTPConnectionsPerSession for each signaling session its address
// may have; the one past it is closed at once, other addresses are not
// counted, and a place given back can be taken again.
func TestHTTPConnectionsPerAddressAreLimited(t *testing.T) {
	srv, _ := startWith(t, func(c *server.Config) { c.MaxConnectionsPerIP = 2 })
	limit := 2 * server.HTTPConnectionsPerSession
	dialFrom := func(ip string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		conn, err := d.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	// servesPage reports whether conn is answered, or was hung up on.
	servesPage := func(conn net.Conn) bool {
		t.Helper()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			return false
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	var held []net.Conn
	for range limit {
		held = append(held, dialFrom("127.0.0.2"))
	}
	if !servesPage(held[0]) {
		t.Fatal("a connection within the limit was not served")
	}
	over := dialFrom("127.0.0.2")
	_ = over.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection %d from one address still open (%v), want it closed at once", limit+1, err)
	}
	if !servesPage(dialFrom("127.0.0.3")) {
		t.Fatal("another address was refused")
	}
	_ = held[1].Close()
	waitUntil(t, 10*time.Second, "a place given back is taken again", func() bool {
		return servesPage(dialFrom("127.0.0.2"))
	})
}
