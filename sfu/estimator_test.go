package sfu

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// estimatorSim drives an estimator with a simulated link: packets sent
// at a rate, feedback every 50 ms saying which arrived and when.
type estimatorSim struct {
	e      *estimator
	now    time.Time
	seq    uint16
	write  interceptor.RTPWriter
	hdr    rtp.Header
	ext    [2]byte
	queued []simPacket
	// feedbacks counts the feedback packets made; lostFeedback, when
	// set, says which never reach the estimator, and repeat sends each
	// one twice (as a receiver re-reports after a late packet).
	feedbacks    int
	lostFeedback func(n int) bool
	repeat       bool
	// swap delivers each odd feedback after the next one.
	swap    bool
	swapped *rtcp.TransportLayerCC
	// late, when set, says which packets a feedback reports lost and
	// the next one, starting again from the first of them, received.
	late    func(i int) bool
	lateDue []simPacket
	sent    int
}

type simPacket struct {
	seq     uint16
	lost    bool
	late    bool          // reported lost, and received in the next feedback
	arrival time.Duration // since the estimator's start
}

func newEstimatorSim(t *testing.T) *estimatorSim {
	t.Helper()
	s := &estimatorSim{e: newEstimator(BandwidthConfig{Initial: 1_000_000, Min: 100_000, Max: 10_000_000})}
	s.now = s.e.start
	s.write = s.e.BindLocalStream(&interceptor.StreamInfo{
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 5}},
	}, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	return s
}

// send sends one 1000-byte packet that arrives after delay, or is lost.
func (s *estimatorSim) send(delay time.Duration, lost bool) {
	s.ext = [2]byte{byte(s.seq >> 8), byte(s.seq)}
	s.hdr = rtp.Header{Version: 2}
	_ = s.hdr.SetExtension(5, s.ext[:])
	_, _ = s.write.Write(&s.hdr, make([]byte, 1000-s.hdr.MarshalSize()), nil)
	// The estimator stamped the packet with the real clock: restamp it
	// with the simulated one.
	slot := &s.e.sent[uint64(s.seq)%historySize]
	rec := slot.Load()
	sent := uint64(uint32(s.now.Sub(s.e.start).Microseconds()))
	slot.Store(rec&^0xffffffff | sent)
	late := s.late != nil && !lost && s.late(s.sent)
	s.queued = append(s.queued, simPacket{seq: s.seq, lost: lost, late: late, arrival: s.now.Sub(s.e.start) + delay})
	s.seq++
	s.sent++
}

// feedback reports every queued packet, as a receiver's TWCC would.
func (s *estimatorSim) feedback() {
	fb := s.report()
	if fb == nil {
		return
	}
	s.feedbacks++
	if s.lostFeedback != nil && s.lostFeedback(s.feedbacks) {
		return
	}
	if s.swap && s.feedbacks%2 == 1 {
		s.swapped = fb
		return
	}
	s.e.onFeedback(fb, s.now)
	if s.repeat {
		s.e.onFeedback(fb, s.now)
	}
	if s.swapped != nil {
		s.e.onFeedback(s.swapped, s.now)
		s.swapped = nil
	}
}

// report is the feedback on the queued packets (nil: none queued).
func (s *estimatorSim) report() *rtcp.TransportLayerCC {
	if len(s.queued) == 0 {
		return nil
	}
	// A receiver reports again from a packet that came late.
	reported := s.queued
	if len(s.lateDue) > 0 {
		reported = append(s.lateDue, s.queued...)
		s.lateDue = nil
	}
	for i, p := range s.queued {
		if p.late {
			s.lateDue = append([]simPacket(nil), s.queued[i:]...)
			for j := range s.lateDue {
				s.lateDue[j].late = false
			}
			break
		}
	}
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: reported[0].seq, PacketStatusCount: uint16(len(reported))}
	ref := reported[0].arrival / (64 * time.Millisecond)
	fb.ReferenceTime = uint32(ref)
	last := ref * 64 * time.Millisecond
	for _, p := range reported {
		sym := uint16(rtcp.TypeTCCPacketReceivedSmallDelta)
		if p.lost || p.late {
			sym = rtcp.TypeTCCPacketNotReceived
		} else {
			fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: sym, Delta: (p.arrival - last).Microseconds()})
			last = p.arrival
		}
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: sym, RunLength: 1})
	}
	s.queued = s.queued[:0]
	return fb
}

