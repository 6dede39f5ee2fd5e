package sfu

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Batched sends: every media socket of the engine is a batchConn, which
// queues what pion writes and sends the queue with one sendmmsg(2). A
// fan-out (UpTrack.fanOut) holds the sockets while it writes its copies
// and, when it ends, asks the flusher to send them as soon as it runs;
// other writes (RTCP, ICE, DTLS) wait at most flushAfter; a full batch
// is queued for the flusher at once. One system call per fan-out instead
// of one per copy roughly halves pion's cost per forwarded copy
// (docs/performance.md).
//
// The flusher being a goroutine is what lets a burst batch up: on a busy
// core it runs once the reading goroutines have nothing left to read, so
// the copies of every packet of a video frame go out together, and the
// kernel takes each subscriber's share of them as one segmented send
// (UDP GSO, batchconn_linux.go). With a core to spare it runs at once.
//
// pion/transport's udp.BatchConn batches too but cannot be flushed on
// demand (it waits for its timer or a full batch), holds its batch's
// lock across the system call and takes a net.Addr, which pion's ICE mux
// allocates per packet for any conn other than *net.UDPConn; this one
// takes the mux's netip.AddrPort and allocates nothing per packet.

// Batch sizes.
const (
	// batchSize is how many datagrams one sendmmsg(2) carries: the three
	// packets of a typical video frame fanned out to 40 (a larger burst
	// takes a few calls). The copies of a frame must share a batch to be
	// segmented per subscriber (segments.go).
	batchSize = 128
	// maxBatches bounds the batches of one socket (about 200 KB each):
	// one filling, one being sent, and a few queued meanwhile; past it,
	// a write waits for a batch to come back.
	maxBatches = 4
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
	freed   sync.Cond    // on mu: a sent batch came back, or sending stopped
	pending *sendBatch   // being filled; nil while every batch is queued
	ready   []*sendBatch // queued to be sent, oldest first
	sending bool         // a goroutine is sending ready's batches
	spare   []*sendBatch // sent batches, for reuse
	batches int          // made so far, at most maxBatches
	closed  bool

	// datagrams counts the datagrams sent in batches, sends the messages
	// the kernel was handed for them: fewer when it segments.
	datagrams, sends atomic.Uint64

	// holds counts the fan-outs under way (hold): each asks the flusher
	// to send when it ends, so the writes they cover need not start its
	// timer.
	holds atomic.Int32

	kick  chan struct{} // a batch has started filling: send it within flushAfter
	soon  chan struct{} // a fan-out has ended: send as soon as the flusher runs
	done  chan struct{} // closed by Close: the flusher ends
	ended chan struct{}
}

// sendBatch is a queue of datagrams with their addresses; it belongs to
// the conn while filled, and to one flushing goroutine while it is sent.
type sendBatch struct {
	n     int
	sends int       // messages its last send took (segmented ones carry several datagrams)
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
		ready:   make([]*sendBatch, 0, maxBatches),
		spare:   make([]*sendBatch, 0, maxBatches),
		batches: 1,
		kick:    make(chan struct{}, 1),
		soon:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		ended:   make(chan struct{}),
	}
	c.freed.L = &c.mu
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

// WriteToAddrPort queues a copy of b for addr. A write that fills the
// batch leaves it to the flusher; one that finds every batch queued
// waits for one to come back rather than send alone, which would let it
// overtake the queued datagrams to the same subscriber.
func (c *batchConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > maxDatagram || addr.Addr().Zone() != "" {
		// Too big for a slot, or a link-local address whose zone the
		// batch does not carry: rare enough to send at once.
		return c.WriteToUDPAddrPort(b, addr)
	}
	c.mu.Lock()
	for c.pending == nil && !c.closed {
		c.freed.Wait() // the socket buffer is full, or the flusher has not run yet
	}
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	p := c.pending
	i := p.n
	p.lens[i] = copy(p.data[i][:], b)
	p.addrs[i] = addr
	p.n++
	if i == 0 {
		p.first = time.Now()
	}
	full := p.n == batchSize
	if full {
		c.queueLocked()
	}
	c.mu.Unlock()
	// Looked at after queueing: a hold seen here ends with a release
	// that comes after this write (it lowers the count, then signals).
	if i == 0 && c.holds.Load() == 0 {
		signal(c.kick)
	}
	if full {
		signal(c.soon)
	}
	return len(b), nil
}

