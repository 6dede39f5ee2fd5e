package turn

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync"
)

// sharedListener is the listener pion serves the TLS connections another
// port hands over (Config.SharedTLSPort, the HTTPS one): its Accept
// yields what ServeTLSConn is given.
type sharedListener struct {
	addr  net.Addr
	conns chan *trackedConn
	done  chan struct{}
	once  sync.Once
}

func newSharedListener(port int) *sharedListener {
	return &sharedListener{
		addr:  &net.TCPAddr{Port: port},
		conns: make(chan *trackedConn),
		done:  make(chan struct{}),
	}
}

// Accept returns the next handed-over connection, registered with the
// server's tracker so that Close ends it.
func (l *sharedListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		if !c.t.add(c) {
			_ = c.raw.Close()

			return nil, net.ErrClosed
		}

		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept, and ServeTLSConn, refuse from now on.
func (l *sharedListener) Close() error {
	l.once.Do(func() { close(l.done) })

	return nil
}

// Addr is the shared port, as far as it is known here.
func (l *sharedListener) Addr() net.Addr { return l.addr }

// ServeTLSConn serves TURN on a TLS connection accepted on another port
// (Config.SharedTLSPort), whose first bytes, peeked there to tell TURN
// from HTTPS, are given back as prefix. It returns at once if the
// server does not take such connections or is closed, having closed conn.
func (s *Server) ServeTLSConn(conn *tls.Conn, prefix []byte) {
	if s.shared == nil {
		_ = conn.Close()

		return
	}
	c := &trackedConn{Conn: &prefixedConn{Conn: conn, prefix: bytes.NewReader(prefix)}, raw: conn.NetConn(), t: s.conns, bw: s.bw}
	if ta, ok := c.raw.RemoteAddr().(*net.TCPAddr); ok {
		c.client = tcpClientKey(ta)
	}
	select {
	case s.shared.conns <- c:
	case <-s.shared.done:
		_ = conn.NetConn().Close()
	}
}

// prefixedConn reads prefix before what comes on Conn.
type prefixedConn struct {
	net.Conn
	prefix *bytes.Reader
}

// Read gives the peeked bytes back first.
func (c *prefixedConn) Read(p []byte) (int, error) {
	if c.prefix.Len() > 0 {
		n, _ := c.prefix.Read(p)

		return n, nil
	}

	return c.Conn.Read(p)
}
