package turn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

const (
	// tlsHandshakeTimeout bounds a TURN-over-TLS handshake.
	tlsHandshakeTimeout = 10 * time.Second
	// maxPendingHandshakes bounds concurrent TLS handshakes; further
	// connections are closed at once.
	maxPendingHandshakes = 256
)

// turnPacketConn is the TURN UDP socket as pion sees it. It charges relayed
// data sent to clients to the bandwidth budget and reports when pion's read
// loop has ended.
type turnPacketConn struct {
	net.PacketConn
	bw       *bandwidth
	exited   chan struct{}
	exitOnce sync.Once
}

// ReadFrom reads a client datagram; pion ends its read loop on any error.
func (c *turnPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if err != nil {
		c.exitOnce.Do(func() { close(c.exited) })
	}

	return n, addr, err
}

// WriteTo sends to a client, dropping relayed data over the budget.
func (c *turnPacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if isRelayedData(p) && !c.bw.allow(len(p)) {
		return len(p), nil
	}

	return c.PacketConn.WriteTo(p, addr)
}

// connTracker holds the TCP/TLS client connections handed to pion, so that
// Close can end them (pion does not) and wait until pion has let go of them.
type connTracker struct {
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func newConnTracker() *connTracker {
	return &connTracker{conns: map[*trackedConn]struct{}{}}
}

// add registers c; it reports false once the tracker is closed.
func (t *connTracker) add(c *trackedConn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	t.wg.Add(1)

	return true
}

func (t *connTracker) remove(c *trackedConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.conns[c]; ok {
		delete(t.conns, c)
		t.wg.Done()
	}
}

// closeAll refuses new connections and closes the sockets of the current
// ones, which makes pion's per-connection loops end and call Close.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	t.closed = true
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.raw.Close()
	}
}

// trackedConn is a client TCP (or TLS) connection as pion sees it.
type trackedConn struct {
	net.Conn          // what pion reads and writes: the TCP conn or the *tls.Conn over it
	raw      net.Conn // the TCP socket
	t        *connTracker
	bw       *bandwidth
}

// Write sends one TURN frame to the client (pion writes whole frames),
// dropping relayed data over the budget.
func (c *trackedConn) Write(p []byte) (int, error) {
	if isRelayedData(p) && !c.bw.allow(len(p)) {
		return len(p), nil
	}

	return c.Conn.Write(p)
}

// Close is called by pion when it is done with the connection.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	_ = c.raw.Close()
	c.t.remove(c)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}

	return err
}

// tcpListener is a TURN TCP or TLS listener as pion sees it. It survives
// transient accept errors (pion stops serving at the first Accept error),
// tracks connections, and for TLS completes handshakes concurrently with a
// timeout before pion sees the connection.
type tcpListener struct {
	net.Listener
	srv       *Server
	tlsConfig *tls.Config

	ready     chan *trackedConn // handshaken TLS connections
	done      chan struct{}
	ctx       context.Context //nolint:containedctx // cancels handshakes on Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	pending   chan struct{} // semaphore of running handshakes
	closeOnce sync.Once
}

func newTCPListener(ln net.Listener, srv *Server, tlsConfig *tls.Config) *tcpListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &tcpListener{
		Listener: ln, srv: srv, tlsConfig: tlsConfig,
		ready: make(chan *trackedConn), done: make(chan struct{}),
		ctx: ctx, cancel: cancel, pending: make(chan struct{}, maxPendingHandshakes),
	}
	if tlsConfig != nil {
		l.wg.Add(1)
		go l.acceptTLS()
	}

	return l
}

// Accept returns the next client connection for pion.
func (l *tcpListener) Accept() (net.Conn, error) {
	var c *trackedConn
	if l.tlsConfig == nil {
		raw, err := l.acceptRaw()
		if err != nil {
			return nil, err
		}
		c = &trackedConn{Conn: raw, raw: raw}
	} else {
		select {
		case c = <-l.ready:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c.t, c.bw = l.srv.conns, l.srv.bw
	if !l.srv.conns.add(c) {
		_ = c.raw.Close()

		return nil, net.ErrClosed
	}

	return c, nil
}

// acceptRaw accepts a TCP connection, retrying transient errors (such as
// EMFILE) with a bounded backoff until the listener is closed.
func (l *tcpListener) acceptRaw() (net.Conn, error) {
	backoff := 5 * time.Millisecond
	for {
		conn, err := l.Listener.Accept()
		if err == nil {
			return conn, nil
		}
		select {
		case <-l.done:
			return nil, net.ErrClosed
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		l.srv.log.Warn("turn: accept failed, retrying", "addr", l.Addr().String(), "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-l.done:
			return nil, net.ErrClosed
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (l *tcpListener) acceptTLS() {
	defer l.wg.Done()
	for {
		raw, err := l.acceptRaw()
		if err != nil {
			return
		}
		select {
		case l.pending <- struct{}{}:
		default:
			l.srv.log.Warn("turn: too many pending TLS handshakes, connection closed", "client", addrString(raw.RemoteAddr()))
			_ = raw.Close()

			continue
		}
		l.wg.Add(1)
		go l.handshake(raw)
	}
}

func (l *tcpListener) handshake(raw net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.pending }()
	ctx, cancel := context.WithTimeout(l.ctx, tlsHandshakeTimeout)
	defer cancel()
	tc := tls.Server(raw, l.tlsConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		l.srv.log.Debug("turn: TLS handshake failed", "client", addrString(raw.RemoteAddr()), "err", err)
		_ = raw.Close()

		return
	}
	select {
	case l.ready <- &trackedConn{Conn: tc, raw: raw}:
	case <-l.done:
		_ = raw.Close()
	}
}

// Close stops accepting and waits for the accept and handshake goroutines.
func (l *tcpListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		l.cancel()
		err = l.Listener.Close()
		l.wg.Wait()
	})

	return err
}
