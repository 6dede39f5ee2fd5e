package turn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"
	"go.uber.org/goleak"

	"github.com/plenum-meet/plenum/sfu/pionlog"
)

// testTLSConfig returns a server config with a fresh self-signed certificate
// for 127.0.0.1.
func testTLSConfig(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "plenum-turn-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{loopback4},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}

	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// turnClient is a pion TURN client with its allocation.
type turnClient struct {
	client *pionturn.Client
	relay  net.PacketConn
}

// dialTURN connects a pion client over network ("udp", "tcp" or "tls") and
// allocates a UDP relay; it fails the test when allocation fails.
func dialTURN(t *testing.T, s *Server, network, id string) *turnClient {
	t.Helper()
	user, pass := Credentials(testSecret, id, time.Hour, time.Now())
	c, err := dialTURNAs(t, s, network, user, pass)
	if err != nil {
		t.Fatalf("allocate over %s: %v", network, err)
	}

	return c
}

func dialTURNAs(t *testing.T, s *Server, network, user, pass string) (*turnClient, error) {
	t.Helper()
	var conn net.PacketConn
	var server string
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0") //nolint:noctx
		if err != nil {
			t.Fatal(err)
		}
		conn, server = pc, s.UDPAddr().String()
	case "tcp":
		tc, err := net.Dial("tcp", s.TCPAddr().String()) //nolint:noctx
		if err != nil {
			t.Fatal(err)
		}
		conn, server = pionturn.NewSTUNConn(tc), s.TCPAddr().String()
	case "tls":
		tc, err := tls.Dial("tcp", s.TLSAddr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test cert
		if err != nil {
			t.Fatal(err)
		}
		conn, server = pionturn.NewSTUNConn(tc), s.TLSAddr().String()
	default:
		t.Fatalf("network %q", network)
	}
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: server,
		Username:       user,
		Password:       pass,
		Conn:           conn,
		LoggerFactory:  pionlog.Factory{Log: testLogger().With("client", network)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := client.Allocate()
	if err != nil {
		client.Close()
		_ = conn.Close()

		return nil, err
	}
	tc := &turnClient{client: client, relay: relay}
	t.Cleanup(func() {
		_ = relay.Close()
		client.Close()
		_ = conn.Close()
	})

	return tc, nil
}

// close deallocates now (rather than at cleanup).
func (c *turnClient) close() { _ = c.relay.Close() }

// pingPong sends n datagrams through the relay to peer and counts the
// echoes that come back (each waited for at most 1 s).
func (c *turnClient) pingPong(t *testing.T, peer net.Addr, n int) int {
	t.Helper()
	buf := make([]byte, 1500)
	got := 0
	for i := range n {
		msg := fmt.Appendf(nil, "plenum ping %d", i)
		if _, err := c.relay.WriteTo(msg, peer); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		_ = c.relay.SetReadDeadline(time.Now().Add(time.Second))
		for {
			k, from, err := c.relay.ReadFrom(buf)
			if err != nil {
				break
			}
			if from.String() == peer.String() && bytes.Equal(buf[:k], msg) {
				got++

				break
			}
		}
	}

	return got
}

func turnErrorCode(err error) int {
	var te *stun.TurnError
	if errors.As(err, &te) {
		return int(te.ErrorCodeAttr.Code)
	}

	return 0
}

func TestRelayOverUDPTCPTLS(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.AllowPeers = []netip.Prefix{loopbackNet}
		c.TLSConfig = testTLSConfig(t)
	})
	echo := newUDPEcho(t)
	for _, network := range []string{"udp", "tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			c := dialTURN(t, s, network, "alice-"+network)
			relayAddr := c.relay.LocalAddr().(*net.UDPAddr) //nolint:forcetypeassert
			if !relayAddr.IP.Equal(loopback4) {
				t.Errorf("relay address %s, want on %s", relayAddr, loopback4)
			}
			const n = 20
			if got := c.pingPong(t, echo.addr(), n); got != n {
				t.Errorf("%d of %d datagrams came back through the relay", got, n)
			}
			select {
			case from := <-echo.froms:
				if from.String() != relayAddr.String() {
					t.Errorf("peer saw source %s, want the relay address %s", from, relayAddr)
				}
			default:
				t.Error("peer saw nothing")
			}
			for len(echo.froms) > 0 {
				<-echo.froms
			}
			if s.Allocations() != 1 {
				t.Errorf("Allocations() = %d during the call", s.Allocations())
			}
			c.close()
			waitAllocations(t, s, 0)
		})
	}
}

