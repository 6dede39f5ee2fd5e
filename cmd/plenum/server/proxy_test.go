package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/client"
)

// proxiedDomain is the public name of a Plenum behind a proxy in these
// tests; connections to it go to 127.0.0.1.
const proxiedDomain = "meet.example.org"

// joinAs opens the signaling WebSocket at wsURL as a browser on
// https://host would (Host and Origin headers), joins, and returns the
// ICE servers of the welcome.
func joinAs(t *testing.T, wsURL, host string, tlsConfig *tls.Config) ([]webrtc.ICEServer, error) {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: tlsConfig, HandshakeTimeout: 5 * time.Second}
	h := http.Header{"Host": {host}, "Origin": {"https://" + host}}
	conn, resp, err := d.Dial(wsURL, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, err
	}
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "proxied", "name": "Ana"}); err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var m struct {
			Type       string             `json:"type"`
			ICEServers []webrtc.ICEServer `json:"iceServers"`
			Reason     string             `json:"reason"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			return nil, err
		}
		switch m.Type {
		case "welcome":
			return m.ICEServers, nil
		case "error":
			return nil, fmt.Errorf("server: %s", m.Reason)
		}
	}
}

// wantTURNHost checks that the welcome's TURN URLs name host.
func wantTURNHost(t *testing.T, servers []webrtc.ICEServer, host string) {
	t.Helper()
	if len(servers) == 0 || len(servers[0].URLs) == 0 {
		t.Fatalf("welcome has no TURN server: %+v", servers)
	}
	for _, u := range servers[0].URLs {
		if !strings.Contains(u, ":"+host+":") {
			t.Errorf("TURN URL %q does not name %s", u, host)
		}
	}
}

// goProxy is a reverse proxy on loopback that, like many, sends its own
// Host upstream and the client's in X-Forwarded-Host. It says it served
// HTTPS, as the proxy in front of a public Plenum does (the WebSocket
// origin check compares schemes).
func goProxy(t *testing.T, srv *server.Server) *httptest.Server {
	t.Helper()
	target, _ := url.Parse("http://" + srv.Addr().String())
	p := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.SetXForwarded()
		r.Out.Header.Set("X-Forwarded-Proto", "https")
	}})
	t.Cleanup(p.Close)
	return p
}

func TestBehindProxyTheForwardedHostNamesTheServer(t *testing.T) {
	srv, _ := startWith(t, func(c *server.Config) { c.TrustedProxies = server.LoopbackPrefixes() })
	proxy := goProxy(t, srv)
	ws := "ws" + strings.TrimPrefix(proxy.URL, "http") + "/_/ws"

	req, _ := http.NewRequest(http.MethodGet, proxy.URL+"/council", nil)
	req.Host = proxiedDomain
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantConnectSrc(t, "the page through the proxy", resp.Header.Get("Content-Security-Policy"), "'self' wss://"+proxiedDomain)

	servers, err := joinAs(t, ws, proxiedDomain, nil)
	if err != nil {
		t.Fatalf("a browser on https://%s joins through the proxy: %v", proxiedDomain, err)
	}
	wantTURNHost(t, servers, proxiedDomain)

	// A whole call through the proxy: signaling via the proxy, media
	// straight to Plenum.
	ana := dialURL(t, ws, "Ana")
	ben := dialURL(t, ws, "Ben")
	waitUntil(t, 15*time.Second, "Ana and Ben, joined through the proxy, receive each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, ana.ID())
	})
}

func TestForwardedHeadersAreIgnoredFromUntrustedAddresses(t *testing.T) {
	for name, trusted := range map[string][]netip.Prefix{
		"not behind a proxy":       nil,
		"proxy at another address": {netip.MustParsePrefix("192.0.2.1/32")},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := startWith(t, func(c *server.Config) { c.TrustedProxies = trusted })
			proxy := goProxy(t, srv)
			ws := "ws" + strings.TrimPrefix(proxy.URL, "http") + "/_/ws"
			if _, err := joinAs(t, ws, proxiedDomain, nil); err == nil {
				t.Error("the origin check believed an untrusted X-Forwarded-Host")
			}

			// A client that forges the headers itself gets nothing from them.
			d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
			h := http.Header{"Origin": {"https://evil.example"}, "X-Forwarded-Host": {"evil.example"}}
			if conn, _, err := d.Dial("ws://"+srv.Addr().String()+"/_/ws", h); err == nil {
				conn.Close()
				t.Error("a forged X-Forwarded-Host let a foreign page open a session")
			}
		})
	}
}

func dialURL(t *testing.T, ws, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: ws, Room: "proxied", Name: name, Publish: true})
	if err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// readmeBlock is the one ```lang code block of the README.
func readmeBlock(t *testing.T, lang string) string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) != 1 {
		t.Fatalf("the README has %d ```%s blocks, want 1", len(blocks), lang)
	}
	return blocks[0][1]
}

