package turn

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

func TestConfigValidation(t *testing.T) {
	valid := Config{RelayIP: loopback4, Secret: testSecret}
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"no secret":          {func(c *Config) { c.Secret = nil }, "Secret is required"},
		"no relay IP":        {func(c *Config) { c.RelayIP = nil }, "RelayIP"},
		"unspecified relay":  {func(c *Config) { c.RelayIP = net.IPv4zero }, "RelayIP"},
		"port":               {func(c *Config) { c.Port = 70000 }, "Port 70000"},
		"half a port range":  {func(c *Config) { c.RelayPortMin = 40000 }, "relay port range"},
		"inverted range":     {func(c *Config) { c.RelayPortMin, c.RelayPortMax = 50000, 40000 }, "relay port range"},
		"negative limit":     {func(c *Config) { c.MaxAllocations = -1 }, "must not be negative"},
		"negative bandwidth": {func(c *Config) { c.RelayBytesPerSecond = -1 }, "RelayBytesPerSecond"},
		"TLS without cert":   {func(c *Config) { c.TLSConfig = &tls.Config{} }, "certificate"},
		"bad AllowPeers":     {func(c *Config) { c.AllowPeers = []netip.Prefix{{}} }, "AllowPeers[0]"},
	} {
		cfg := valid
		tc.mod(&cfg)
		s, err := New(cfg)
		if err == nil {
			_ = s.Close()
			t.Errorf("%s: accepted", name)

			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q lacks %q", name, err, tc.want)
		}
	}

	// Defaults.
	c, err := valid.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if c.Realm != DefaultRealm || c.MaxAllocationsPerUser != DefaultMaxAllocationsPerUser ||
		c.MaxAllocations != DefaultMaxAllocations || c.Logger == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestPortBusy(t *testing.T) {
	s := newTestServer(t, nil)
	if s.UDPAddr().Port != s.TCPAddr().Port {
		t.Errorf("UDP port %d and TCP port %d differ", s.UDPAddr().Port, s.TCPAddr().Port)
	}
	_, err := New(Config{ListenIP: loopback4, Port: s.UDPAddr().Port, RelayIP: loopback4, Secret: testSecret, Logger: testLogger()})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("second server on a busy port: %v", err)
	}
}

func TestRelayPortRange(t *testing.T) {
	// Below the kernel's ephemeral range, so nothing else in the namespace
	// holds these ports.
	const lo, hi = 20000, 20001
	s := newTestServer(t, func(c *Config) { c.RelayPortMin, c.RelayPortMax = lo, hi })
	var clients []*turnClient
	for i := range 2 {
		c := dialTURN(t, s, "udp", "alice")
		port := c.relay.LocalAddr().(*net.UDPAddr).Port //nolint:forcetypeassert
		if port < lo || port > hi {
			t.Errorf("allocation %d on port %d, outside %d-%d", i, port, lo, hi)
		}
		clients = append(clients, c)
	}
	user, pass := Credentials(testSecret, "bob", time.Hour, time.Now())
	if code := newRawClient(t, s, user, pass).allocate(); code != 508 {
		t.Errorf("allocation with the range exhausted: %d, want 508", code)
	}
	clients[0].close()
	waitAllocations(t, s, 1)
	rc := newRawClient(t, s, user, pass)
	if code := rc.allocate(); code != 0 {
		t.Errorf("allocation after a release: %d", code)
	}
	_ = rc.release()
	clients[1].close()
	waitAllocations(t, s, 0)
}

func TestIPv6(t *testing.T) {
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	_ = probe.Close()
	s := newTestServer(t, func(c *Config) {
		c.ListenIP = net.IPv6loopback
		c.RelayIP = net.IPv6loopback
	})

	conn, err := net.ListenPacket("udp6", "[::1]:0") //nolint:noctx
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	echo, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()

	// Raw client: denied by default (::1 is loopback), then SelfCheck with
	// ::1 as own address on a second server.
	user, pass := Credentials(testSecret, "alice", time.Hour, time.Now())
	rc := &rawClient{t: t, server: s.UDPAddr(), user: user, pass: pass}
	uc, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	rc.conn = uc
	if code := rc.allocate(); code != 0 {
		t.Fatalf("IPv6 allocate: %d", code)
	}
	if code := rc.request(stun.MethodCreatePermission, peerAddr(*echo.LocalAddr().(*net.UDPAddr))); code != 403 { //nolint:forcetypeassert
		t.Errorf("CreatePermission to [::1]: %d, want 403", code)
	}
	if code := rc.request(stun.MethodCreatePermission, peerAddr(net.UDPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 9})); code == 0 {
		t.Errorf("CreatePermission to ::ffff:127.0.0.1 accepted")
	}
	_ = rc.release()

	s6 := newTestServer(t, func(c *Config) {
		c.ListenIP = net.IPv6loopback
		c.RelayIP = net.IPv6loopback
		c.OwnAddrs = func() []netip.AddrPort { return []netip.AddrPort{netip.AddrPortFrom(netip.IPv6Loopback(), 9)} }
	})
	if err := s6.SelfCheck(t.Context()); err != nil {
		t.Errorf("IPv6 SelfCheck: %v", err)
	}
	waitAllocations(t, s, 0)
	waitAllocations(t, s6, 0)
}
