package sfu

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// listenLoopback opens a UDP socket on 127.0.0.1 with room to queue.
func listenLoopback(tb testing.TB) *net.UDPConn {
	tb.Helper()
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = uc.SetReadBuffer(4 << 20)
	return uc
}

// receivers opens n loopback sockets, closed when the test ends.
func receivers(tb testing.TB, n int) []*net.UDPConn {
	tb.Helper()
	var rxs []*net.UDPConn
	for range n {
		rx := listenLoopback(tb)
		tb.Cleanup(func() { _ = rx.Close() })
		rxs = append(rxs, rx)
	}
	return rxs
}

// loopbackBatchConn is a batchConn on a loopback socket, closed when the
// test ends.
func loopbackBatchConn(tb testing.TB) *batchConn {
	tb.Helper()
	c, err := newBatchConn(listenLoopback(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// batchPair is a batchConn and a socket to send to.
func batchPair(t *testing.T) (*batchConn, *net.UDPConn) {
	t.Helper()
	return loopbackBatchConn(t), receivers(t, 1)[0]
}

// receive reads n datagrams, failing after a generous timeout.
func receive(t *testing.T, rx *net.UDPConn, n int) [][]byte {
	t.Helper()
	var got [][]byte
	buf := make([]byte, 2000)
	_ = rx.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < n {
		m, _, err := rx.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("after %d of %d datagrams: %v", len(got), n, err)
		}
		got = append(got, bytes.Clone(buf[:m]))
	}
	return got
}

func TestBatchConnSendsInOrderOnFlush(t *testing.T) {
	c, rx := batchPair(t)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	const n = batchSize*2 + 5 // two full batches sent by the writer, then a flush
	for i := range n {
		if _, err := c.WriteToAddrPort([]byte{byte(i), 1, 2, 3}, to); err != nil {
			t.Fatal(err)
		}
	}
	c.Flush()
	for i, d := range receive(t, rx, n) {
		if d[0] != byte(i) || len(d) != 4 {
			t.Fatalf("datagram %d is %v", i, d)
		}
	}
}

func TestBatchConnSendsUnflushedWritesSoon(t *testing.T) {
	c, rx := batchPair(t)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	for round := range 3 {
		if _, err := c.WriteTo([]byte{byte(round)}, net.UDPAddrFromAddrPort(to)); err != nil {
			t.Fatal(err)
		}
		if d := receive(t, rx, 1)[0]; d[0] != byte(round) {
			t.Fatalf("round %d received %v", round, d)
		}
	}
	big := make([]byte, maxDatagram+100) // too big for a slot: sent at once
	if _, err := c.WriteToAddrPort(big, to); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, rx, 1)[0]; len(d) != len(big) {
		t.Fatalf("received %d bytes, want %d", len(d), len(big))
	}
}

func TestBatchConnHeldWritesGoOutOnRelease(t *testing.T) {
	c, rx := batchPair(t)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	c.hold()
	if _, err := c.WriteToAddrPort([]byte{7}, to); err != nil {
		t.Fatal(err)
	}
	// Held: the flusher was not woken, the fan-out's release sends it.
	_ = rx.SetReadDeadline(time.Now().Add(10 * flushAfter))
	if n, _, err := rx.ReadFromUDP(make([]byte, 10)); err == nil {
		t.Fatalf("a held write (%d bytes) went out before the release", n)
	}
	c.release()
	if d := receive(t, rx, 1)[0]; d[0] != 7 {
		t.Fatalf("received %v", d)
	}
	// After the release, an unflushed write wakes the flusher again.
	if _, err := c.WriteToAddrPort([]byte{8}, to); err != nil {
		t.Fatal(err)
	}
	if d := receive(t, rx, 1)[0]; d[0] != 8 {
		t.Fatalf("received %v", d)
	}
}

func TestBatchConnAllocatesNothingPerDatagram(t *testing.T) {
	c, rx := batchPair(t)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	pkt := make([]byte, 1000)
	c.Flush()
	allocs := testing.AllocsPerRun(200, func() {
		for range 20 {
			_, _ = c.WriteToAddrPort(pkt, to)
		}
		c.Flush()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per fan-out of 20", allocs)
	}
}

func TestBatchConnRefusesWritesAfterClose(t *testing.T) {
	c, rx := batchPair(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToAddrPort([]byte{1}, rx.LocalAddr().(*net.UDPAddr).AddrPort()); err == nil {
		t.Error("a write after Close succeeded")
	}
}

func TestBatchConnWaitsForABatchWhenAllAreQueued(t *testing.T) {
	c, rx := batchPair(t)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	// Every batch queued, the first holding datagram 1: a write must wait
	// for one to come back, not overtake it.
	c.mu.Lock()
	q := c.pending
	q.data[0][0], q.lens[0], q.addrs[0], q.n = 1, 1, to, 1
	c.ready = append(c.ready, q)
	c.batches, c.pending = maxBatches, nil
	c.mu.Unlock()
	wrote := make(chan error, 1)
	go func() {
		_, err := c.WriteToAddrPort([]byte{2}, to)
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("a write returned (%v) while every batch was queued", err)
	case <-time.After(50 * time.Millisecond):
	}
	c.Flush() // sends the queued batch, which the write then fills
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if got := receive(t, rx, 2); got[0][0] != 1 || got[1][0] != 2 {
		t.Fatalf("received %v then %v, want 1 then 2", got[0], got[1])
	}
	for i := range batchSize + 3 {
		if _, err := c.WriteToAddrPort([]byte{byte(i)}, to); err != nil {
			t.Fatal(err)
		}
	}
	c.Flush()
	receive(t, rx, batchSize+3)
	if c.batches > maxBatches {
		t.Errorf("%d batches, at most %d wanted", c.batches, maxBatches)
	}
}

func TestBatchConnCloseSendsWhatIsQueuedOnce(t *testing.T) {
	c, rx := batchPair(t)
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	for i := range batchSize + 3 { // a full batch queued, and three pending
		if _, err := c.WriteToAddrPort([]byte{byte(i)}, to); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- c.Close() }()
	}
	if a, b := <-errs, <-errs; (a == nil) == (b == nil) {
		t.Errorf("two Closes returned %v and %v: want one nil, one error", a, b)
	}
	receive(t, rx, batchSize+3)
}

func TestBatchConnReadsWithTheSendersAddress(t *testing.T) {
	for _, ip := range []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback} {
		uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			t.Fatal(err)
		}
		c, err := newBatchConn(uc)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := net.DialUDP("udp", nil, uc.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		want := tx.LocalAddr().(*net.UDPAddr).AddrPort()
		const reads = 20
		for range reads + 1 { // AllocsPerRun runs once more to warm up
			if _, err := tx.Write([]byte("plenum")); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(reads, func() {
			n, from, err := c.ReadFromAddrPort(buf)
			if err != nil || string(buf[:n]) != "plenum" || from != want {
				t.Fatalf("%v: read %q from %v (%v), want from %v", ip, buf[:n], from, err, want)
			}
		})
		if allocs > 0 {
			t.Errorf("%v: %v allocations per read", ip, allocs)
		}
		_ = tx.Close()
		_ = c.Close()
	}
}