func TestDeniedPeer(t *testing.T) {
	echo := newUDPEcho(t)

	t.Run("refused by default", func(t *testing.T) {
		s := newTestServer(t, nil)
		c := dialTURN(t, s, "udp", "mallory")
		err := c.client.CreatePermission(echo.addr())
		if code := turnErrorCode(err); code != 403 {
			t.Fatalf("CreatePermission to %s: %v (code %d), want 403 Forbidden", echo.addr(), err, code)
		}
		// Writing through the relay fails the same way; nothing reaches the peer.
		if _, err := c.relay.WriteTo([]byte("hello"), echo.addr()); turnErrorCode(err) != 403 {
			t.Errorf("WriteTo: %v, want 403", err)
		}
		// Other denied classes, from the same allocation.
		for _, ip := range []string{"::ffff:127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "224.0.0.1", "0.0.0.0", "100.64.0.1"} {
			peer := &net.UDPAddr{IP: net.ParseIP(ip), Port: 9}
			if code := turnErrorCode(c.client.CreatePermission(peer)); code != 403 {
				t.Errorf("CreatePermission to %s: code %d, want 403", ip, code)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if len(echo.froms) != 0 {
			t.Errorf("denied peer received %d datagrams", len(echo.froms))
		}
	})

	t.Run("raw codes", func(t *testing.T) {
		s := newTestServer(t, nil)
		user, pass := Credentials(testSecret, "mallory", time.Hour, time.Now())
		rc := newRawClient(t, s, user, pass)
		if code := rc.allocate(); code != 0 {
			t.Fatalf("allocate: %d", code)
		}
		peer := peerAddr(*echo.addr())
		if code := rc.request(stun.MethodCreatePermission, peer); code != 403 {
			t.Errorf("CreatePermission: %d, want 403", code)
		}
		// pion answers a refused ChannelBind with 401 Unauthorized, not 403
		// (internal/server/turn.go, handleChannelBindRequest).
		code := rc.request(stun.MethodChannelBind, channelNumber(0x4000), peer)
		t.Logf("ChannelBind to a denied peer: error %d", code)
		if code != 401 && code != 403 {
			t.Errorf("ChannelBind: %d, want 401 (pion) or 403", code)
		}
		if code := rc.release(); code != 0 {
			t.Errorf("release: %d", code)
		}
		waitAllocations(t, s, 0)
	})

	t.Run("AllowPeers", func(t *testing.T) {
		s := newTestServer(t, func(c *Config) { c.AllowPeers = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
		c := dialTURN(t, s, "udp", "alice")
		if got := c.pingPong(t, echo.addr(), 5); got != 5 {
			t.Errorf("%d of 5 echoes", got)
		}
		if code := turnErrorCode(c.client.CreatePermission(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9})); code != 403 {
			t.Errorf("127.0.0.2 outside AllowPeers: code %d, want 403", code)
		}
	})

	t.Run("OwnAddrs", func(t *testing.T) {
		sfu := echo.addr().AddrPort()
		s := newTestServer(t, func(c *Config) {
			c.OwnAddrs = func() []netip.AddrPort { return []netip.AddrPort{sfu} }
		})
		c := dialTURN(t, s, "udp", "alice")
		if got := c.pingPong(t, echo.addr(), 5); got != 5 {
			t.Errorf("%d of 5 echoes to the own address", got)
		}
		// Another service on the same loopback address: the permission
		// (by address) is there, the datagrams are not relayed.
		other := newUDPEcho(t)
		if got := c.pingPong(t, other.addr(), 3); got != 0 {
			t.Errorf("%d of 3 echoes from another port of the own address", got)
		}
		user, pass := Credentials(testSecret, "alice2", time.Hour, time.Now())
		rc := newRawClient(t, s, user, pass)
		if code := rc.allocate(); code != 0 {
			t.Fatalf("allocate: %d", code)
		}
		if code := rc.request(stun.MethodChannelBind, channelNumber(0x4001), peerAddr(*echo.addr())); code != 0 {
			t.Errorf("ChannelBind to own address: %d", code)
		}
		_ = rc.release()
	})
}

func TestCredentialsRejected(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.AllowPeers = []netip.Prefix{loopbackNet} })
	now := time.Now()
	good, goodPass := Credentials(testSecret, "alice", time.Hour, now)
	expired, expiredPass := Credentials(testSecret, "alice", -time.Minute, now)
	for name, tc := range map[string]struct{ user, pass string }{
		"forged password":       {good, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		"other secret":          {good, coturnPassword("not the secret", good)},
		"expired":               {expired, expiredPass},
		"expiry edited":         {"9999999999:alice", goodPass},
		"no timestamp":          {"alice", coturnPassword(string(testSecret), "alice")},
		"timestamp after id":    {"alice:9999999999", coturnPassword(string(testSecret), "alice:9999999999")},
		"empty password (pion)": {good, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if code := newRawClient(t, s, tc.user, tc.pass).allocate(); code != 401 {
				t.Errorf("raw Allocate: %d, want 401", code)
			}
			_, err := dialTURNAs(t, s, "udp", tc.user, tc.pass)
			if code := turnErrorCode(err); code != 401 {
				t.Errorf("pion Allocate: %v, want 401", err)
			}
		})
	}
	rc := newRawClient(t, s, good, goodPass)
	if code := rc.allocate(); code != 0 {
		t.Fatalf("valid credentials: %d", code)
	}
	_ = rc.release()
	waitAllocations(t, s, 0)
}

func TestAllocationQuotas(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.MaxAllocationsPerUser = 2
		c.MaxAllocations = 3
	})
	client := func(id string) *rawClient {
		user, pass := Credentials(testSecret, id, time.Hour, time.Now())

		return newRawClient(t, s, user, pass)
	}
	var live []*rawClient
	for i := range 2 {
		c := client("alice")
		if code := c.allocate(); code != 0 {
			t.Fatalf("alice allocation %d: %d", i, code)
		}
		live = append(live, c)
	}
	// Same id, another credential (other expiry): still alice's quota.
	user, pass := Credentials(testSecret, "alice", 2*time.Hour, time.Now())
	if code := newRawClient(t, s, user, pass).allocate(); code != 486 {
		t.Errorf("third alice allocation: %d, want 486 Allocation Quota Reached", code)
	}
	bob := client("bob")
	if code := bob.allocate(); code != 0 {
		t.Fatalf("bob: %d", code)
	}
	live = append(live, bob)
	if code := client("carol").allocate(); code != 508 {
		t.Errorf("allocation over the total limit: %d, want 508 Insufficient Capacity", code)
	}
	if got := s.Allocations(); got != 3 {
		t.Errorf("Allocations() = %d, want 3", got)
	}
	// Releasing one makes room again.
	if code := live[0].release(); code != 0 {
		t.Fatalf("release: %d", code)
	}
	waitAllocations(t, s, 2)
	if code := client("carol").allocate(); code != 0 {
		t.Errorf("carol after a release: %d", code)
	}
	// pion clients leave too; everything returns to zero.
	for _, c := range live[1:] {
		if code := c.release(); code != 0 {
			t.Errorf("release: %d", code)
		}
	}
	waitAllocations(t, s, 1) // carol's raw allocation is left
}

