package sfu

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Batched sends: every media socket of the engine is a batchConn, which
// queues what pion writes and sends the queue with one sendmmsg(2) when
// a fan-out ends (UpTrack.fanOut calls Engine.flush), when the queue is
// full, or at the latest flushAfter after the first queued packet (RTCP,
// ICE and DTLS, which nobody flushes). One system call per fan-out
// instead of one per copy roughly halves pion's cost per forwarded copy
// (docs/performance.md).
//
// pion/transport's udp.BatchConn does the same but cannot be flushed on
// demand (it waits for its timer or a full batch), holds its batch's
// lock across the system call and takes a net.Addr, which pion's ICE mux
// allocates per packet for any conn other than *net.UDPConn; this one
// takes the mux's netip.AddrPort and allocates nothing per packet.

// Batch sizes.
const (
	// batchSize is how many datagrams one sendmmsg(2) carries: one video
	// packet fanned out to a meeting of 32 (a larger fan-out takes a few
	// calls).
	batchSize = 32
	// maxBatches bounds the batches of one socket (about 50 KB each):
	// one per goroutine sending at once, more only while sends wait for
	// a full socket buffer; past it, writes go out one by one.
	maxBatches = 8
	// flushAfter bounds how long a queued datagram may wait.
	flushAfter = 500 * time.Microsecond
	// maxDatagram bounds one datagram; larger ones are sent at once.
	maxDatagram = 1500
)

// batchConn is a UDP socket whose writes are queued and sent in
// batches. Reads go straight to the socket. It implements
// net.PacketConn and pion's ice.AddrPortReaderWriter.
type batchConn struct {
	*net.UDPConn
	calls socketCalls

	mu      sync.Mutex
	pending *sendBatch   // being filled
	spare   []*sendBatch // sent batches, for reuse
	batches int          // made so far, at most maxBatches
	closed  bool

	// holds counts the fan-outs under way (hold): each flushes when it
	// ends, so the writes they cover need not wake the flusher.
	holds atomic.Int32

	kick  chan struct{} // a batch has started filling: wake the flusher
	done  chan struct{} // closed by Close: the flusher ends
	ended chan struct{}
}

// sendBatch is a queue of datagrams with their addresses; it belongs to
// the conn while filled, and to one flushing goroutine while it is sent.
type sendBatch struct {
	n     int
	first time.Time // when the first datagram was queued
	lens  [batchSize]int
	addrs [batchSize]netip.AddrPort
	data  [batchSize][maxDatagram]byte
	sys   sysBatch // the system call's view of the batch
}

// socketCalls are the platform's way to send a batch and to read.
type socketCalls interface {
	// send sends b's datagrams and reports how many could not be sent.
	send(b *sendBatch) (failed int)
	// recv reads one datagram, waiting for it as the socket's reads do.
	recv(b []byte) (int, netip.AddrPort, error)
}

// newBatchConn wraps conn; it owns conn from now on.
func newBatchConn(conn *net.UDPConn) (*batchConn, error) {
	calls, err := newSocketCalls(conn)
	if err != nil {
		return nil, err
	}
	c := &batchConn{
		UDPConn: conn,
		calls:   calls,
		pending: &sendBatch{},
		batches: 1,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		ended:   make(chan struct{}),
	}
	go c.flusher()
	return c, nil
}

// ReadFromAddrPort reads one datagram, as pion's mux prefers.
func (c *batchConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.calls.recv(b)
}

// WriteTo queues b for addr; it is here for completeness: pion's mux
// uses WriteToAddrPort.
func (c *batchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.UDPConn.WriteTo(b, addr)
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

// WriteToAddrPort queues a copy of b for addr. It sends the queue itself
// when that fills it, outside the lock.
func (c *batchConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > maxDatagram || addr.Addr().Zone() != "" {
		// Too big for a slot, or a link-local address whose zone the
		// batch does not carry: rare enough to send at once.
		return c.WriteToUDPAddrPort(b, addr)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	p := c.pending
	if p == nil {
		// Every batch is being sent (the socket buffer is full): do not
		// queue more, send this one alone.
		c.mu.Unlock()
		return c.WriteToUDPAddrPort(b, addr)
	}
	i := p.n
	p.lens[i] = copy(p.data[i][:], b)
	p.addrs[i] = addr
	p.n++
	if i == 0 {
		p.first = time.Now()
	}
	var full *sendBatch
	if p.n == batchSize {
		full = c.swapLocked()
	}
	c.mu.Unlock()
	// Looked at after queueing: a hold seen here ends with a flush that
	// comes after this write (release lowers the count, then flushes).
	if i == 0 && c.holds.Load() == 0 {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	if full != nil {
		c.sendAndRecycle(full)
	}
	return len(b), nil
}

// swapLocked takes the pending batch out and puts an empty one in its
// place, or none if maxBatches are all in use. The caller sends what it
// took.
func (c *batchConn) swapLocked() *sendBatch {
	full := c.pending
	switch n := len(c.spare); {
	case n > 0:
		c.pending = c.spare[n-1]
		c.spare = c.spare[:n-1]
	case c.batches < maxBatches:
		c.batches++
		c.pending = &sendBatch{}
	default:
		c.pending = nil
	}
	return full
}

func (c *batchConn) sendAndRecycle(b *sendBatch) {
	c.calls.send(b)
	b.n = 0
	c.mu.Lock()
	if c.pending == nil {
		c.pending = b
	} else {
		c.spare = append(c.spare, b)
	}
	c.mu.Unlock()
}

// Flush sends what is queued. It takes the queue under the lock and
// sends it after releasing it, so that other writers never wait for the
// system call.
func (c *batchConn) Flush() {
	c.mu.Lock()
	if c.pending == nil || c.pending.n == 0 {
		c.mu.Unlock()
		return
	}
	b := c.swapLocked()
	c.mu.Unlock()
	c.sendAndRecycle(b)
}

// hold tells the conn that the caller will flush (release) after its
// writes, so that they need not wake the flusher: one wake-up and one
// timer less per fan-out.
func (c *batchConn) hold() { c.holds.Add(1) }

// release ends a hold and sends what is queued.
func (c *batchConn) release() {
	c.holds.Add(-1)
	c.Flush()
}

// flush sends what is queued (batchedSends).
func (c *batchConn) flush() { c.Flush() }

// flushOld sends the queue if its first datagram has waited flushAfter,
// and otherwise tells how much longer it may wait (0: nothing queued).
func (c *batchConn) flushOld(now time.Time) time.Duration {
	c.mu.Lock()
	p := c.pending
	if p == nil || p.n == 0 {
		c.mu.Unlock()
		return 0
	}
	if wait := flushAfter - now.Sub(p.first); wait > 0 {
		c.mu.Unlock()
		return wait
	}
	b := c.swapLocked()
	c.mu.Unlock()
	c.sendAndRecycle(b)
	return 0
}

// flusher sends what nobody flushed within flushAfter. It sleeps while
// nothing is queued; it ends with Close.
func (c *batchConn) flusher() {
	defer close(c.ended)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
		}
		for wait := flushAfter; wait > 0; wait = c.flushOld(time.Now()) {
			timer.Reset(wait)
			select {
			case <-c.done:
				timer.Stop()
				return
			case <-timer.C:
			}
		}
	}
}

// Close sends what is queued, stops the flusher and closes the socket.
func (c *batchConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.mu.Unlock()
	c.Flush()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	<-c.ended
	return c.UDPConn.Close()
}
