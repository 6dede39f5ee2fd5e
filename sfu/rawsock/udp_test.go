package rawsock

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// pair opens a PacketConn and a plain socket on the loopback address ip.
func pair(t *testing.T, ip string) (*PacketConn, *net.UDPConn) {
	t.Helper()
	c, err := Listen("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = peer.Close() })
	return c, peer
}

func TestReadsAndWritesBothWaysWithTheRightAddresses(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		c, peer := pair(t, ip)
		peerAddr := peer.LocalAddr().(*net.UDPAddr).AddrPort()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_ = peer.SetDeadline(time.Now().Add(10 * time.Second))
		buf, reply := make([]byte, 1500), []byte("from plenum")
		const rounds = 20
		for range rounds + 1 { // AllocsPerRun runs once more to warm up
			if _, err := peer.WriteToUDPAddrPort([]byte("to plenum"), c.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(rounds, func() {
			n, from, err := c.ReadFromAddrPort(buf)
			if err != nil || string(buf[:n]) != "to plenum" || from != peerAddr {
				t.Fatalf("%s: read %q from %v (%v), want from %v", ip, buf[:n], from, err, peerAddr)
			}
			if n, err := c.WriteToAddrPort(reply, from); err != nil || n != 11 {
				t.Fatalf("%s: wrote %d: %v", ip, n, err)
			}
		})
		if allocs > 0 {
			t.Errorf("%s: %v allocations per read and write", ip, allocs)
		}
		for range rounds + 1 {
			n, from, err := peer.ReadFromUDPAddrPort(buf)
			if err != nil || string(buf[:n]) != "from plenum" || from != c.LocalAddr().(*net.UDPAddr).AddrPort() {
				t.Fatalf("%s: the peer read %q from %v: %v", ip, buf[:n], from, err)
			}
		}
		// The net.PacketConn methods, as pion/turn uses them.
		if _, err := c.WriteTo([]byte("x"), peer.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := peer.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.WriteTo([]byte("y"), c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if n, from, err := c.ReadFrom(buf); err != nil || n != 1 || from.String() != peer.LocalAddr().String() {
			t.Fatalf("%s: ReadFrom %d from %v: %v", ip, n, from, err)
		}
	}
}

func TestAnIPv4SocketRefusesAnIPv6DestinationAndGoesOn(t *testing.T) {
	c, peer := pair(t, "127.0.0.1")
	if _, err := c.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort("[2001:db8::1]:9")); err == nil {
		t.Fatal("an IPv6 destination was accepted by an IPv4 socket")
	}
	// An IPv4 address in its IPv6 form is still IPv4.
	to := netip.AddrPortFrom(netip.AddrFrom16(netip.MustParseAddr("127.0.0.1").As16()), peer.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	if _, err := c.WriteToAddrPort([]byte("ok"), to); err != nil {
		t.Fatal(err)
	}
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 10)
	if n, _, err := peer.ReadFrom(buf); err != nil || string(buf[:n]) != "ok" {
		t.Fatalf("read %q: %v", buf[:n], err)
	}
	if _, err := c.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); err == nil {
		t.Fatal("a TCP address was accepted")
	}
}

func TestAReadEndsAtItsDeadlineAndAtClose(t *testing.T) {
	c, _ := pair(t, "127.0.0.1")
	buf := make([]byte, 1500)
	readEndsAtDeadlineAndAtClose(t, c, func() error {
		_, _, err := c.ReadFromAddrPort(buf)
		return err
	})
	if _, err := c.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort("127.0.0.1:9")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v, want net.ErrClosed", err)
	}
}

// readEndsAtDeadlineAndAtClose checks that read, which reads c, gives a
// timeout past c's read deadline, and net.ErrClosed when c is closed
// while it waits; c is closed at the end.
func readEndsAtDeadlineAndAtClose(t *testing.T, c interface {
	SetReadDeadline(time.Time) error
	Close() error
}, read func() error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var ne net.Error
	if err := read(); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { done <- read() }()
	time.Sleep(20 * time.Millisecond)
	_ = c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read went on after the socket was closed")
	}
}

func TestAnEmptyReadDropsTheDatagram(t *testing.T) {
	c, peer := pair(t, "127.0.0.1")
	to := c.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, m := range []string{"dropped", "kept"} {
		if _, err := peer.WriteToUDPAddrPort([]byte(m), to); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, from, err := c.ReadFromAddrPort(nil); err != nil || n != 0 || from != peer.LocalAddr().(*net.UDPAddr).AddrPort() {
		t.Fatalf("empty read: %d from %v: %v", n, from, err)
	}
	buf := make([]byte, 10)
	if n, _, err := c.ReadFromAddrPort(buf); err != nil || string(buf[:n]) != "kept" {
		t.Fatalf("read %q: %v", buf[:n], err)
	}
}
