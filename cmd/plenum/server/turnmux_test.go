package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
	"go.uber.org/goleak"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/client"
)

// startHTTPS starts a loopback server serving HTTPS with the trusted
// certificate, after edit changes its configuration.
func startHTTPS(t *testing.T, edit func(*server.Config)) *server.Server {
	t.Helper()
	srv, _ := startHTTPSStoppable(t, edit)
	return srv
}

// startHTTPSStoppable is startHTTPS, with the stop of startWith.
func startHTTPSStoppable(t *testing.T, edit func(*server.Config)) (*server.Server, func() error) {
	t.Helper()
	files, err := server.LoadCertificateFiles(trustedCert, trustedKey)
	if err != nil {
		t.Fatal(err)
	}
	return startWith(t, func(c *server.Config) {
		c.TLS = files.TLSConfig()
		if edit != nil {
			edit(c)
		}
	})
}

// dialHTTPS joins room over wss.
func dialHTTPS(t *testing.T, srv *server.Server, name string, cfg client.Config) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg.URL, cfg.Room, cfg.Name, cfg.Publish = "wss://"+srv.Addr().String()+"/_/ws", "shared", name, true
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("%s joins over wss: %v", name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// sharedTURNURL is the turns: URL of the HTTPS port, which c must have
// been offered.
func sharedTURNURL(t *testing.T, srv *server.Server, c *client.Client) string {
	t.Helper()
	want := "turns:127.0.0.1:" + strconv.Itoa(srv.Addr().(*net.TCPAddr).Port) + "?transport=tcp"
	for _, s := range c.ICEServers() {
		if slices.Contains(s.URLs, want) {
			return want
		}
	}
	t.Fatalf("iceServers %+v do not offer %s", c.ICEServers(), want)
	return ""
}

func TestATURNClientOverTLSOnTheHTTPSPortRelaysADatagram(t *testing.T) {
	srv := startHTTPS(t, func(c *server.Config) {
		c.TURN.Server.AllowPeers = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	ana := dialHTTPS(t, srv, "Ana", client.Config{})
	sharedTURNURL(t, srv, ana)
	conn, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	tc := listenTURN(t, pionturn.NewSTUNConn(conn), srv.Addr().String(), ana.ICEServers()[0])
	defer tc.Close()
	relay, err := tc.Allocate()
	if err != nil {
		t.Fatalf("allocate over TLS on the HTTPS port: %v", err)
	}
	defer relay.Close()

	// At the host's own address only the media ports are peers, but
	// for AllowPeers above.
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := relay.WriteTo([]byte("hello"), peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, from, err := peer.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("the peer got %q, %v; want hello through the relay", buf[:n], err)
	}
	if from.String() != relay.LocalAddr().String() {
		t.Errorf("hello came from %v, not from the relay %v", from, relay.LocalAddr())
	}
}

// With --domain the HTTPS port names its protocols (http/1.1 and ACME's
// acme-tls/1), which refused a client offering only TURN's own.
func TestTURNClientsWithOrWithoutALPNAllocateWhereTheHTTPSPortNamesItsProtocols(t *testing.T) {
	srv := startHTTPS(t, func(c *server.Config) { c.TLS.NextProtos = []string{"http/1.1", "acme-tls/1"} })
	ana := dialHTTPS(t, srv, "Ana", client.Config{})
	for _, protos := range [][]string{nil, {"stun.turn"}} {
		conn, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{ServerName: "127.0.0.1", NextProtos: protos})
		if err != nil {
			t.Fatalf("TLS offering %q: %v", protos, err)
		}
		tc := listenTURN(t, pionturn.NewSTUNConn(conn), srv.Addr().String(), ana.ICEServers()[0])
		relay, err := tc.Allocate()
		if err != nil {
			t.Errorf("allocate offering %q: %v", protos, err)
		} else {
			_ = relay.Close()
		}
		tc.Close()
	}
}

func TestARelayOnlyParticipantGetsMediaThroughTheHTTPSPort(t *testing.T) {
	srv := startHTTPS(t, nil)
	ana := dialHTTPS(t, srv, "Ana", client.Config{})
	url := sharedTURNURL(t, srv, ana)
	ben := dialHTTPS(t, srv, "Ben", client.Config{RelayOnly: true, OnlyICEURL: url})
	waitUntil(t, 20*time.Second, "Ben, relayed through the HTTPS port, receives Ana", func() bool { return receivesBoth(ben, ana.ID()) })
	waitUntil(t, 20*time.Second, "Ana receives Ben", func() bool { return receivesBoth(ana, ben.ID()) })
	if srv.TURN().Allocations() == 0 {
		t.Fatal("media flowed but the TURN server holds no allocation")
	}
}

func TestHTTPSOnTheSharedPortServesPagesAsBefore(t *testing.T) {
	srv := startHTTPS(t, nil)
	base := "https://" + srv.Addr().String()
	// Go's client offers ALPN (h2, http/1.1) by default, and none with a
	// TLS configuration of its own: both ways.
	clients := map[string]*http.Client{
		"ALPN":    {Transport: &http.Transport{ForceAttemptHTTP2: true, DisableKeepAlives: true}},
		"no ALPN": {Transport: &http.Transport{TLSClientConfig: &tls.Config{}, DisableKeepAlives: true}},
	}
	for name, hc := range clients {
		resp, err := hc.Get(base + "/")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<html")) {
			t.Errorf("%s: %d, page %.80q", name, resp.StatusCode, body)
		}
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: no HSTS: the request did not know it came over TLS", name)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "wss://") {
			t.Errorf("%s: CSP %q allows no wss:", name, csp)
		}
	}
	// The WebSocket, whose origin check needs the scheme.
	ana := dialHTTPS(t, srv, "Ana", client.Config{})
	ben := dialHTTPS(t, srv, "Ben", client.Config{})
	waitUntil(t, 20*time.Second, "Ana and Ben, over wss, receive each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, ana.ID())
	})
}

