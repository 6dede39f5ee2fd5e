// Package rawsock reads and writes sockets with raw system calls: UDP
// sockets (Socket, PacketConn) and TCP connections (StreamConn).
//
// Go's net package makes each read and write a system call the scheduler
// knows of (syscall.Syscall). On a quiet server that costs more than the
// call: the first such call after the process was idle wakes the
// runtime's monitor thread (sysmon), which then polls every 20 µs for a
// while and, at GOMAXPROCS=1, takes the P from a call it sees twice and
// starts another thread to run it. A media server that forwards a few
// hundred packets a second goes idle and wakes a few hundred times a
// second; a perf profile of Plenum forwarding to 80 subscribers on one
// core put 18 % of its CPU in those wakeups and thread switches
// (docs/performance.md, fifth pass). BenchmarkWokenRead shows it alone:
// on one core of the machine there, a datagram read after an idle spell
// costs the process about 40 µs of CPU through the net package and 20
// through a Socket.
//
// With MSG_DONTWAIT, recvfrom(2), sendto(2) and sendmmsg(2) on a UDP
// socket do not wait for data or buffer space: they answer EAGAIN, and
// the netpoller waits. So a Socket makes them raw (unix.RawSyscall6)
// inside syscall.RawConn's Read and Write, which keep the socket's
// deadlines and its Close. The kernel may still take its time inside a
// call (on loopback a sendmmsg delivers its datagrams to the receivers,
// tens of microseconds for a fan-out; memory pressure can make it
// reclaim), and meanwhile the goroutine keeps its P: a garbage
// collection's stop-the-world waits for the call, where with several Ps
// a scheduler-visible call would have let the others run on. That is the
// trade: on the one or two cores of a small server, the wakeups cost far
// more. Elsewhere than Linux a Socket uses the net package's calls.
package rawsock

import (
	"net"
	"net/netip"
)

// PacketConn is a UDP socket whose ReadFrom and WriteTo are a Socket's:
// a net.PacketConn for code (pion/turn's) that takes one.
type PacketConn struct {
	*net.UDPConn
	s *Socket
}

// NewPacketConn wraps c, which it owns from now on.
func NewPacketConn(c *net.UDPConn) (*PacketConn, error) {
	s, err := New(c)
	if err != nil {
		return nil, err
	}
	return &PacketConn{UDPConn: c, s: s}, nil
}

// ReadFrom reads one datagram.
func (c *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.s.ReadFrom(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// WriteTo sends one datagram to addr, a *net.UDPAddr.
func (c *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: net.InvalidAddrError("not a UDP address")}
	}
	return c.s.WriteTo(b, ua.AddrPort())
}

// ReadFromAddrPort reads one datagram, as pion's ICE mux prefers.
func (c *PacketConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.s.ReadFrom(b)
}

// WriteToAddrPort sends one datagram.
func (c *PacketConn) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	return c.s.WriteTo(b, to)
}

var _ net.PacketConn = (*PacketConn)(nil)

// Listen opens a UDP socket ("udp", "udp4" or "udp6") on address, as
// net.ListenPacket does, as a PacketConn.
func Listen(network, address string) (*PacketConn, error) {
	c, err := net.ListenPacket(network, address) //nolint:noctx // as net.ListenPacket
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UDPConn)
	if !ok {
		_ = c.Close()
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	pc, err := NewPacketConn(uc)
	if err != nil {
		_ = uc.Close()
		return nil, err
	}
	return pc, nil
}

// ListenTCP opens a TCP listener ("tcp", "tcp4" or "tcp6") on address,
// as net.Listen does, whose connections are StreamConns.
func ListenTCP(network, address string) (Listener, error) {
	addr, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return Listener{}, err
	}
	ln, err := net.ListenTCP(network, addr)
	if err != nil {
		return Listener{}, err
	}
	return Listener{TCPListener: ln}, nil
}
