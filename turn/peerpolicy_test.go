package turn

import (
	"net"
	"net/netip"
	"testing"
)

func TestDeniedClasses(t *testing.T) {
	denied := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "127.1.2.3", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.0.0.8", "192.0.2.10", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.1",
		"198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::127.0.0.1", "64:ff9b::7f00:1",
		"64:ff9b::a00:1", "64:ff9b:1::1", "100::1", "2001::1", "2001:db8::1", "2002:7f00:1::1",
		"3fff::1", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1", "ff0e::1",
	}
	for _, s := range denied {
		if c := deniedClass(netip.MustParseAddr(s)); c == "" {
			t.Errorf("%s not denied", s)
		}
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
		"192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2606:4700:4700::1111", "2a00:1450::1",
	}
	for _, s := range allowed {
		if c := deniedClass(netip.MustParseAddr(s)); c != "" {
			t.Errorf("%s denied as %q", s, c)
		}
	}
	for addr, class := range map[string]string{
		"127.0.0.1":  "loopback",
		"::1":        "loopback",
		"10.1.1.1":   "private",
		"fd00::1":    "private (unique local)",
		"fe80::1":    "link-local",
		"224.0.0.5":  "multicast",
		"0.0.0.0":    "unspecified",
		"::":         "unspecified",
		"100.64.1.1": "shared (CGNAT)",
	} {
		if got := deniedClass(netip.MustParseAddr(addr)); got != class {
			t.Errorf("class(%s) = %q, want %q", addr, got, class)
		}
	}
}

func TestPeerPolicy(t *testing.T) {
	own := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:10000"), netip.MustParseAddrPort("[::1]:10000")}
	p := newPeerPolicy(
		[]netip.Prefix{netip.MustParsePrefix("192.168.7.0/24"), netip.MustParsePrefix("::ffff:172.20.0.0/112")},
		netip.MustParseAddr("10.9.9.9"),
		func() []netip.AddrPort { return own },
	)
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"8.8.8.8", true},
		{"192.168.7.20", true},        // AllowPeers
		{"::ffff:192.168.7.20", true}, // mapped form of an allowed address
		{"192.168.8.1", false},
		{"172.20.1.1", true}, // AllowPeers given in mapped form
		{"172.21.1.1", false},
		{"10.0.0.5", true},        // own address
		{"::ffff:10.0.0.5", true}, // own, mapped
		{"10.0.0.6", false},       // private, not own
		{"10.9.9.9", false},       // relay address: not exempt by itself
		{"::1", true},             // own IPv6 loopback
		{"127.0.0.1", false},      // loopback, not own
		{"fe80::1%lo", false},     // link-local with zone
		{"224.0.0.1", false},      // multicast
		{"0.0.0.0", false},        // unspecified
		{"64:ff9b::a00:5", false}, // NAT64 of 10.0.0.5: not the own address itself
		{"2606:4700::1111", true}, // public IPv6
	} {
		ok, reason := p.check(netip.MustParseAddr(tc.addr))
		if ok != tc.ok {
			t.Errorf("check(%s) = %v (%s), want %v", tc.addr, ok, reason, tc.ok)
		}
	}
	if ok, _ := p.check(netip.Addr{}); ok {
		t.Error("invalid address allowed")
	}

	// OwnAddrs is consulted on every check: it may change at run time.
	own = nil
	if ok, _ := p.check(netip.MustParseAddr("10.0.0.5")); ok {
		t.Error("former own address still allowed")
	}
	// No OwnAddrs at all.
	if ok, _ := newPeerPolicy(nil, netip.MustParseAddr("127.0.0.1"), nil).check(netip.MustParseAddr("127.0.0.2")); ok {
		t.Error("loopback allowed without AllowPeers/OwnAddrs")
	}
}

func TestPeerPolicyOwnAddressesOnlyAtTheSFUsPorts(t *testing.T) {
	own := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:10000"), netip.MustParseAddrPort("203.0.113.50:10000"),
		netip.MustParseAddrPort("198.51.100.7:10000"), netip.MustParseAddrPort("9.9.9.9:10000"),
	}
	p := newPeerPolicy([]netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, netip.MustParseAddr("127.0.0.1"), func() []netip.AddrPort { return own })
	for _, tc := range []struct {
		peer string
		ok   bool
	}{
		{"127.0.0.1:10000", true},          // the SFU
		{"[::ffff:127.0.0.1]:10000", true}, // the SFU, mapped
		{"127.0.0.1:53", false},            // a resolver on the host's loopback
		{"127.0.0.1:3478", false},
		{"203.0.113.50:53", false}, // own, in a denied class (documentation)
		{"198.51.100.7:53", true},  // own, but AllowPeers holds it: every port
		{"9.9.9.9:10000", true},    // the SFU at a public address
		{"9.9.9.9:53", false},      // a public own address: its resolver is the host's too
		{"[::ffff:9.9.9.9]:161", false},
		{"8.8.8.8:53", true},      // not own: the permission decided
		{"127.0.0.2:10000", true}, // not own: the permission (refused) decided
	} {
		if ok := p.mayReach(netip.MustParseAddrPort(tc.peer)); ok != tc.ok {
			t.Errorf("mayReach(%s) = %v, want %v", tc.peer, ok, tc.ok)
		}
	}
	if !newPeerPolicy(nil, netip.MustParseAddr("127.0.0.1"), nil).mayReach(netip.MustParseAddrPort("127.0.0.1:53")) {
		t.Error("no OwnAddrs: the permission alone decides")
	}
}

func TestARelayToTheTURNPortOfAPublicAddressOfTheHostIsDropped(t *testing.T) {
	// Behind 1:1 NAT, listening on every address: the public address
	// (9.9.9.9 here, never sent to) reaches the TURN listener through
	// the NAT, and would loop back into it.
	public := netip.MustParseAddrPort("9.9.9.9:10000")
	s := &Server{
		udpAddr: &net.UDPAddr{IP: net.IPv4zero, Port: 3478},
		policy: newPeerPolicy(nil, netip.MustParseAddr("10.0.0.5"), func() []netip.AddrPort {
			return []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:10000"), public}
		}),
	}
	for peer, want := range map[string]bool{
		"9.9.9.9:3478":  true,  // the public address's TURN port
		"10.0.0.5:3478": true,  // the private one's
		"9.9.9.9:10000": false, // the SFU behind the public address
		"8.8.8.8:3478":  false, // someone else's
	} {
		ap := netip.MustParseAddrPort(peer)
		if got := s.isOwnTURNEndpoint(net.UDPAddrFromAddrPort(ap)); got != want {
			t.Errorf("%s is the TURN listener: %v, want %v", peer, got, want)
		}
	}
}
