package rawsock

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// StreamConn is a TCP connection whose Read and Write are raw calls:
// media over TCP (ICE-TCP, RFC 6544) reads and writes a few hundred
// times a second per participant, as UDP does. The methods it takes from
// net.TCPConn (ReadFrom and WriteTo for io.Copy among them) make the net
// package's calls; the descriptor's own locks still keep them in turn.
type StreamConn struct {
	*net.TCPConn
	raw syscall.RawConn

	reading sync.Mutex // one read at a time uses what follows
	read    func(fd uintptr) bool
	rbuf    []byte
	rn      int
	rerr    syscall.Errno

	writing sync.Mutex // one write at a time uses what follows
	write   func(fd uintptr) bool
	wbuf    []byte
	wn      int
	werr    syscall.Errno
}

// NewStreamConn wraps c, which it owns from now on.
func NewStreamConn(c *net.TCPConn) (*StreamConn, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &StreamConn{TCPConn: c, raw: raw}
	s.read, s.write = s.recv, s.send
	return s, nil
}

// Read reads what has arrived, up to len(b), waiting for something as
// the connection's reads do; io.EOF once the peer has closed.
func (s *StreamConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		// Nothing to read, but a closed connection still says so.
		return 0, s.raw.Read(func(uintptr) bool { return true })
	}
	s.reading.Lock()
	defer s.reading.Unlock()
	s.rbuf = b
	defer func() { s.rbuf = nil }()
	if err := s.raw.Read(s.read); err != nil {
		return 0, err
	}
	switch {
	case s.rerr != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: os.NewSyscallError("read", s.rerr)}
	case s.rn == 0:
		return 0, io.EOF
	}
	return s.rn, nil
}

func (s *StreamConn) recv(fd uintptr) bool {
	n, errno, done := Retry(func() (uintptr, syscall.Errno) {
		// recvfrom with MSG_DONTWAIT, not read: it cannot wait even if the
		// descriptor were ever made blocking.
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.rbuf[0])), uintptr(len(s.rbuf)),
			unix.MSG_DONTWAIT, 0, 0)
		return n, errno
	})
	if errno != 0 {
		n = 0
	}
	s.rn, s.rerr = int(n), errno
	return done
}

// Write writes all of b, waiting while the socket's buffer is full as
// the connection's writes do.
func (s *StreamConn) Write(b []byte) (int, error) {
	s.writing.Lock()
	defer s.writing.Unlock()
	s.wbuf, s.wn, s.werr = b, 0, 0
	defer func() { s.wbuf = nil }()
	if err := s.raw.Write(s.write); err != nil {
		return s.wn, err
	}
	if s.werr != 0 {
		return s.wn, &net.OpError{Op: "write", Net: "tcp", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: os.NewSyscallError("write", s.werr)}
	}
	return s.wn, nil
}

// send writes from wn on, as syscall.RawConn.Write wants: false means
// "wait until the socket is writable and call again".
func (s *StreamConn) send(fd uintptr) bool {
	for s.wn < len(s.wbuf) {
		n, errno, done := Retry(func() (uintptr, syscall.Errno) {
			// MSG_NOSIGNAL: a peer gone must give EPIPE, not SIGPIPE.
			n, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&s.wbuf[s.wn])), uintptr(len(s.wbuf)-s.wn),
				unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
			return n, errno
		})
		switch {
		case !done:
			return false
		case errno != 0:
			s.werr = errno
			return true
		case n == 0: // never for TCP; but a loop must not spin holding its P
			s.werr = unix.EIO
			return true
		}
		s.wn += int(n)
	}
	return true
}

// Listener accepts TCP connections as StreamConns.
type Listener struct {
	*net.TCPListener
}

// Accept waits for the next connection.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	s, err := NewStreamConn(c)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return s, nil
}
