//go:build !linux

package rawsock

import (
	"net"
	"net/netip"
)

// Socket reads and writes one UDP socket through the net package.
type Socket struct{ c *net.UDPConn }

// New makes a Socket of c.
func New(c *net.UDPConn) (*Socket, error) { return &Socket{c}, nil }

// ReadFrom reads one datagram into b.
func (s *Socket) ReadFrom(b []byte) (int, netip.AddrPort, error) { return s.c.ReadFromUDPAddrPort(b) }

// WriteTo sends b to one destination.
func (s *Socket) WriteTo(b []byte, to netip.AddrPort) (int, error) {
	return s.c.WriteToUDPAddrPort(b, to)
}
