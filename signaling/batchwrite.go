package signaling

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// Messages queued together for one client go out in one write to its
// socket: in a join storm, a chat flurry or a greeting, a client's
// queue holds many small messages at once (each arrival of 200, each
// chat message of 200, the welcome and the room's state), and one
// system call for each was the largest share of the server's CPU
// (BenchmarkAssemblyStorm). Each is still its own WebSocket frame.

// maxBatchBytes bounds what a session's socket holds back before
// writing: a batch of messages that reaches it is written at once.
const maxBatchBytes = 64 << 10

// batchConn is a client's network connection, which holds back what
// is written while its session's writer holds it (hold), until it lets
// go (release). Otherwise, as for a pong the read loop answers while
// nothing is held, it writes at once.
type batchConn struct {
	net.Conn

	mu      sync.Mutex
	holding bool
	held    []byte
	err     error // of a held write, told by release
}

// hold holds back what is written until release.
func (c *batchConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// release writes what was held back and stops holding; its error is
// that of the first write that failed.
func (c *batchConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	c.flushLocked()
	err := c.err
	c.err = nil
	return err
}

// Write writes p, or holds it back while the writer holds the
// connection (with the bytes held before it, at most maxBatchBytes):
// an error of a held write comes from release. The write deadline is
// the connection's as the bytes go out: the session sets it before
// each message.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.holding {
		return c.Conn.Write(p)
	}
	if len(c.held)+len(p) > maxBatchBytes {
		c.flushLocked()
	}
	if len(p) > maxBatchBytes && c.err == nil {
		_, c.err = c.Conn.Write(p)
	} else {
		c.held = append(c.held, p...)
	}
	return len(p), nil
}

// flushLocked writes what is held back, unless a write failed before.
// c.mu must be held.
func (c *batchConn) flushLocked() {
	if len(c.held) > 0 && c.err == nil {
		_, c.err = c.Conn.Write(c.held)
	}
	c.held = c.held[:0]
	if cap(c.held) > keptBatchBytes {
		c.held = nil // a storm's batch is not kept for each of 200 clients
	}
}

// keptBatchBytes is the most a connection keeps of its batch's buffer
// between batches.
const keptBatchBytes = 8 << 10

// NetConn is the connection under c.
func (c *batchConn) NetConn() net.Conn { return c.Conn }

// batchingWriter is a response whose hijacked connection is a
// batchConn, so that the WebSocket the upgrader makes of it writes
// through one (conn).
type batchingWriter struct {
	http.ResponseWriter
	conn *batchConn
}

// Hijack takes the connection over, as a batchConn.
func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	nc, rw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: nc}
	return w.conn, rw, nil
}
