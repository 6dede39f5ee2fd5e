package server

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// The HTTPS port carries TURN over TLS too, for networks that let
// through nothing but TCP 443: after the handshake, a connection whose
// client offered no ALPN protocol (browsers' HTTPS always does, TURN
// clients seldom) or stun.turn (RFC 7443), and whose first bytes are a
// STUN message, goes to the TURN server; everything else is HTTPS as
// before.
const (
	// stunMagicCookie is at bytes 4 to 7 of every STUN message (RFC 5389).
	stunMagicCookie = 0x2112A442
	// stunPeekBytes is all that is read to tell STUN from HTTP.
	stunPeekBytes = 8
	// alpnSTUN is the ALPN protocol of TURN over TLS (RFC 7443), which
	// a TURN client may offer.
	alpnSTUN = "stun.turn"
	// maxPendingTLS bounds the connections in their handshake or peek at
	// once; past it a new one is closed.
	maxPendingTLS = 1024
)

// sharedTLSTimeout bounds a connection's handshake and its first bytes
// together: a client that says nothing holds nothing for longer. A
// variable for the tests.
var sharedTLSTimeout = readHeaderTimeout

// turnMuxListener is the HTTPS listener when the HTTPS port is TURN's
// too: it completes handshakes and peeks concurrently, so that one slow
// client holds up nobody, and yields the HTTPS connections.
type turnMuxListener struct {
	inner  net.Listener // TCP, limited per address
	tls    *tls.Config
	toTURN func(*tls.Conn, []byte)

	ready   chan net.Conn
	errs    chan error
	done    chan struct{}
	pending chan struct{} // semaphore of handshakes and peeks
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
}

func newTURNMuxListener(inner net.Listener, cfg *tls.Config, toTURN func(*tls.Conn, []byte)) *turnMuxListener {
	if len(cfg.NextProtos) > 0 {
		// A client offering only stun.turn would be refused by a server
		// that names other protocols (ACME's) and not this one.
		cfg = cfg.Clone()
		cfg.NextProtos = append(cfg.NextProtos, alpnSTUN)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &turnMuxListener{
		inner: inner, tls: cfg, toTURN: toTURN,
		ready: make(chan net.Conn), errs: make(chan error), done: make(chan struct{}),
		pending: make(chan struct{}, maxPendingTLS), ctx: ctx, cancel: cancel,
	}
	l.wg.Go(l.acceptLoop)
	return l
}

func (l *turnMuxListener) acceptLoop() {
	for {
		conn, err := l.inner.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient error (out of descriptors): the HTTP server
			// backs off too, but this loop must not spin meanwhile.
			select {
			case <-time.After(10 * time.Millisecond):
			case <-l.done:
				return
			}
			continue
		}
		select {
		case l.pending <- struct{}{}:
		default:
			_ = conn.Close()
			continue
		}
		l.wg.Go(func() {
			defer func() { <-l.pending }()
			l.sort(conn)
		})
	}
}

// sort hands conn, once its handshake is done and its first bytes seen,
// to the HTTP server or to TURN; it closes a connection that fails or
// says nothing in time.
func (l *turnMuxListener) sort(raw net.Conn) {
	ctx, cancel := context.WithTimeout(l.ctx, sharedTLSTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = raw.SetReadDeadline(time.Now()) })
	tc := tls.Server(raw, l.tls)
	conn, prefix, err := peekSTUN(ctx, tc)
	stopped := stop()
	if err != nil || !stopped {
		_ = raw.Close()
		return
	}
	_ = raw.SetReadDeadline(time.Time{})
	if prefix != nil {
		l.toTURN(tc, prefix)
		return
	}
	select {
	case l.ready <- conn:
	case <-l.done:
		_ = raw.Close()
	}
}

// peekSTUN completes tc's handshake and, when its client offered no
// ALPN protocol or stun.turn, reads its first bytes: it returns them when they start
// a STUN message, and otherwise the connection for HTTP, those bytes
// given back to it (the HTTP server then finds the TLS state in the
// request's context, see withTLSState).
func peekSTUN(ctx context.Context, tc *tls.Conn) (httpConn net.Conn, stun []byte, err error) {
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, err
	}
	if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != alpnSTUN {
		return tc, nil, nil // HTTP/1.1 or an ACME tls-alpn-01 challenge
	}
	buf := make([]byte, stunPeekBytes)
	n, err := tc.Read(buf[:1])
	// An HTTP request starts with a letter; a STUN message with two 0 bits.
	if err == nil && buf[0]&0xC0 == 0 {
		var more int
		more, err = io.ReadFull(tc, buf[1:])
		n += more
		if err == nil && binary.BigEndian.Uint32(buf[4:8]) == stunMagicCookie {
			return nil, buf, nil
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return &peekedTLSConn{Conn: tc, peeked: buf[:n]}, nil, nil
}

// peekedTLSConn is a TLS connection for the HTTP server whose first
// bytes were read to sort it; Read gives them back first.
type peekedTLSConn struct {
	*tls.Conn
	peeked []byte
}

// Read returns the peeked bytes, then what follows.
func (c *peekedTLSConn) Read(p []byte) (int, error) {
	if len(c.peeked) > 0 {
		n := copy(p, c.peeked)
		c.peeked = c.peeked[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// Accept returns the next HTTPS connection.
func (l *turnMuxListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, ends the handshakes and peeks under way and
// waits for their goroutines.
func (l *turnMuxListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		l.cancel()
		err = l.inner.Close()
		l.wg.Wait()
	})
	return err
}

// Addr is the HTTPS port's address.
func (l *turnMuxListener) Addr() net.Addr { return l.inner.Addr() }

// tlsStateKey holds, in a request's context, the TLS state of a
// connection the HTTP server got as a peekedTLSConn, which it does not
// know for TLS.
type tlsStateKey struct{}

// tlsStateContext is the HTTP server's ConnContext.
func tlsStateContext(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*peekedTLSConn); ok {
		state := pc.ConnectionState()
		return context.WithValue(ctx, tlsStateKey{}, &state)
	}
	return ctx
}

// withTLSState gives a request over a peekedTLSConn its r.TLS, which
// HSTS, the WebSocket origin check and the CSP read.
func withTLSState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if state, ok := r.Context().Value(tlsStateKey{}).(*tls.ConnectionState); ok {
				r.TLS = state
			}
		}
		next.ServeHTTP(w, r)
	})
}
