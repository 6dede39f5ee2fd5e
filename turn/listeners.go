package turn

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/plenum-meet/plenum/sfu/netlimit"
)

const (
	// tlsHandshakeTimeout bounds a TURN-over-TLS handshake.
	tlsHandshakeTimeout = 10 * time.Second
	// maxPendingHandshakes bounds concurrent TLS handshakes; further
	// connections are closed at once.
	maxPendingHandshakes = 256
	// idleTimeout closes a TCP or TLS connection that carried nothing
	// for longer than an allocation lives without a refresh (ten
	// minutes, pion's default; clients refresh well before).
	idleTimeout = 11 * time.Minute
)

// Limits on TCP and TLS connections that hold a socket, a goroutine and
// a buffer each, so that idle or half-open ones from one address can
// neither exhaust the process' file descriptors nor fill the handshake
// slots. Variables for the tests.
var (
	// maxConnsPerIP bounds one address's TCP and TLS connections,
	// handshakes included (an IPv6 client's by its /64, see netlimit).
	// A participant's browser opens one or two (TCP, TLS) for each of
	// its two peer connections, and a whole office may share an address.
	maxConnsPerIP = 64
	// firstFrameTimeout bounds the wait for a connection's first TURN
	// frame (after its TLS handshake): a client that connects asks at
	// once.
	firstFrameTimeout = 10 * time.Second
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
	if isRelayedData(p) {
		var client clientKey
		if ua, ok := addr.(*net.UDPAddr); ok {
			client = udpClientKey(ua)
		}
		if !c.bw.allowToClient(client, len(p)) {
			return len(p), nil
		}
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
	client   clientKey // the remote address, as pion's allocations know it
	spoke    bool      // a frame came: pion's one reader alone uses it
}

// Read reads for pion, which sets no deadline: the first frame must come
// within firstFrameTimeout, each later one within idleTimeout.
func (c *trackedConn) Read(p []byte) (int, error) {
	wait := idleTimeout
	if !c.spoke {
		wait = firstFrameTimeout
	}
	_ = c.raw.SetReadDeadline(time.Now().Add(wait))
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.spoke = true
	}

	return n, err
}

// Write sends one TURN frame to the client (pion writes whole frames),
// dropping relayed data over the budget.
func (c *trackedConn) Write(p []byte) (int, error) {
	if isRelayedData(p) && !c.bw.allowToClient(c.client, len(p)) {
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
	perIP     *netlimit.Conns
	closeOnce sync.Once
}

func newTCPListener(ln net.Listener, srv *Server, tlsConfig *tls.Config) *tcpListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &tcpListener{
		Listener: ln, srv: srv, tlsConfig: tlsConfig,
		ready: make(chan *trackedConn), done: make(chan struct{}),
		ctx: ctx, cancel: cancel, pending: make(chan struct{}, maxPendingHandshakes),
		perIP: srv.perIP,
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
	if ta, ok := c.raw.RemoteAddr().(*net.TCPAddr); ok {
		c.client = tcpClientKey(ta)
	}
	if !l.srv.conns.add(c) {
		_ = c.raw.Close()

		return nil, net.ErrClosed
	}

	return c, nil
}

// acceptRaw accepts a TCP connection, retrying transient errors (such as
// EMFILE) with a bounded backoff until the listener is closed. One from
// an address that has maxConnsPerIP already is closed at once.
func (l *tcpListener) acceptRaw() (net.Conn, error) {
	backoff := 5 * time.Millisecond
	for {
		conn, err := l.Listener.Accept()
		if err == nil {
			counted, ok := l.perIP.Admit(conn, maxConnsPerIP)
			if !ok {
				l.srv.refusals.Log(l.srv.log, slog.LevelInfo, "turn: too many connections from one address, connection closed", "client", addrString(conn.RemoteAddr()))
				_ = conn.Close()

				continue
			}

			return counted, nil
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
