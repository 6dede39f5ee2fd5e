package sfu

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The media socket's calls are raw: neither sendmmsg(2) nor recvfrom(2)
// can block on this non-blocking socket (they answer EAGAIN, and the
// netpoller waits), so they need not tell the Go scheduler they enter a
// system call. Telling it costs more than the call on a quiet server:
// the first such call after the process was idle wakes the runtime's
// monitor thread (sysmon), which then polls every 20 µs for a while, and
// at GOMAXPROCS=1 it takes the P from a sendmmsg that lasts two of its
// polls (one fan-out on loopback does) and starts another thread. A
// profile of 4x20 on one core (perf, docs/performance.md) put 18 % of
// the server's CPU in those wakeups and thread switches.

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
// with recvfrom(2).
type mmsgSender struct {
	raw syscall.RawConn
	v6  bool // the socket is AF_INET6

	reading sync.Mutex // one read at a time uses what follows
	read    func(fd uintptr) bool
	rbuf    []byte
	rn      int
	rerr    syscall.Errno
	from    unix.RawSockaddrAny
	fromLen uint32
}

func newSocketCalls(conn *net.UDPConn) (socketCalls, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	la, _ := conn.LocalAddr().(*net.UDPAddr)
	s := &mmsgSender{raw: raw, v6: la != nil && la.IP.To4() == nil}
	s.read = s.recvfrom
	return s, nil
}

func (s *mmsgSender) recv(b []byte) (int, netip.AddrPort, error) {
	if len(b) == 0 {
		return 0, netip.AddrPort{}, nil
	}
	s.reading.Lock()
	defer s.reading.Unlock()
	s.rbuf = b
	defer func() { s.rbuf = nil }()
	if err := s.raw.Read(s.read); err != nil {
		return 0, netip.AddrPort{}, err // closed, or past the deadline
	}
	if s.rerr != 0 {
		return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", s.rerr)}
	}
	return s.rn, s.fromAddrPort(), nil
}

// recvfrom reads one datagram into rbuf, as syscall.RawConn.Read wants:
// false means "wait until the socket is readable and call again".
func (s *mmsgSender) recvfrom(fd uintptr) bool {
	for {
		s.fromLen = unix.SizeofSockaddrAny
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.rbuf[0])), uintptr(len(s.rbuf)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&s.from)), uintptr(unsafe.Pointer(&s.fromLen)))
		switch errno {
		case 0:
			s.rn, s.rerr = int(n), 0
			return true
		case unix.EAGAIN:
			return false
		case unix.EINTR:
			continue
		default:
			s.rn, s.rerr = 0, errno
			return true
		}
	}
}

// fromAddrPort is the sender of the datagram just read, as the net
// package gives it (an IPv4 sender of an IPv6 socket as ::ffff:a.b.c.d).
func (s *mmsgSender) fromAddrPort() netip.AddrPort {
	switch s.from.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.from))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&s.from))
		addr := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			addr = addr.WithZone(zoneName(sa.Scope_id))
		}
		return netip.AddrPortFrom(addr, ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

// zoneName names an IPv6 scope as the net package does: by its
// interface's name, else its number.
func zoneName(id uint32) string {
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
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
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd,
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

// ntohs reads a port that a sockaddr field holds in network byte order.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
