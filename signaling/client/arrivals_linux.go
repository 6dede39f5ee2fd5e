package client

import (
	"encoding/binary"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// stampArrivals asks the kernel to timestamp each datagram c receives
// (SO_TIMESTAMPNS, the realtime clock, as send times are stamped).
func stampArrivals(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	})
}

// coalesceArrivals asks the kernel to coalesce runs of datagrams from
// one sender into one read (UDP_GRO), and reports whether it will.
func coalesceArrivals(c *net.UDPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_UDP, unix.UDP_GRO, 1)
	}); err != nil {
		return false
	}
	return serr == nil
}

// coalescedSegment is the size of each datagram of a coalesced read (the
// last may be shorter), from its control messages oob, or 0.
func coalescedSegment(oob []byte) int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_UDP && m.Header.Type == unix.UDP_GRO {
			switch len(m.Data) {
			case 2:
				return int(binary.NativeEndian.Uint16(m.Data))
			case 4, 8:
				return int(binary.NativeEndian.Uint32(m.Data))
			}
		}
	}
	return 0
}

// kernelTimestamp is the receive time, in unix nanoseconds, that the
// control messages oob carry, or 0.
func kernelTimestamp(oob []byte) int64 {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
			return sec*1e9 + nsec
		}
	}
	return 0
}
