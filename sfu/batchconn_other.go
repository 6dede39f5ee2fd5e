//go:build !linux

package sfu

import (
	"net"
	"net/netip"
)

// sysBatch is empty where datagrams are sent one by one.
type sysBatch struct{}

// oneByOne sends a batch one datagram at a time (no sendmmsg here).
type oneByOne struct{ conn *net.UDPConn }

func newSocketCalls(conn *net.UDPConn) (socketCalls, error) { return oneByOne{conn}, nil }

func (s oneByOne) recv(b []byte) (int, netip.AddrPort, error) { return s.conn.ReadFromUDPAddrPort(b) }

func (s oneByOne) send(b *sendBatch) int {
	failed := 0
	b.sends = b.n
	for i := range b.n {
		if _, err := s.conn.WriteToUDPAddrPort(b.data[i][:b.lens[i]], b.addrs[i]); err != nil {
			failed++
		}
	}
	return failed
}
