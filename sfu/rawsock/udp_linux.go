package rawsock

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket reads and writes one non-blocking UDP socket with raw system
// calls. Reads may come from several goroutines, and writes too; each
// side takes its turn with its scratch.
type Socket struct {
	raw syscall.RawConn
	v6  bool // the socket is AF_INET6

	reading sync.Mutex // one read at a time uses what follows
	read    func(fd uintptr) bool
	rbuf    []byte
	rn      int
	rerr    syscall.Errno
	from    unix.RawSockaddrAny
	fromLen uint32
	discard [1]byte

	writing sync.Mutex // one write at a time uses what follows
	write   func(fd uintptr) bool
	wbuf    []byte
	werr    syscall.Errno
	to4     unix.RawSockaddrInet4
	to6     unix.RawSockaddrInet6
	toLen   uint32
	toPtr   unsafe.Pointer
}

// New makes a Socket of c, which keeps c's deadlines and whose calls end
// when c is closed.
func New(c *net.UDPConn) (*Socket, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	la, _ := c.LocalAddr().(*net.UDPAddr)
	s := &Socket{raw: raw, v6: la != nil && la.IP.To4() == nil}
	s.read, s.write = s.recvfrom, s.sendto
	return s, nil
}

// IPv6 reports whether the socket is an IPv6 one (which takes IPv4
// addresses in their ::ffff: form).
func (s *Socket) IPv6() bool { return s.v6 }

// ReadFrom reads one datagram into b, waiting as the socket's reads do.
// An IPv4 sender of an IPv6 socket comes as ::ffff:a.b.c.d, as the net
// package gives it.
func (s *Socket) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	s.reading.Lock()
	defer s.reading.Unlock()
	s.rbuf = b
	if len(b) == 0 { // the datagram is read and dropped, as by the net package
		s.rbuf = s.discard[:]
	}
	defer func() { s.rbuf = nil }()
	if err := s.raw.Read(s.read); err != nil {
		return 0, netip.AddrPort{}, err // closed, or past the deadline
	}
	if s.rerr != 0 {
		return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", s.rerr)}
	}
	return min(s.rn, len(b)), s.fromAddrPort(), nil
}

// recvfrom reads one datagram into rbuf, as syscall.RawConn.Read wants:
// false means "wait until the socket is readable and call again".
func (s *Socket) recvfrom(fd uintptr) bool {
	n, errno, done := Retry(func() (uintptr, syscall.Errno) {
		s.fromLen = unix.SizeofSockaddrAny
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.rbuf[0])), uintptr(len(s.rbuf)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&s.from)), uintptr(unsafe.Pointer(&s.fromLen)))
		return n, errno
	})
	if errno != 0 {
		n = 0
	}
	s.rn, s.rerr = int(n), errno
	return done
}

// Retry makes call, one raw system call on a non-blocking socket, again
// if a signal interrupted it. done false means the socket would block:
// wait for it, as syscall.RawConn's Read and Write do when their function
// returns false, and call again. (call itself converts its pointers to
// uintptr in RawSyscall6's argument list, where Go keeps what they point
// to alive and in place.)
func Retry(call func() (uintptr, syscall.Errno)) (r uintptr, errno syscall.Errno, done bool) {
	for {
		r, errno = call()
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, 0, false
		}
		return r, errno, true
	}
}

func (s *Socket) fromAddrPort() netip.AddrPort {
	switch s.from.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.from))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&s.from))
		addr := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			addr = addr.WithZone(zones.name(sa.Scope_id))
		}
		return netip.AddrPortFrom(addr, ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

// errFamily is a destination the socket's address family cannot reach.
var errFamily = errors.New("an IPv6 destination for an IPv4 socket")

// WriteTo sends b to one destination, waiting while the socket's buffer
// is full as the socket's writes do.
func (s *Socket) WriteTo(b []byte, to netip.AddrPort) (int, error) {
	s.writing.Lock()
	defer s.writing.Unlock()
	if err := s.setDestination(to); err != nil {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: net.UDPAddrFromAddrPort(to), Err: err}
	}
	s.wbuf = b
	defer func() { s.wbuf = nil }()
	if err := s.raw.Write(s.write); err != nil {
		return 0, err
	}
	if s.werr != 0 {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: net.UDPAddrFromAddrPort(to), Err: os.NewSyscallError("sendto", s.werr)}
	}
	return len(b), nil
}

// SetSockaddr fills one sockaddr of the socket's family for to, as
// sendto(2) and sendmmsg(2) take it, and returns where it is and its
// length: sa4 for an IPv4 socket, sa6 for an IPv6 one.
func (s *Socket) SetSockaddr(to netip.AddrPort, sa4 *unix.RawSockaddrInet4, sa6 *unix.RawSockaddrInet6) (unsafe.Pointer, uint32, error) {
	if s.v6 {
		sa6.Family = unix.AF_INET6
		sa6.Port = htons(to.Port())
		sa6.Addr = to.Addr().As16() // an IPv4 address in its ::ffff: form
		sa6.Scope_id = 0
		if z := to.Addr().Zone(); z != "" {
			sa6.Scope_id = zones.index(z)
		}
		return unsafe.Pointer(sa6), unix.SizeofSockaddrInet6, nil
	}
	addr := to.Addr().Unmap()
	if !addr.Is4() {
		return nil, 0, errFamily
	}
	sa4.Family = unix.AF_INET
	sa4.Port = htons(to.Port())
	sa4.Addr = addr.As4()
	return unsafe.Pointer(sa4), unix.SizeofSockaddrInet4, nil
}

func (s *Socket) setDestination(to netip.AddrPort) error {
	p, n, err := s.SetSockaddr(to, &s.to4, &s.to6)
	s.toPtr, s.toLen = p, n
	return err
}

// sendto sends wbuf, as syscall.RawConn.Write wants.
func (s *Socket) sendto(fd uintptr) bool {
	var p *byte
	if len(s.wbuf) > 0 {
		p = &s.wbuf[0]
	}
	_, errno, done := Retry(func() (uintptr, syscall.Errno) {
		_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(p)), uintptr(len(s.wbuf)),
			unix.MSG_DONTWAIT, uintptr(s.toPtr), uintptr(s.toLen))
		return 0, errno
	})
	s.werr = errno
	return done
}

// htons puts a port in network byte order as a sockaddr holds it.
func htons(p uint16) uint16 {
	var b [2]byte
	b[0], b[1] = byte(p>>8), byte(p)
	return *(*uint16)(unsafe.Pointer(&b))
}

// ntohs reads a port that a sockaddr holds in network byte order.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
