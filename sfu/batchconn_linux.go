package sfu

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/plenum-meet/plenum/sfu/rawsock"
)

// The media socket's calls are raw, as package rawsock explains: the
// reads are a rawsock.Socket's, and sendmmsg(2) is made the same way.

// sysBatch is a batch as sendmmsg(2) takes it: one header, one buffer
// and one address per datagram, all inside the batch so that a send
// allocates nothing.
type sysBatch struct {
	hdrs  [batchSize]unix.Mmsghdr
	iovs  [batchSize]unix.Iovec
	addr4 [batchSize]unix.RawSockaddrInet4
	addr6 [batchSize]unix.RawSockaddrInet6

	// For the call in progress.
	count, off, failed int
	write              func(fd uintptr) bool // bound to its batch once
}

// mmsgSender sends batches with sendmmsg(2) on one socket and reads
// with its rawsock.Socket.
type mmsgSender struct {
	raw  syscall.RawConn
	sock *rawsock.Socket
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
	return &mmsgSender{raw: raw, sock: sock}, nil
}

func (s *mmsgSender) recv(b []byte) (int, netip.AddrPort, error) { return s.sock.ReadFrom(b) }

func (s *mmsgSender) send(b *sendBatch) int {
	sb := &b.sys
	if sb.write == nil {
		sb.write = func(fd uintptr) bool { return sb.sendmmsg(fd) }
	}
	for i := range b.n {
		sb.iovs[i].Base = &b.data[i][0]
		sb.iovs[i].SetLen(b.lens[i])
		h := &sb.hdrs[i].Hdr
		h.Iov = &sb.iovs[i]
		h.SetIovlen(1)
		name, n, err := s.sock.SetSockaddr(b.addrs[i], &sb.addr4[i], &sb.addr6[i])
		if err != nil {
			name, n = nil, 0 // sendmmsg refuses it, and the rest go on
		}
		h.Name = (*byte)(name)
		h.Namelen = n
	}
	sb.count, sb.off, sb.failed = b.n, 0, 0
	if err := s.raw.Write(sb.write); err != nil {
		return sb.count - sb.off + sb.failed
	}
	return sb.failed
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
		default:
			// This datagram cannot go (an unreachable address, say): drop
			// it, as a failed sendto would, and send the rest.
			sb.off++
			sb.failed++
		}
	}
	return true
}