// closedWithin reports whether the server closed c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

func TestSilentOrGarbledConnectionsOnTheHTTPSPortAreDroppedAndHoldNobody(t *testing.T) {
	defer server.SetSharedTLSTimeout(time.Second)()
	srv := startHTTPS(t, nil)
	open := func(first []byte) net.Conn {
		c, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if len(first) > 0 {
			if _, err := c.Write(first); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	silent := open(nil)
	short := open([]byte{0, 1, 0}) // might start a STUN message, never does
	garbage := open([]byte{0, 1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	letters := open([]byte("\x7fnot http\r\n\r\n"))

	// Meanwhile a page loads.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}, DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := hc.Get("https://" + srv.Addr().String() + "/healthz")
	if err != nil {
		t.Fatalf("a page while four connections say nothing useful: %v", err)
	}
	resp.Body.Close()

	for name, c := range map[string]net.Conn{"silent": silent, "short": short, "garbage": garbage, "letters": letters} {
		if !closedWithin(c, 10*time.Second) {
			t.Errorf("the %s connection was still open 10 s after a 1 s bound", name)
		}
	}
	if n := srv.TURN().Allocations(); n != 0 {
		t.Errorf("%d allocations from garbage", n)
	}
}

func TestShutdownClosesTURNConnectionsOnTheHTTPSPort(t *testing.T) {
	before := goleak.IgnoreCurrent()
	srv, stop := startHTTPSStoppable(t, nil)
	ana := dialHTTPS(t, srv, "Ana", client.Config{})
	conn, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc := listenTURN(t, pionturn.NewSTUNConn(conn), srv.Addr().String(), ana.ICEServers()[0])
	defer tc.Close()
	relay, err := tc.Allocate()
	if err != nil {
		t.Fatalf("allocate over TLS on the HTTPS port: %v", err)
	}
	defer relay.Close()
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if srv.TURN().Allocations() != 0 {
		t.Error("an allocation over the HTTPS port outlived the server")
	}
	_ = relay.Close() // the client's own timers
	tc.Close()
	ana.Close()
	goleak.VerifyNone(t, before)
}
