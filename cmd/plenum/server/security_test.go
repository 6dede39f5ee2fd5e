package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web"
)

// wantConnectSrc checks that the page's policy csp lets it connect to
// want (its own origin) only.
func wantConnectSrc(t *testing.T, what, csp, want string) {
	t.Helper()
	for _, d := range strings.Split(csp, ";") {
		if src, ok := strings.CutPrefix(strings.TrimSpace(d), "connect-src "); ok {
			if src != want {
				t.Errorf("%s: connect-src %s, want %s", what, src, want)
			}
			return
		}
	}
	t.Errorf("%s: no connect-src in %q", what, csp)
}

// fetch GETs path without following redirects.
func fetch(t *testing.T, srv *server.Server, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.Get("http://" + srv.Addr().String() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	srv := start(t)
	paths := append([]string{"/", "/council", "/council/", "/_/nothing", "/a/b", "/healthz", "/readyz",
		server.MetricsPath, signaling.Path, "/_/static/no-such.js"}, web.AssetPaths()...)
	for _, p := range paths {
		resp, _ := fetch(t, srv, p)
		h := resp.Header
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s (%d): %s %q, want %q", p, resp.StatusCode, name, got, want)
			}
		}
		pp := h.Get("Permissions-Policy")
		for _, want := range []string{"camera=(self)", "microphone=(self)", "display-capture=(self)", "geolocation=()"} {
			if !strings.Contains(pp, want) {
				t.Errorf("%s: Permissions-Policy %q lacks %s", p, pp, want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
		if resp.StatusCode == http.StatusOK && strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			if !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("%s: page without a script policy: %q", p, csp)
			}
			wantConnectSrc(t, p, csp, "'self' ws://"+srv.Addr().String())
		}
	}
}

