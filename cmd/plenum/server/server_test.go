package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/sfutest"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/turn"
)

// start runs a whole server on loopback with the built-in TURN server.
func start(t *testing.T) *server.Server {
	t.Helper()
	srv, _ := startWith(t, nil)
	return srv
}

// testLogger writes to the test's output with -v, else nowhere.
func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// loopbackConfig is a whole server on loopback with the built-in TURN
// server and free ports.
func loopbackConfig() server.Config {
	return server.Config{
		Listen:  "127.0.0.1:0",
		Network: sfu.NetworkConfig{Interfaces: []string{"lo"}},
		TURN: server.TURNConfig{
			Embedded:      true,
			Secret:        []byte("test-secret"),
			CredentialTTL: time.Hour,
			Server:        turn.Config{ListenIP: net.IPv4(127, 0, 0, 1), RelayIP: net.IPv4(127, 0, 0, 1)},
		},
		Logger: testLogger(),
	}
}

// startWith starts a loopback server after edit changes its
// configuration, and stops it at the end of the test. stop stops it
// earlier and returns what Serve returned.
func startWith(t *testing.T, edit func(*server.Config)) (srv *server.Server, stop func() error) {
	t.Helper()
	cfg := loopbackConfig()
	if edit != nil {
		edit(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	var serveErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return srv, stop
}

func wsURL(srv *server.Server) string {
	return "ws://" + srv.Addr().String() + "/_/ws"
}

func dial(t *testing.T, srv *server.Server, name string, relayOnly bool) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: "relay", Name: name, Publish: true, RelayOnly: relayOnly})
	if err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	t.Cleanup(c.Close)
	return c
}

func receivesBoth(c *client.Client, from string) bool {
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if r := c.Received(from, k); r == nil || r.Packets() < 20 {
			return false
		}
	}
	return true
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWelcomeCarriesShortLivedTURNCredentials(t *testing.T) {
	srv := start(t)
	c := dial(t, srv, "Ana", false)
	servers := c.ICEServers()
	if len(servers) != 1 || len(servers[0].URLs) < 2 {
		t.Fatalf("iceServers = %+v, want the built-in server over UDP and TCP", servers)
	}
	port := srv.TURN().UDPAddr().Port
	if !strings.HasPrefix(servers[0].URLs[0], "turn:127.0.0.1:") || !strings.Contains(servers[0].URLs[0], ":"+strconv.Itoa(port)) {
		t.Errorf("URL %q does not name the server as the client reached it", servers[0].URLs[0])
	}
	expiry, id, ok := strings.Cut(servers[0].Username, ":")
	if !ok || id != c.ID() {
		t.Fatalf("username %q is not <expiry>:<participant id>", servers[0].Username)
	}
	exp, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil {
		t.Fatalf("expiry %q is not a unix time", expiry)
	}
	if ttl := time.Until(time.Unix(exp, 0)); ttl <= 0 || ttl > time.Hour+time.Minute {
		t.Errorf("credentials valid for %v, want about the configured hour", ttl)
	}
}

func TestRelayOnlyParticipantGetsMediaThroughBuiltInTURN(t *testing.T) {
	srv := start(t)
	ana := dial(t, srv, "Ana", false)
	ben := dial(t, srv, "Ben", true) // as behind a firewall that lets only TURN through

	waitUntil(t, 15*time.Second, "Ben, relay only, receives Ana", func() bool { return receivesBoth(ben, ana.ID()) })
	waitUntil(t, 15*time.Second, "Ana receives Ben's relayed media", func() bool { return receivesBoth(ana, ben.ID()) })
	if n := srv.TURN().Allocations(); n == 0 {
		t.Fatal("media flowed but the TURN server holds no allocation: it did not go through TURN")
	}
	ben.Leave()
	ana.Leave()
	waitUntil(t, 10*time.Second, "every allocation released when the participants leave", func() bool {
		return srv.TURN().Allocations() == 0
	})
}

// On clouds with 1:1 NAT the SFU is advertised at a public address
// (--public-ip) that the machine itself often cannot reach: the provider
// does not route a datagram back to the machine it came from. A relay
// sends to the SFU's advertised address, so participants who can use
// only TURN got no media. 192.0.2.1 (documentation) stands for that
// public address: in a namespace with only lo nothing reaches it.
func TestRelayOnlyParticipantsGetMediaWhereTheHostCannotReachItsPublicAddress(t *testing.T) {
	sfutest.OnlyLoopback(t)
	srv, _ := startWith(t, func(cfg *server.Config) { cfg.Network.PublicIPs = []string{"192.0.2.1"} })
	ana := dial(t, srv, "Ana", true)
	ben := dial(t, srv, "Ben", true)
	waitUntil(t, 20*time.Second, "Ben, relay only, receives Ana", func() bool { return receivesBoth(ben, ana.ID()) })
	waitUntil(t, 20*time.Second, "Ana, relay only, receives Ben", func() bool { return receivesBoth(ana, ben.ID()) })
}

// allocateWith asks the built-in TURN server for a relay with the TURN
// credentials of servers, and returns its error.
func allocateWith(t *testing.T, srv *server.Server, servers []webrtc.ICEServer) error {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := listenTURN(t, conn, srv.TURN().UDPAddr().String(), servers[0])
	defer c.Close()
	relay, err := c.Allocate()
	if err == nil {
		_ = relay.Close()
	}
	return err
}

// listenTURN is a TURN client of the server at addr over conn, with the
// credentials of ice, listening.
func listenTURN(t *testing.T, conn net.PacketConn, addr string, ice webrtc.ICEServer) *pionturn.Client {
	t.Helper()
	pass, _ := ice.Credential.(string)
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: addr, Username: ice.Username, Password: pass, Realm: turn.DefaultRealm, Conn: conn,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

func TestACredentialOutlivesNoParticipant(t *testing.T) {
	srv := start(t)
	ana := dial(t, srv, "Ana", false)
	servers := ana.ICEServers()
	if err := allocateWith(t, srv, servers); err != nil {
		t.Fatalf("Ana, in the meeting, cannot allocate: %v", err)
	}
	ana.Leave()
	waitUntil(t, 10*time.Second, "Ana gone", func() bool { return srv.Manager().ParticipantCount() == 0 })
	// Refused as a credential (401), not only for the few minutes in
	// which the allocations of one who left are refused (508): the
	// credential is good for another hour.
	if err := allocateWith(t, srv, servers); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("after Ana left, her credential: %v, want 401", err)
	}
}
