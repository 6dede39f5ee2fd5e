package sfu

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/plenum-meet/plenum/sfu/rawsock"
)

// The media socket's calls are raw, as package rawsock explains: the
// reads are a rawsock.Socket's, and sendmmsg(2) is made the same way.

// sysBatch is a batch as sendmmsg(2) takes it: one header, address
// and control message per message, one buffer per datagram, all inside
// the batch so that a send allocates nothing.
type sysBatch struct {
	hdrs  [batchSize]unix.Mmsghdr
	iovs  [batchSize]unix.Iovec
	addr4 [batchSize]unix.RawSockaddrInet4
	addr6 [batchSize]unix.RawSockaddrInet6
	ctrl  [batchSize][segmentControlSpace]byte
	plan  segmentPlan

	// For the call in progress.
	batch              *sendBatch
	sender             *mmsgSender
	segmented          bool // the headers are the plan's messages
	count, off, failed int
	write              func(fd uintptr) bool // bound to its batch once
}

// segmentControlSpace is room for the UDP_SEGMENT control message, a
// cmsghdr and a uint16 (unix.CmsgSpace(2), at most 24 bytes).
const segmentControlSpace = 24

// segmentFailuresAllowed is how many segmented sends may fail because
// the socket or its route cannot segment (a device that cannot checksum
// them) before the socket sends every datagram alone; each failed one is
// sent again datagram by datagram.
const segmentFailuresAllowed = 8

// mmsgSender sends batches with sendmmsg(2) on one socket, segmenting
// where the kernel can, and reads with its rawsock.Socket.
type mmsgSender struct {
	raw  syscall.RawConn
	sock *rawsock.Socket

	segment         atomic.Bool // the kernel takes UDP_SEGMENT
	segmentFailures atomic.Int32
}

func newSocketCalls(conn *net.UDPConn) (socketCalls, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	sock, err := rawsock.New(conn)
	if err != nil {
		return nil, err
	}
	s := &mmsgSender{raw: raw, sock: sock}
	// Setting the socket's default segment size to none fails where the
	// kernel has no UDP GSO.
	_ = raw.Control(func(fd uintptr) {
		s.segment.Store(unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT, 0) == nil)
	})
	return s, nil
}

func (s *mmsgSender) recv(b []byte) (int, netip.AddrPort, error) { return s.sock.ReadFrom(b) }

func (s *mmsgSender) send(b *sendBatch) int {
	sb := &b.sys
	if sb.write == nil {
		sb.write = func(fd uintptr) bool { return sb.sendmmsg(fd) }
	}
	sb.batch, sb.sender = b, s
	sb.segmented = s.segment.Load()
	sb.plan.make(b, sb.segmented)
	for j := range b.n {
		i := sb.plan.order[j]
		sb.iovs[j].Base = &b.data[i][0]
		sb.iovs[j].SetLen(b.lens[i])
	}
	for k := range sb.plan.n {
		m := &sb.plan.msgs[k]
		sb.setHeader(k, m.start, m.count, m.size)
	}
	sb.count, sb.off, sb.failed = sb.plan.n, 0, 0
	err := s.raw.Write(sb.write)
	b.sends = sb.count
	if err != nil {
		return sb.unsent()
	}
	return sb.failed
}

// setHeader makes header k the message of the count datagrams from
// iovs[start] on, cut at size bytes when there are several.
func (sb *sysBatch) setHeader(k, start, count, size int) {
	h := &sb.hdrs[k].Hdr
	h.Iov = &sb.iovs[start]
	h.SetIovlen(count)
	to := sb.batch.addrs[sb.plan.order[start]]
	name, n, err := sb.sender.sock.SetSockaddr(to, &sb.addr4[k], &sb.addr6[k])
	if err != nil {
		name, n = nil, 0 // sendmmsg refuses it, and the rest go on
	}
	h.Name = (*byte)(name)
	h.Namelen = n
	h.Control, h.Controllen = nil, 0
	if count > 1 {
		c := sb.ctrl[k][:]
		cm := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
		cm.Level, cm.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
		cm.SetLen(unix.CmsgLen(2))
		*(*uint16)(unsafe.Pointer(&c[unix.CmsgLen(0)])) = uint16(size)
		h.Control = &c[0]
		h.SetControllen(unix.CmsgSpace(2))
	}
}

// datagrams is how many datagrams header k carries.
func (sb *sysBatch) datagrams(k int) int {
	if sb.segmented {
		return sb.plan.msgs[k].count
	}
	return 1
}

// unsent counts the datagrams of the headers not sent, and those failed.
func (sb *sysBatch) unsent() int {
	n := sb.failed
	for k := sb.off; k < sb.count; k++ {
		n += sb.datagrams(k)
	}
	return n
}

// unsegment makes every datagram from header off on a message of its
// own: a segmented send failed.
func (sb *sysBatch) unsegment() {
	start := sb.plan.msgs[sb.off].start
	for j := start; j < sb.batch.n; j++ {
		sb.setHeader(sb.off+j-start, j, 1, 0)
	}
	sb.count = sb.off + sb.batch.n - start
	sb.segmented = false
}

// sendmmsg sends from off on, as syscall.RawConn.Write wants: false
// means "wait until the socket is writable and call again".
func (sb *sysBatch) sendmmsg(fd uintptr) bool {
	for sb.off < sb.count {
		n, errno, done := rawsock.Retry(func() (uintptr, syscall.Errno) {
			n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd,
				uintptr(unsafe.Pointer(&sb.hdrs[sb.off])), uintptr(sb.count-sb.off), unix.MSG_DONTWAIT, 0, 0)
			return n, errno
		})
		switch {
		case !done:
			return false
		case errno == 0:
			sb.off += int(n)
		case sb.datagrams(sb.off) > 1:
			// Send the rest alone: then only what cannot go is dropped.
			// EINVAL and EIO say the socket or its route cannot segment
			// (no checksums, none offloaded); if that keeps happening,
			// stop segmenting on this socket. EMSGSIZE (one subscriber's
			// route has a smaller MTU) and the rest are not its fault.
			if errno == unix.EINVAL || errno == unix.EIO {
				if sb.sender.segmentFailures.Add(1) >= segmentFailuresAllowed {
					sb.sender.segment.Store(false)
				}
			}
			sb.unsegment()
		default:
			// This datagram cannot go (an unreachable address, say): drop
			// it, as a failed sendto would, and send the rest.
			sb.off++
			sb.failed++
		}
	}
	return true
}
