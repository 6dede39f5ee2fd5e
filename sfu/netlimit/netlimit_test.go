package netlimit

import (
	"net"
	"net/netip"
	"testing"
)

// fakeConn is a connection from addr that does nothing.
type fakeConn struct {
	net.Conn
	addr *net.TCPAddr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.addr }
func (c fakeConn) Close() error         { return nil }

func from(s string) net.Conn {
	return fakeConn{addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s))}
}

func TestAClientIsItsIPv4AddressOrItsIPv6Slash64(t *testing.T) {
	var c Conns
	held := map[string]net.Conn{}
	for _, s := range []string{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::7]:1001", "[::ffff:192.0.2.1]:1002"} {
		conn, ok := c.Admit(from(s), 2)
		if !ok {
			t.Fatalf("%s refused", s)
		}
		held[s] = conn
	}
	if _, ok := c.Admit(from("[2001:db8:1:2:abcd::9]:1003"), 2); ok {
		t.Fatal("a third address of one /64 was admitted past a limit of 2")
	}
	if _, ok := c.Admit(from("[2001:db8:1:3::1]:1004"), 2); !ok {
		t.Fatal("another /64 was refused")
	}
	if n := c.Count(Client(netip.MustParseAddr("192.0.2.1"))); n != 1 {
		t.Fatalf("an IPv4-mapped address counts %d against its IPv4 address, want 1", n)
	}
	_ = held["[2001:db8:1:2::1]:1000"].Close()
	_ = held["[2001:db8:1:2::1]:1000"].Close() // once only
	if n := c.Count(Client(netip.MustParseAddr("2001:db8:1:2::5"))); n != 1 {
		t.Fatalf("%d counted after one of two closed, twice", n)
	}
}
