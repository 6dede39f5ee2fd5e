package sfu

import "net"

// NewBatchConnForBench wraps c as the engine wraps its media sockets and
// returns it with its flush, for the down-path benchmark.
func NewBatchConnForBench(c *net.UDPConn) (net.PacketConn, func()) {
	bc, err := newBatchConn(c)
	if err != nil {
		panic(err)
	}
	return bc, bc.Flush
}