// signal wakes the flusher through ch, if it is not woken already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// queueLocked queues the pending batch for sending and puts an empty one
// in its place, or none if maxBatches are all queued.
func (c *batchConn) queueLocked() {
	c.ready = append(c.ready, c.pending)
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
}

// sendReady sends the queued batches, oldest first, until none is left,
// unless another goroutine is doing so already: one at a time sends, so
// that a subscriber's datagrams leave in the order they were written.
// The lock is not held across a send.
func (c *batchConn) sendReady() {
	c.mu.Lock()
	if c.sending {
		c.mu.Unlock()
		return
	}
	c.sending = true
	for len(c.ready) > 0 {
		b := c.ready[0]
		c.ready = append(c.ready[:0], c.ready[1:]...)
		c.mu.Unlock()
		failed := c.calls.send(b)
		c.datagrams.Add(uint64(b.n - failed)) //nolint:gosec // failed <= n
		c.sends.Add(uint64(b.sends))          //nolint:gosec // sends <= n
		b.n = 0
		c.mu.Lock()
		if c.pending == nil {
			c.pending = b
		} else {
			c.spare = append(c.spare, b)
		}
		c.freed.Broadcast()
	}
	c.sending = false
	c.freed.Broadcast()
	c.mu.Unlock()
}

// Flush sends what is queued, or leaves it to the goroutine sending.
func (c *batchConn) Flush() {
	c.mu.Lock()
	if c.pending != nil && c.pending.n > 0 {
		c.queueLocked()
	}
	queued := len(c.ready) > 0
	c.mu.Unlock()
	if queued {
		c.sendReady()
	}
}

// hold tells the conn that the caller will release it after its
// writes, so that they need not start the flusher's timer.
func (c *batchConn) hold() { c.holds.Add(1) }

// release ends a hold: what is queued goes out as soon as the flusher
// runs, which on a busy core is after the writers have caught up.
func (c *batchConn) release() {
	c.holds.Add(-1)
	c.mu.Lock()
	queued := len(c.ready) > 0 || (c.pending != nil && c.pending.n > 0)
	c.mu.Unlock()
	if queued {
		signal(c.soon)
	}
}

// flush sends what is queued (batchedSends).
func (c *batchConn) flush() { c.Flush() }

// flushOld sends the queue if its first datagram has waited flushAfter,
// and otherwise tells how much longer it may wait (0: nothing queued).
func (c *batchConn) flushOld(now time.Time) time.Duration {
	c.mu.Lock()
	if p := c.pending; p != nil && p.n > 0 {
		if wait := flushAfter - now.Sub(p.first); wait > 0 {
			c.mu.Unlock()
			return wait
		}
	}
	c.mu.Unlock()
	c.Flush()
	return 0
}

// flusher sends what a fan-out released, and what nobody released
// within flushAfter. It sleeps while nothing is queued; it ends with
// Close.
func (c *batchConn) flusher() {
	defer close(c.ended)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.soon:
			c.Flush()
			continue
		case <-c.kick:
		}
		for wait := flushAfter; wait > 0; wait = c.flushOld(time.Now()) {
			timer.Reset(wait)
			select {
			case <-c.done:
				timer.Stop()
				return
			case <-c.soon:
				timer.Stop()
				c.Flush()
			case <-timer.C:
			}
		}
	}
}

// Close refuses further writes, sends what is queued, stops the flusher
// and closes the socket.
func (c *batchConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.freed.Broadcast() // writers waiting for a batch give up
	c.mu.Unlock()
	c.Flush()
	c.mu.Lock()
	for c.sending || len(c.ready) > 0 {
		c.freed.Wait() // another goroutine is sending the last batches
	}
	c.mu.Unlock()
	close(c.done)
	<-c.ended
	return c.UDPConn.Close()
}
