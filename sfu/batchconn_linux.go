package sfu

import (
	"errors"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

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

// mmsgSender sends batches with sendmmsg(2) on one socket.
type mmsgSender struct {
	raw syscall.RawConn
	v6  bool // the socket is AF_INET6
}

func newBatchSender(conn *net.UDPConn) (batchSender, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	la, _ := conn.LocalAddr().(*net.UDPAddr)
	return &mmsgSender{raw: raw, v6: la != nil && la.IP.To4() == nil}, nil
}

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
		ap := b.addrs[i]
		port := ap.Port()
		if s.v6 {
			sa := &sb.addr6[i]
			sa.Family = unix.AF_INET6
			sa.Port = htons(port)
			sa.Addr = ap.Addr().As16()
			h.Name = (*byte)(unsafe.Pointer(sa))
			h.Namelen = unix.SizeofSockaddrInet6
		} else {
			sa := &sb.addr4[i]
			sa.Family = unix.AF_INET
			sa.Port = htons(port)
			sa.Addr = ap.Addr().Unmap().As4()
			h.Name = (*byte)(unsafe.Pointer(sa))
			h.Namelen = unix.SizeofSockaddrInet4
		}
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
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd,
			uintptr(unsafe.Pointer(&sb.hdrs[sb.off])), uintptr(sb.count-sb.off), 0, 0, 0)
		switch {
		case errno == 0:
			sb.off += int(n)
		case errors.Is(errno, unix.EAGAIN):
			return false
		case errors.Is(errno, unix.EINTR):
		default:
			// This datagram cannot go (an unreachable address, say): drop
			// it, as a failed sendto would, and send the rest.
			sb.off++
			sb.failed++
		}
	}
	return true
}

// htons puts a port in network byte order as the sockaddr field holds it.
func htons(p uint16) uint16 {
	var b [2]byte
	b[0], b[1] = byte(p>>8), byte(p)
	return *(*uint16)(unsafe.Pointer(&b))
}
