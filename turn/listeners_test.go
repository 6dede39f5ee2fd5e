package turn

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu/netlimit"
)

// closedByServer reports whether the server closed c within d.
func closedByServer(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

func dialTCPFrom(t *testing.T, s *Server, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitCounted waits until the server counts n connections from ip.
func waitCounted(t *testing.T, s *Server, ip netip.Addr, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got := s.perIP.Count(netlimit.Client(ip))
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server counts %d connections from %v, want %d", got, ip, n)
		}
	}
}

func TestTCPConnectionsOfOneAddressAreCapped(t *testing.T) {
	was := maxConnsPerIP
	t.Cleanup(func() { maxConnsPerIP = was }) // after the server's Close, registered later
	maxConnsPerIP = 4
	s := newTestServer(t, func(c *Config) { c.AllowPeers = []netip.Prefix{loopbackNet} })
	var held []net.Conn
	for range maxConnsPerIP {
		held = append(held, dialTCPFrom(t, s, "127.0.0.1"))
	}
	if over := dialTCPFrom(t, s, "127.0.0.1"); !closedByServer(over, 2*time.Second) {
		t.Fatal("a connection over the address's cap was kept")
	}
	// Another address is not held back.
	if other := dialTCPFrom(t, s, "127.0.0.2"); closedByServer(other, 200*time.Millisecond) {
		t.Fatal("another address's connection was closed")
	}
	// A place freed is reusable.
	_ = held[0].Close()
	time.Sleep(200 * time.Millisecond) // for the server to read the close
	c := dialTURN(t, s, "tcp", "alice")
	if got := c.pingPong(t, newUDPEcho(t).addr(), 1); got != 1 {
		t.Fatalf("%d of 1 echo through a connection in a freed place", got)
	}
}

// The cap holds for an address's TCP and TLS connections together, as
// SECURITY.md says, not for each listener.
func TestTheCapCountsTCPAndTLSConnectionsTogether(t *testing.T) {
	was := maxConnsPerIP
	t.Cleanup(func() { maxConnsPerIP = was }) // after the server's Close, registered later
	maxConnsPerIP = 4
	s := newTestServer(t, func(c *Config) { c.AllowPeers = []netip.Prefix{loopbackNet}; c.TLSConfig = testTLSConfig(t) })
	for range maxConnsPerIP {
		dialTCPFrom(t, s, "127.0.0.1")
	}
	// The two listeners accept independently: let the TCP one count its
	// connections before the TLS one is dialled.
	waitCounted(t, s, netip.MustParseAddr("127.0.0.1"), maxConnsPerIP)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}}
	over, err := d.Dial("tcp", s.TLSAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = over.Close() })
	if !closedByServer(over, 2*time.Second) {
		t.Fatal("a TLS connection over the address's cap, counting its TCP ones, was kept")
	}
}

func TestSilentTCPConnectionsAreClosed(t *testing.T) {
	was := firstFrameTimeout
	t.Cleanup(func() { firstFrameTimeout = was }) // after the server's Close, registered later
	firstFrameTimeout = 300 * time.Millisecond
	s := newTestServer(t, func(c *Config) { c.AllowPeers = []netip.Prefix{loopbackNet} })
	silent := dialTCPFrom(t, s, "127.0.0.1")
	if !closedByServer(silent, 3*time.Second) {
		t.Fatal("a connection that never sent a frame was kept")
	}
	// One that speaks keeps its connection past the first frame's wait.
	c := dialTURN(t, s, "tcp", "alice")
	time.Sleep(2 * firstFrameTimeout)
	if got := c.pingPong(t, newUDPEcho(t).addr(), 1); got != 1 {
		t.Fatalf("%d of 1 echo after the first frame's wait", got)
	}
}

// fakeListener hands out the connections put in conns.
type fakeListener struct {
	net.Listener
	conns chan net.Conn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}

func (l *fakeListener) Close() error { return nil }

// fakeConn is a connection from addr that records its closing.
type fakeConn struct {
	net.Conn
	addr   *net.TCPAddr
	closed chan struct{}
}

func newFakeConn(addr string) *fakeConn {
	return &fakeConn{addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(addr)), closed: make(chan struct{})}
}

func (c *fakeConn) RemoteAddr() net.Addr { return c.addr }
func (c *fakeConn) Close() error         { close(c.closed); return nil }

// An IPv6 client takes addresses of its /64 at will: they count as one,
// as SECURITY.md says of every per-address limit.
func TestTheCapCountsAnIPv6ClientByItsSlash64(t *testing.T) {
	was := maxConnsPerIP
	t.Cleanup(func() { maxConnsPerIP = was }) // after the server's Close, registered later
	maxConnsPerIP = 4
	s := newTestServer(t, nil)
	fake := &fakeListener{conns: make(chan net.Conn, maxConnsPerIP+2)}
	l := newTCPListener(fake, s, nil)
	t.Cleanup(func() { _ = l.Close() })
	for i := range maxConnsPerIP {
		fake.conns <- newFakeConn(fmt.Sprintf("[2001:db8:1:2::%x]:40000", i+1))
	}
	over := newFakeConn("[2001:db8:1:2::ffff]:40000")
	other := newFakeConn("[2001:db8:1:3::1]:40000")
	fake.conns <- over
	fake.conns <- other
	for i := range maxConnsPerIP {
		if _, err := l.acceptRaw(); err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
	}
	conn, err := l.acceptRaw()
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := netlimit.RemoteAddr(conn); a != other.addr.AddrPort().Addr() {
		t.Fatalf("accepted a connection from %v, want the next one, from another /64", a)
	}
	select {
	case <-over.closed:
	default:
		t.Fatal("a connection from another address of a full /64 was kept")
	}
}