func TestAllocationRefusals(t *testing.T) {
	s := newTestServer(t, nil)
	user, pass := Credentials(testSecret, "alice", time.Hour, time.Now())
	if code := newRawClient(t, s, user, pass).request(stun.MethodAllocate, transportTCP); code != 508 {
		t.Errorf("TCP relay allocation: %d, want 508 (TCP relaying is not offered)", code)
	}
	if code := newRawClient(t, s, user, pass).allocate(dontFragment); code != 420 {
		t.Errorf("DONT-FRAGMENT: %d, want 420 Unknown Attribute (pion does not support DF)", code)
	}
	waitAllocations(t, s, 0)
}

func TestNoRelayIntoTURNListener(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.AllowPeers = []netip.Prefix{loopbackNet} })
	c := dialTURN(t, s, "udp", "alice")
	// A Binding request sent through the relay to the server's own port
	// would be answered to the relay address and come back as data.
	bind := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
	if _, err := c.relay.WriteTo(bind.Raw, s.UDPAddr()); err != nil {
		t.Fatal(err)
	}
	_ = c.relay.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, from, err := c.relay.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("got %d bytes from %s: the relay reached the TURN listener", n, from)
	}
}

func TestRelayBandwidthCap(t *testing.T) {
	const rate = 100_000 // bytes per second
	s := newTestServer(t, func(c *Config) {
		c.AllowPeers = []netip.Prefix{loopbackNet}
		c.RelayBytesPerSecond = rate
	})
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback4})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	_ = peer.SetReadBuffer(4 << 20)
	c := dialTURN(t, s, "udp", "alice")
	if err := c.client.CreatePermission(peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}

	const size, count = 1000, 600 // 600 kB, six times the rate
	payload := make([]byte, size)
	start := time.Now()
	for range count {
		if _, err := c.relay.WriteTo(payload, peer.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 3*time.Second {
			break
		}
	}
	sent := time.Since(start)

	received := 0
	buf := make([]byte, 2048)
	for {
		_ = peer.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, _, err := peer.ReadFrom(buf)
		if err != nil {
			break
		}
		received += n
	}
	elapsed := time.Since(start)
	burst := max(rate/4, minBurst)
	limit := burst + int(float64(rate)*elapsed.Seconds()) + size
	t.Logf("sent %d×%d B in %v; peer received %d B in %v (cap %d B/s, burst %d B, bound %d B); dropped %d B",
		count, size, sent.Round(time.Millisecond), received, elapsed.Round(time.Millisecond), rate, burst, limit,
		s.RelayDroppedBytes())
	if received > limit {
		t.Errorf("peer received %d B, more than the cap allows (%d B)", received, limit)
	}
	if received < burst/2 {
		t.Errorf("peer received only %d B", received)
	}
	if s.RelayDroppedBytes() == 0 {
		t.Error("nothing was dropped")
	}
}