// run sends at bps for d, each packet delayed by delay(i) and lost when
// lost(i) says so.
func (s *estimatorSim) run(d time.Duration, bps int, delay func(i int) time.Duration, lost func(i int) bool) {
	gap := time.Duration(int64(time.Second) * 8000 / int64(bps))
	nextFeedback := s.now.Add(50 * time.Millisecond)
	for i, end := 0, s.now.Add(d); s.now.Before(end); i++ {
		s.send(delay(i), lost(i))
		s.now = s.now.Add(gap)
		if !s.now.Before(nextFeedback) {
			s.feedback()
			nextFeedback = nextFeedback.Add(50 * time.Millisecond)
		}
	}
}

// growsToAndAHalf sends 2 Mbit/s for 10 s, none of it lost, and checks
// that the estimate grew to about 1.5 times that; how says how the
// feedback reported it.
func (s *estimatorSim) growsToAndAHalf(t *testing.T, how string) {
	t.Helper()
	s.run(10*time.Second, 2_000_000, fixedDelay, noLoss)
	if got := s.e.GetTargetBitrate(); got < 2_500_000 || got > 3_200_000 {
		t.Errorf("after 10 s of 2 Mbit/s arriving %s, the estimate is %d, want about 1.5 times 2 Mbit/s", how, got)
	}
}

func noLoss(int) bool              { return false }
func fixedDelay(int) time.Duration { return 20 * time.Millisecond }

func TestEstimatorGrowsOnAClearNetworkUpToWhatArrivesAndAHalf(t *testing.T) {
	newEstimatorSim(t).growsToAndAHalf(t, "cleanly")
}

func TestEstimatorCountsWhatLostFeedbackWouldHaveReported(t *testing.T) {
	// Feedback that never comes (pion drops what names an SSRC nobody
	// reads, such as the RTX stream's: libwebrtc names the last packet's)
	// does not mean its packets were lost, nor that the link carried less.
	s := newEstimatorSim(t)
	s.lostFeedback = func(n int) bool { return n%3 != 0 }
	s.growsToAndAHalf(t, "cleanly with two feedback packets in three lost")
}

func TestEstimatorCountsARepeatedReportOnce(t *testing.T) {
	s := newEstimatorSim(t)
	s.repeat = true
	s.growsToAndAHalf(t, "cleanly, each packet reported twice")
}

func TestEstimatorCountsFeedbackThatComesOutOfOrder(t *testing.T) {
	// Feedback naming a down track's RTX SSRC reaches the estimator at
	// once, the rest when the down track reads it. Here every other
	// feedback comes after the next, and it alone carries the losses.
	s := newEstimatorSim(t)
	s.swap = true
	r := rand.New(rand.NewPCG(5, 6))
	lossy := func(int) bool { return s.feedbacks%2 == 0 && r.IntN(100) < 30 }
	s.run(5*time.Second, 1_000_000, fixedDelay, lossy)
	if got := s.e.GetTargetBitrate(); got >= 950_000 {
		t.Errorf("with 15%% loss, all of it in feedback that came out of order, the estimate stayed at %d, want a backoff", got)
	}
}

func TestEstimatorIsNotBlindedByFeedbackOnPacketsNeverSent(t *testing.T) {
	s := newEstimatorSim(t)
	s.run(time.Second, 1_000_000, fixedDelay, noLoss)
	bogus := &rtcp.TransportLayerCC{BaseSequenceNumber: s.seq + 30000, PacketStatusCount: 1,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 1}}}
	s.e.onFeedback(bogus, s.now)
	r := rand.New(rand.NewPCG(7, 8))
	s.run(5*time.Second, 1_000_000, fixedDelay, func(int) bool { return r.IntN(100) < 20 })
	// Before it, the estimate stood at 1.55 Mbit/s (1.5 times what arrived).
	if got := s.e.GetTargetBitrate(); got >= 1_300_000 {
		t.Errorf("after a feedback on packets never sent, 20%% loss left the estimate at %d, want backoffs", got)
	}
}

func TestEstimatorTakesBackTheLossOfAPacketThatCameLate(t *testing.T) {
	// A pion receiver times a packet when its track's goroutine reads it:
	// on a busy machine a packet is often recorded after later ones,
	// reported lost, then reported again as received.
	s := newEstimatorSim(t)
	s.late = func(i int) bool { return i%6 == 0 }
	s.growsToAndAHalf(t, "with one packet in six late")
}