// TestRoomNamesAreNotEnumerable: a room in use and a room nobody uses
// look the same from outside, and nothing lists rooms.
func TestRoomNamesAreNotEnumerable(t *testing.T) {
	links, err := auth.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startWith(t, func(c *server.Config) { c.Access = server.Access{Links: links, RequireToken: true} })
	tok, err := links.Sign(auth.Claims{Room: "busy-room", Role: "participant", Name: "Ana", Expires: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ana, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: "busy-room", Name: "Ana", Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer ana.Close()

	busy, busyBody := fetch(t, srv, "/busy-room")
	idle, idleBody := fetch(t, srv, "/idle-room")
	if busy.StatusCode != idle.StatusCode || busyBody != idleBody {
		t.Errorf("the page of a room in use (%d) differs from an unused room's (%d)", busy.StatusCode, idle.StatusCode)
	}
	joinError := func(room string) string {
		conn, _, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": room, "name": "Eve"})
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m struct{ Type, Code, Reason string }
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m.Type + " " + m.Code + " " + strings.ReplaceAll(m.Reason, room, "ROOM")
	}
	if a, b := joinError("busy-room"), joinError("idle-room"); a != b {
		t.Errorf("joining a room in use without a link answers %q, an unused one %q", a, b)
	}
	for _, p := range []string{"/_/rooms", "/_/api/rooms", "/_/static/", "/_/"} {
		if resp, _ := fetch(t, srv, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestSecretsAreNeverLogged runs a server with debug logging through a
// call in which a signed link, a room password and TURN credentials are
// used, and a page is requested with a token in its URL: none of them
// may appear in the log.
func TestSecretsAreNeverLogged(t *testing.T) {
	var logs syncBuffer
	links, err := auth.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const turnSecret = "turn-secret-4f1d9c2a"
	srv, stop := startWith(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.TURN.Secret = []byte(turnSecret)
		c.Access = server.Access{Links: links}
	})
	tok, err := links.Sign(auth.Claims{Room: "council", Role: "moderator", Name: "Ana", Expires: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ana, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: "council", Name: "Ana", Token: tok, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ana.Close()
	const password = "open-sesame-77"
	if err := ana.Send(map[string]any{"type": "room-settings", "password": password}); err != nil {
		t.Fatal(err)
	}
	ben, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: "council", Name: "Ben", Password: password, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ben.Close()
	waitUntil(t, 15*time.Second, "Ana and Ben receive each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, ana.ID())
	})
	fetch(t, srv, "/council?token="+tok)
	// A wrong link and a wrong password are refused: the attempt is
	// logged, the secret is not.
	if c, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: "council", Name: "Eve", Token: tok + "x"}); err == nil {
		c.Close()
	}
	ana.Leave()
	ben.Leave()
	_ = stop()

	secrets := map[string]string{"TURN secret": turnSecret, "link token": tok, "token signature": tok[strings.LastIndexByte(tok, '.')+1:],
		"room password": password, "ICE password": "a=ice-pwd"}
	for _, s := range ana.ICEServers() {
		if cred, ok := s.Credential.(string); ok && cred != "" {
			secrets["TURN credential"] = cred
		}
	}
	out := logs.String()
	if !strings.Contains(out, "level=DEBUG") {
		t.Fatal("no debug lines logged: the test would prove nothing")
	}
	for what, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the %s appears in the log", what)
		}
	}
}

// getAs GETs url as a browser that reached it under host, with extra
// headers, and returns the status.
func getAs(t *testing.T, url, host string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestARebindingNameIsRefusedOnLoopback: a page of evil.example whose
// name now points at 127.0.0.1 is, for the browser, the same origin as
// the server on loopback; it may neither read the metrics served to
// this machine nor open a session.
func TestARebindingNameIsRefusedOnLoopback(t *testing.T) {
	srv, _ := startWith(t, func(c *server.Config) { c.TrustedProxies = server.LoopbackPrefixes() })
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	base := "http://" + srv.Addr().String()
	evil := net.JoinHostPort("evil.example", port)
	if got := getAs(t, base+server.MetricsPath, evil, nil); got != http.StatusMisdirectedRequest {
		t.Errorf("metrics asked for as %s: %d, want %d", evil, got, http.StatusMisdirectedRequest)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(wsURL(srv), http.Header{"Host": {evil}, "Origin": {"http://" + evil}})
	if err == nil {
		conn.Close()
		t.Errorf("a page of %s opened a signaling session", evil)
	} else if resp == nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a page of %s opening a session: %v, want %d", evil, err, http.StatusMisdirectedRequest)
	}

	// Loopback names, and a trusted proxy that forwards the public name,
	// are served as before.
	for _, host := range []string{"localhost:" + port, "app.localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "0.0.0.0:" + port} {
		if got := getAs(t, base+server.MetricsPath, host, nil); got != http.StatusOK {
			t.Errorf("metrics asked for as %s: %d", host, got)
		}
	}
	local := net.JoinHostPort("localhost", port)
	conn, _, err = d.Dial(wsURL(srv), http.Header{"Host": {local}, "Origin": {"http://" + local}})
	if err != nil {
		t.Errorf("a page of %s: %v", local, err)
	} else {
		conn.Close()
	}
	proxied := http.Header{"X-Forwarded-For": {"203.0.113.5"}, "X-Forwarded-Proto": {"https"}}
	if got := getAs(t, base+"/council", "meet.example.org", proxied); got != http.StatusOK {
		t.Errorf("a page through a trusted proxy: %d", got)
	}

	// The metrics listener too; an --allowed-origin's host is the admin's.
	sep, _ := startWith(t, func(c *server.Config) {
		c.MetricsListen = "127.0.0.1:0"
		c.AllowedOrigins = []string{"https://meet.example.org"}
	})
	if got := getAs(t, "http://"+sep.Addr().String()+"/council", "meet.example.org", nil); got != http.StatusOK {
		t.Errorf("a page as the host of an allowed origin: %d", got)
	}
	metrics := sep.ExtraAddr("metrics").String()
	_, mport, _ := net.SplitHostPort(metrics)
	if got := getAs(t, "http://"+metrics+server.MetricsPath, net.JoinHostPort("evil.example", mport), nil); got != http.StatusMisdirectedRequest {
		t.Errorf("the metrics listener asked as evil.example: %d, want %d", got, http.StatusMisdirectedRequest)
	}
}
