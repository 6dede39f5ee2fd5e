package sfu

import (
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// frameToEach queues, fan-out by fan-out, three packets of a video frame
// (1000, 1000 and 990 bytes, numbered) for each receiver, then flushes.
func frameToEach(t *testing.T, c *batchConn, rxs []*net.UDPConn) {
	t.Helper()
	for p, size := range []int{1000, 1000, 990} {
		c.hold()
		for r, rx := range rxs {
			pkt := make([]byte, size)
			pkt[0], pkt[1] = byte(r), byte(p)
			if _, err := c.WriteToAddrPort(pkt, rx.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
				t.Fatal(err)
			}
		}
		c.release()
	}
	c.Flush()
}

// receivedFrames checks that each receiver got its three packets, whole
// and in order.
func receivedFrames(t *testing.T, rxs []*net.UDPConn) {
	t.Helper()
	for r, rx := range rxs {
		for p, d := range receive(t, rx, 3) {
			if want := []int{1000, 1000, 990}[p]; len(d) != want || d[0] != byte(r) || d[1] != byte(p) {
				t.Fatalf("receiver %d, datagram %d: %d bytes starting %v, want %d bytes starting [%d %d]", r, p, len(d), d[:2], want, r, p)
			}
		}
	}
}

func TestBatchConnSegmentsEachReceiversShareOfAFrame(t *testing.T) {
	c, rx := batchPair(t)
	s := c.calls.(*mmsgSender)
	if !s.segment.Load() {
		t.Skip("this kernel has no UDP GSO")
	}
	rxs := append(receivers(t, 4), rx)
	for range 3 {
		frameToEach(t, c, rxs)
		receivedFrames(t, rxs)
	}
	if !s.segment.Load() || s.segmentFailures.Load() != 0 {
		t.Errorf("segmented sends failed %d times", s.segmentFailures.Load())
	}
}

func TestBatchConnSendsAloneWhatTheKernelWillNotSegment(t *testing.T) {
	c, rx := batchPair(t)
	s := c.calls.(*mmsgSender)
	if !s.segment.Load() {
		t.Skip("this kernel has no UDP GSO")
	}
	// A socket without UDP checksums cannot segment: its segmented sends
	// fail (EINVAL), and their datagrams must still go, one by one.
	var err error
	if cerr := s.raw.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_NO_CHECK, 1) }); cerr != nil || err != nil {
		t.Skipf("cannot turn UDP checksums off: %v %v", cerr, err)
	}
	// A frame makes a segmented send only where the flusher finds two of
	// a receiver's packets in one batch, which depends on when it runs:
	// frames are sent until the socket gives up segmenting, each checked
	// whole, up to many more than the failures allowed.
	rxs := append(receivers(t, 2), rx)
	frames := 0
	for ; frames < 50*segmentFailuresAllowed && s.segment.Load(); frames++ {
		frameToEach(t, c, rxs)
		receivedFrames(t, rxs)
	}
	if s.segment.Load() {
		t.Errorf("still segmenting after %d frames, %d failures", frames, s.segmentFailures.Load())
	}
	frameToEach(t, c, rxs) // and sent one by one since
	receivedFrames(t, rxs)
}

// BenchmarkBatchConnFrame: one op is a video frame of three packets
// fanned out to 20 loopback sockets (60 datagrams, flushed once),
// segmented per receiver or each datagram alone. cpu-ns/datagram is the
// sending thread's CPU time: on loopback it includes the delivery into
// the receivers' sockets, which their goroutines drain.
func BenchmarkBatchConnFrame(b *testing.B) {
	for _, segment := range []bool{true, false} {
		name := map[bool]string{true: "segmented", false: "one-by-one"}[segment]
		b.Run(name, func(b *testing.B) {
			c := loopbackBatchConn(b)
			s := c.calls.(*mmsgSender)
			if segment && !s.segment.Load() {
				b.Skip("this kernel has no UDP GSO")
			}
			s.segment.Store(segment)
			var wg sync.WaitGroup
			b.Cleanup(wg.Wait) // after the receivers close (cleanups run last first)
			var to []netip.AddrPort
			for _, rx := range receivers(b, 20) {
				to = append(to, rx.LocalAddr().(*net.UDPAddr).AddrPort())
				wg.Go(func() { // drain, as a subscriber's socket is drained
					buf := make([]byte, 1500)
					for {
						if _, err := rx.Read(buf); err != nil {
							return
						}
					}
				})
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			pkt := make([]byte, 1000)
			b.ReportAllocs()
			cpu := threadCPU()
			for b.Loop() {
				for range 3 {
					for _, a := range to {
						_, _ = c.WriteToAddrPort(pkt, a)
					}
				}
				c.Flush()
			}
			datagrams := float64(b.N) * 3 * float64(len(to))
			b.ReportMetric(float64(threadCPU()-cpu)/datagrams, "cpu-ns/datagram")
			b.ReportMetric(float64(c.datagrams.Load())/float64(c.sends.Load()), "datagrams/send")
		})
	}
}

// threadCPU is the calling thread's CPU time, user and system.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