// replaceOnce replaces old, which must occur exactly once in s: the
// snippet under test is the README's, with only addresses and files
// changed.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("the README snippet has %q %d times, want once:\n%s", old, n, s)
	}
	return strings.Replace(s, old, new, 1)
}

// proxyFixture is what a test of a real reverse proxy needs: a Plenum
// that trusts loopback proxies, a certificate for proxiedDomain, a free
// port for the proxy and a directory.
type proxyFixture struct {
	srv            *server.Server
	dir, cert, key string
	port           int
	roots          *x509.CertPool
}

func newProxyFixture(t *testing.T) *proxyFixture {
	t.Helper()
	f := &proxyFixture{dir: t.TempDir(), port: freePort(t)}
	f.cert, f.key = filepath.Join(f.dir, "fullchain.pem"), filepath.Join(f.dir, "privkey.pem")
	writeSelfSigned(t, f.cert, f.key, 1)
	pem, err := os.ReadFile(f.cert)
	if err != nil {
		t.Fatal(err)
	}
	f.roots = x509.NewCertPool()
	f.roots.AppendCertsFromPEM(pem)
	f.srv, _ = startWith(t, func(c *server.Config) { c.TrustedProxies = server.LoopbackPrefixes() })
	return f
}

// run starts a proxy command and stops it at the end of the test.
func (f *proxyFixture) run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(), "HOME="+f.dir, "XDG_DATA_HOME="+f.dir, "XDG_CONFIG_HOME="+f.dir)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s's output:\n%s", filepath.Base(name), out.String())
		}
	})
	waitUntil(t, 10*time.Second, filepath.Base(name)+" listens", func() bool {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited: %v\n%s", name, err, out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", f.addr(), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (f *proxyFixture) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port)) }

// checkThroughProxy loads a meeting page and joins a meeting through the
// proxy, as a browser on https://proxiedDomain.
func (f *proxyFixture) checkThroughProxy(t *testing.T) {
	t.Helper()
	tlsConfig := &tls.Config{RootCAs: f.roots, ServerName: proxiedDomain}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+f.addr()+"/assembly", nil)
	req.Host = proxiedDomain
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("meeting page through the proxy: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "<html") {
		t.Fatalf("meeting page through the proxy: %s", resp.Status)
	}
	wantConnectSrc(t, "meeting page through the proxy", resp.Header.Get("Content-Security-Policy"), "'self' wss://"+proxiedDomain)
	servers, err := joinAs(t, "wss://"+f.addr()+"/_/ws", proxiedDomain, tlsConfig)
	if err != nil {
		t.Fatalf("WebSocket through the proxy: %v", err)
	}
	wantTURNHost(t, servers, proxiedDomain)
}

// lookPath finds a program also in /usr/sbin, which a root shell may
// not have on its PATH.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	t.Skipf("%s is not installed (scripts/test installs it)", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestNginxSnippetFromTheREADME(t *testing.T) {
	nginx := lookPath(t, "nginx")
	f := newProxyFixture(t)
	site := readmeBlock(t, "nginx")
	site = replaceOnce(t, site, "listen 443 ssl;", "listen "+f.addr()+" ssl;")
	site = replaceOnce(t, site, "listen [::]:443 ssl;", "")
	site = replaceOnce(t, site, "/etc/letsencrypt/live/meet.example.org/fullchain.pem", f.cert)
	site = replaceOnce(t, site, "/etc/letsencrypt/live/meet.example.org/privkey.pem", f.key)
	site = replaceOnce(t, site, "http://127.0.0.1:8080", "http://"+f.srv.Addr().String())
	conf := fmt.Sprintf(`daemon off;
user root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, f.dir, site)
	confFile := filepath.Join(f.dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	f.run(t, nginx, "-e", "stderr", "-p", f.dir, "-c", confFile)
	f.checkThroughProxy(t)
}

func TestCaddySnippetFromTheREADME(t *testing.T) {
	caddy := lookPath(t, "caddy")
	f := newProxyFixture(t)
	site := readmeBlock(t, "caddy")
	site = replaceOnce(t, site, proxiedDomain+" {", proxiedDomain+":"+strconv.Itoa(f.port)+" {\n\ttls "+f.cert+" "+f.key+"\n\tbind 127.0.0.1")
	site = replaceOnce(t, site, "127.0.0.1:8080", f.srv.Addr().String())
	// Test-only global options: no admin endpoint, no port 80, state in
	// the test's directory.
	global := "{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system " + f.dir + "\n}\n\n"
	confFile := filepath.Join(f.dir, "Caddyfile")
	if err := os.WriteFile(confFile, []byte(global+site), 0o600); err != nil {
		t.Fatal(err)
	}
	f.run(t, caddy, "run", "--config", confFile, "--adapter", "caddyfile")
	f.checkThroughProxy(t)
}