func TestEstimatorIsNotFooledByDelayJitter(t *testing.T) {
	// A busy CPU delays some packets by tens of milliseconds, never all
	// of them for long: the queue does not stand.
	s := newEstimatorSim(t)
	r := rand.New(rand.NewPCG(1, 2))
	jitter := func(int) time.Duration {
		if r.IntN(4) == 0 {
			return time.Duration(20+r.IntN(150)) * time.Millisecond
		}
		return 20 * time.Millisecond
	}
	s.run(10*time.Second, 1_000_000, jitter, noLoss)
	if got := s.e.GetTargetBitrate(); got < 1_000_000 {
		t.Errorf("with jitter but no standing queue the estimate fell to %d", got)
	}
}

func TestEstimatorHoldsWithLossThatNACKRepairs(t *testing.T) {
	s := newEstimatorSim(t)
	r := rand.New(rand.NewPCG(3, 4))
	s.run(10*time.Second, 1_000_000, fixedDelay, func(int) bool { return r.IntN(100) < 5 })
	if got := s.e.GetTargetBitrate(); got < 900_000 {
		t.Errorf("5%% random loss brought the estimate down to %d", got)
	}
}

func TestEstimatorBacksOffToAGrowingQueue(t *testing.T) {
	// 1 Mbit/s sent into a 300 kbit/s link: the queue grows by 700 ms a
	// second until it overflows at one second.
	s := newEstimatorSim(t)
	const link = 300_000
	gap := time.Duration(int64(time.Second) * 8000 / link)
	var free time.Duration // when the link is free again, since start
	queueFor := func(int) (time.Duration, bool) {
		now := s.now.Sub(s.e.start)
		start := max(now, free)
		if start-now > time.Second {
			return 0, true // tail drop
		}
		free = start + gap
		return free - now + 20*time.Millisecond, false
	}
	var lastLost bool
	s.run(4*time.Second, 1_000_000, func(i int) time.Duration {
		d, lost := queueFor(i)
		lastLost = lost
		return d
	}, func(int) bool { return lastLost })
	got := s.e.GetTargetBitrate()
	if got > link || got < link/2 {
		t.Errorf("sending 1 Mbit/s into a 300 kbit/s link, the estimate is %d, want a little under 300 kbit/s", got)
	}
}

func TestEstimatorWriterAllocatesNothing(t *testing.T) {
	s := newEstimatorSim(t)
	hdr := rtp.Header{Version: 2}
	_ = hdr.SetExtension(5, []byte{0, 1})
	payload := make([]byte, 1000)
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.write.Write(&hdr, payload, nil) }); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
}

func TestEstimatorStillBacksOffLongAfterItsLastBackoff(t *testing.T) {
	// Send times are microseconds in 32 bits, which wrap every 71.6
	// minutes: a backoff more than half of that ago must not make every
	// packet sent since look older than it, and so not count.
	s := newEstimatorSim(t)
	lossy := func(i int) bool { return i%4 == 0 }
	s.run(10*time.Second, 2_000_000, fixedDelay, noLoss)
	s.run(2*time.Second, 2_000_000, fixedDelay, lossy)
	backedOff := s.e.GetTargetBitrate()
	s.now = s.now.Add(37 * time.Minute) // a calm meeting, in which nothing was sent
	s.run(2*time.Second, 500_000, fixedDelay, noLoss)
	before := s.e.GetTargetBitrate()
	s.run(3*time.Second, 2_000_000, fixedDelay, lossy)
	if after := s.e.GetTargetBitrate(); after >= before {
		t.Fatalf("a quarter of the packets lost 37 minutes after the last backoff (estimate %d then): the estimate went from %d to %d", backedOff, before, after)
	}
}

func TestEstimatorReadsNoDeltaForAPacketReceivedWithoutOne(t *testing.T) {
	// Four packets sent 1 ms apart; the feedback says the second arrived
	// without saying when, the third 1 ms after the first, the fourth 10
	// ms after that. Had the second taken the third's delta, every
	// arrival after it would be read one delta late.
	s := newEstimatorSim(t)
	for range 4 {
		s.send(0, false)
		s.now = s.now.Add(time.Millisecond)
	}
	s.queued = nil
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: 0, PacketStatusCount: 4, ReferenceTime: 1} // 64 ms
	for _, sym := range []uint16{rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedWithoutDelta, rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta} {
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: sym, RunLength: 1})
	}
	fb.RecvDeltas = []*rtcp.RecvDelta{
		{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 0},
		{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000},
		{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 10000},
	}
	s.e.onFeedback(fb, s.now)
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	// The third: sent at 2 ms, arrived at 65.
	if owd := time.Duration(s.e.w.minOWD) * time.Microsecond; owd != 63*time.Millisecond || s.e.w.received != 4 {
		t.Fatalf("smallest one-way delay %v of %d packets received, want 63ms of 4", owd, s.e.w.received)
	}
}
