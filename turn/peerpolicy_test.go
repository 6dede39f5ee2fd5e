package turn

import (
	"net"
	"net/netip"
	"testing"
)

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