func TestCloseEndsEverything(t *testing.T) {
	before := goleak.IgnoreCurrent()
	s, err := New(Config{
		ListenIP: loopback4, RelayIP: loopback4, Secret: testSecret, Logger: testLogger(),
		AllowPeers: []netip.Prefix{loopbackNet}, TLSConfig: testTLSConfig(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	user, pass := Credentials(testSecret, "alice", time.Hour, time.Now())
	// A UDP allocation, a TCP client with an allocation, a TLS client that
	// never completes its handshake, and an idle TCP connection.
	rc := newRawClient(t, s, user, pass)
	if code := rc.allocate(); code != 0 {
		t.Fatal(code)
	}
	tcpC := dialTURN(t, s, "tcp", "bob")
	_ = tcpC
	stalled, err := net.Dial("tcp", s.TLSAddr().String()) //nolint:noctx
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	idle, err := net.Dial("tcp", s.TCPAddr().String()) //nolint:noctx
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	waitAllocations(t, s, 2)

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(start))
	if time.Since(start) > 2*time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	if n := s.Allocations(); n != 0 {
		t.Errorf("%d allocations after Close", n)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The listeners are gone.
	if c, err := net.Dial("tcp", s.TCPAddr().String()); err == nil { //nolint:noctx
		c.Close()
		t.Error("TCP listener still accepting")
	}
	// Idle client sockets see the server close them.
	_ = idle.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Error("idle TCP connection still open")
	}
	tcpC.close()
	tcpC.client.Close()
	goleak.VerifyNone(t, before)
}

func TestCredentialsOfThoseNoLongerInAMeetingAreRefused(t *testing.T) {
	var present sync.Map
	present.Store("alice", true)
	s := newTestServer(t, func(c *Config) {
		c.AllowPeers = []netip.Prefix{loopbackNet}
		c.Active = func(id string) bool { _, ok := present.Load(id); return ok }
	})
	now := time.Now()
	alice, alicePass := Credentials(testSecret, "alice", time.Hour, now)
	if code := newRawClient(t, s, alice, alicePass).allocate(); code != 0 {
		t.Fatalf("alice, in a meeting: allocate %d", code)
	}
	present.Delete("alice") // she left, her credential good for another hour
	if code := newRawClient(t, s, alice, alicePass).allocate(); code != 401 {
		t.Fatalf("alice, gone: allocate %d, want 401", code)
	}
	bob, bobPass := Credentials(testSecret, "bob", time.Hour, now)
	if code := newRawClient(t, s, bob, bobPass).allocate(); code != 401 {
		t.Fatalf("bob, never in a meeting: allocate %d, want 401", code)
	}
	if err := s.SelfCheck(t.Context()); err != nil {
		t.Fatalf("the self-check's own credential: %v", err)
	}
}
