package sfu

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// The estimator of a subscriber's downlink, one per down connection: a
// loss- and queue-based reading of transport-wide congestion feedback
// (TWCC), cheaper and steadier than pion's GCC.
//
// On the send side it only notes, per packet, the transport-wide
// sequence number, the size and the send time in a ring (an atomic store,
// no allocation, no lock). From the feedback it learns, per window of
// estimateWindow: what share of the packets were lost, how fast they
// arrived, and the standing queue: the smallest one-way delay of the
// window above the smallest seen over the last baselineWindow. Only a
// queue that stays (two windows running) or heavy loss count as
// congestion: GCC reacts to the delay *gradient*, which a busy CPU on
// either side also produces, and lowered layers needlessly on a loaded
// machine (docs/performance.md).

// Estimator tuning.
const (
	// historySize is how many sent packets are remembered (a power of
	// two): about 1.5 s at 25 Mbit/s, far longer than feedback takes.
	historySize = 4096
	// estimateWindow is how much feedback is judged at once.
	estimateWindow = 250 * time.Millisecond
	// baselineWindow is how long the smallest one-way delay is kept as
	// the delay of an empty queue.
	baselineWindow = 10 * time.Second
	// queueCongested is a standing queue that means congestion when it
	// lasts two windows and does not shrink (by queueDraining or more: a
	// queue that drains is one that the last backoff dealt with);
	// queueClear lets the estimate grow.
	queueCongested = 80 * time.Millisecond
	queueDraining  = 10 * time.Millisecond
	queueClear     = 20 * time.Millisecond
	// lossCongested and lossClear are the same for the share of lost
	// packets; in between (NACK repairs a few percent) the estimate holds.
	lossCongested = 0.10
	lossClear     = 0.02
	// backoffRatio is the estimate after congestion, times what arrived.
	backoffRatio = 0.85
	// growthPerSecond is how fast a clear network's estimate grows, up to
	// headroomRatio times what arrives (more is for the allocator's
	// probes to prove): a probe to the next layer lifts it within a second
	// or two.
	growthPerSecond = 0.5
	headroomRatio   = 1.5
	headroomBits    = 50_000
	// holdAfterBackoff keeps the estimate from growing right after a
	// backoff, while the queue drains; backoffEvery spaces backoffs, so
	// that what arrives after the allocator has lowered the layers (less
	// than the link carries) does not bring the estimate down again.
	holdAfterBackoff = time.Second
	backoffEvery     = 750 * time.Millisecond
	// backoffRemembered is how long the send time of the last backoff
	// sorts feedback into what it dealt with and what came after.
	backoffRemembered = 10 * time.Second
)

// transportCCURI is the header extension carrying transport-wide
// sequence numbers.
const transportCCURI = sdp.TransportCCURI

// estimatorFactory makes one estimator per peer connection and hands it
// to whoever made the connection (Engine.newPeerConnection).
type estimatorFactory struct {
	cfg   BandwidthConfig
	out   chan<- *estimator
	links *downlinks // where the retransmitter finds the round trip
}

// NewInterceptor is called by pion for each new peer connection.
func (f *estimatorFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	e := newEstimator(f.cfg)
	if f.links != nil {
		e.id, e.links = id, f.links
		f.links.put(id, e)
	}
	select {
	case f.out <- e:
	default: // nobody waiting: a connection made outside newPeerConnection
	}
	return e, nil
}

// estimator is the interceptor that estimates one connection's downlink.
type estimator struct {
	interceptor.NoOp
	cfg   BandwidthConfig
	start time.Time // send times are µs since start (monotonic)
	id    string
	links *downlinks
	rtt   srtt

	// sent[seq % historySize] is seq<<48 | flags | size<<32 | send time
	// in µs (modulo 2^32): written by the forwarding goroutines, read and
	// flagged (under mu) with the feedback, which arrives by two ways
	// (streambuffers.go) and so not always in order.
	sent [historySize]atomic.Uint64
	// nextSeq numbers the connection's packets (transport-wide); ext
	// holds each number's header extension, in a slot that stays
	// untouched until historySize more packets are numbered, long after
	// the packet has been encrypted and queued.
	nextSeq atomic.Uint32
	ext     [historySize][2]byte

	target atomic.Int64 // bits/s

	mu sync.Mutex // the feedback's state, below
	w  estimateWindowState
	// base is the smallest one-way delay (raw, modulo 2^32 µs) of the
	// current and the previous half of baselineWindow.
	baseCur, basePrev uint32
	baseCurSet        bool
	basePrevSet       bool
	baseSince         time.Time
	lastQueueHigh     bool
	lastQueue         time.Duration
	lastBackoff       time.Time
	// backoffSent is the send time (µs, as in sent) of the last backoff:
	// loss and queueing of packets sent before it were dealt with by it.
	backoffSent    uint32
	backoffSentSet bool
	holdUntil      time.Time
	lastJudged     time.Time
	lastRate       float64 // of the window before
	// recent counts the packets of the last lossWindows windows, lost and
	// received: loss is judged over a second, as a few packets lost in
	// one short window say little.
	recent   [lossWindows]lossCount
	recentAt int
	// reportedEnd follows the last transport-wide sequence number any
	// feedback reported (once reportedSet): what falls between it and a
	// later feedback was reported by one that never came, or has not
	// come yet (fillUnreported).
	reportedEnd uint16
	reportedSet bool
	// judged keeps the last judgements, for a test to show when an
	// estimate will not move.
	judged   [judgedKept]judgement
	judgedAt int
}

// judgedKept is how many judgements an estimator keeps.
const judgedKept = 64

// judgement is what one window of feedback was judged to say.
type judgement struct {
	at              time.Time
	received, lost  int
	loss            float64 // over lossWindows windows
	queue           time.Duration
	carried         float64 // bits/s
	before, after   int64   // the estimate, bits/s
	backoff, growth bool
	held            bool // clear, but in the hold after a backoff
}

// A sent packet's record holds its size in 13 bits and three flags,
// which make every packet count once however often, and in whatever
// order, feedback reports it.
const (
	sizeMask = 0x1fff
	// flagSeen: a feedback reported it, received or lost.
	flagSeen = 1 << 45
	// flagLost: it was counted lost.
	flagLost = 1 << 46
	// flagBytes: its size was counted toward what arrived.
	flagBytes = 1 << 47
)

// sentRecord is the slot of packet seq and what it holds, if it still
// holds that packet's record.
func (e *estimator) sentRecord(seq uint16) (*atomic.Uint64, uint64, bool) {
	slot := &e.sent[uint64(seq)%historySize]
	rec := slot.Load()
	return slot, rec, rec != 0 && uint16(rec>>48) == seq
}

// sentSize is the size of the packet of a sent record.
func sentSize(rec uint64) int { return int(rec >> 32 & sizeMask) }

// lossWindows is how many windows the loss is judged over.
const lossWindows = 4

// lossCount is one window's packets: lost, and all.
type lossCount struct{ lost, total int }

// recentLoss adds a window's counts and returns the share lost over the
// last lossWindows windows.
func (e *estimator) recentLoss(lost, total int) float64 {
	e.recent[e.recentAt%lossWindows] = lossCount{lost, total}
	e.recentAt++
	l, n := 0, 0
	for _, r := range e.recent {
		l, n = l+r.lost, n+r.total
	}
	return max(float64(l)/float64(n), 0)
}

// estimateWindowState is what one window of feedback says.
type estimateWindowState struct {
	start          time.Time
	received, lost int
	bytes          int
	minOWD         uint32 // raw, modulo 2^32 µs
	minOWDSet      bool
}

func newEstimator(cfg BandwidthConfig) *estimator {
	e := &estimator{cfg: cfg, start: time.Now()}
	e.target.Store(int64(cfg.Initial))
	return e
}

// GetTargetBitrate is the estimated downlink, bits/s.
func (e *estimator) GetTargetBitrate() int { return int(e.target.Load()) }

// RTT is the smoothed round trip: from sending a packet to the feedback
// that reports it (the receiver's feedback interval included), 0 until
// known.
func (e *estimator) RTT() time.Duration { return e.rtt.get() }

// Close forgets the connection.
func (e *estimator) Close() error {
	if e.links != nil {
		e.links.remove(e.id, e)
	}
	return nil
}

// BindLocalStream numbers every packet of the stream with the
// connection's transport-wide sequence number (in place of pion's
// header-extension interceptor, which allocates the extension per
// packet) and notes its size and send time.
func (e *estimator) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, x := range info.RTPHeaderExtensions {
		if x.URI == transportCCURI {
			id = uint8(x.ID) //nolint:gosec // negotiated ids are 1-255
		}
	}
	if id == 0 {
		return writer
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		seq := uint16(e.nextSeq.Add(1) - 1) //nolint:gosec // modulo 2^16 on purpose
		ext := &e.ext[uint64(seq)%historySize]
		binary.BigEndian.PutUint16(ext[:], seq)
		if err := h.SetExtension(id, ext[:]); err != nil {
			return 0, err
		}
		size := uint64(min(h.MarshalSize()+len(payload)+int(h.PaddingSize), sizeMask))
		us := uint64(uint32(time.Since(e.start).Microseconds())) //nolint:gosec // modulo 2^32 on purpose
		e.sent[uint64(seq)%historySize].Store(uint64(seq)<<48 | size<<32 | us)
		return writer.Write(h, payload, a)
	})
}

// BindRTCPReader reads the feedback that comes back.
func (e *estimator) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return readingRTCP(reader, func(p rtcp.Packet) {
		if fb, ok := p.(*rtcp.TransportLayerCC); ok {
			e.onFeedback(fb, time.Now())
		}
	})
}

// onFeedback adds one feedback packet to the window and judges the
// window when it is long enough.
func (e *estimator) onFeedback(fb *rtcp.TransportLayerCC, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.w.start.IsZero() {
		e.w.start = now
	}
	if e.backoffSentSet && now.Sub(e.lastBackoff) > backoffRemembered {
		// Whatever was sent before the last backoff has been reported
		// by now; and send times, 32-bit microseconds, wrap every 71.6
		// minutes, past which everything would look sent before it.
		e.backoffSentSet = false
	}
	arrival := int64(fb.ReferenceTime) * 64000 // µs
	seq := fb.BaseSequenceNumber
	remaining := int(fb.PacketStatusCount)
	e.fillUnreported(seq)
	// A feedback reporting what was never sent does not move the mark.
	if end := seq + uint16(remaining); int16(uint16(e.nextSeq.Load())-end) >= 0 && //nolint:gosec // modulo 2^16 on purpose
		(!e.reportedSet || int16(end-e.reportedEnd) > 0) { //nolint:gosec // modulo 2^16 on purpose
		e.reportedEnd, e.reportedSet = end, true
	}
	delta := 0
	newest, haveNewest := uint32(0), false
	status := func(sym uint16) {
		if remaining == 0 {
			return
		}
		remaining--
		s := seq
		seq++
		// Only the delta symbols carry a delta (pion adds none for the
		// fourth, "received without delta"): counting one there would
		// shift every later packet's arrival.
		if (sym == rtcp.TypeTCCPacketReceivedSmallDelta || sym == rtcp.TypeTCCPacketReceivedLargeDelta) && delta < len(fb.RecvDeltas) {
			arrival += fb.RecvDeltas[delta].Delta
			delta++
		}
		slot, rec, ok := e.sentRecord(s)
		if !ok {
			return // not ours, or too old to remember
		}
		// Only what was sent after the last backoff tells whether the
		// estimate is still too high.
		fresh := !e.backoffSentSet || int32(uint32(rec)-e.backoffSent) > 0 //nolint:gosec // modulo 2^32
		if sym == rtcp.TypeTCCPacketNotReceived {
			if rec&flagSeen != 0 {
				return // reported before
			}
			next := rec | flagSeen
			if fresh {
				next |= flagLost
			}
			if slot.CompareAndSwap(rec, next) && fresh {
				e.w.lost++
			}
			return
		}
		if rec&flagSeen != 0 && rec&flagLost == 0 {
			return // reported received before, or lost when it no longer mattered
		}
		if !slot.CompareAndSwap(rec, (rec|flagSeen|flagBytes)&^flagLost) {
			return // its slot went to a newer packet meanwhile
		}
		if rec&flagLost != 0 && fresh {
			// Reported lost, and then received: it came late (the
			// network, or a receiver's goroutines, reordered it). A
			// backoff since dealt with the loss already.
			e.w.lost--
		}
		if rec&flagBytes == 0 {
			e.w.bytes += sentSize(rec)
		}
		newest, haveNewest = uint32(rec), true //nolint:gosec // modulo 2^32
		if !fresh {
			return
		}
		e.w.received++
		if sym == rtcp.TypeTCCPacketReceivedWithoutDelta {
			return // arrived, but when is not said
		}
		owd := uint32(arrival) - uint32(rec) //nolint:gosec // modulo 2^32 on purpose
		if !e.w.minOWDSet || int32(owd-e.w.minOWD) < 0 {
			e.w.minOWD, e.w.minOWDSet = owd, true
		}
	}
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range c.RunLength {
				status(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, sym := range c.SymbolList {
				status(sym)
			}
		}
	}
	if haveNewest {
		nowUs := uint32(now.Sub(e.start).Microseconds()) //nolint:gosec // modulo 2^32
		e.rtt.observe(time.Duration(int32(nowUs-newest)) * time.Microsecond)
	}
	if now.Sub(e.w.start) >= estimateWindow {
		e.judge(now)
		e.w = estimateWindowState{start: now}
	}
}

// maxUnreported bounds the packets a missing feedback is taken to have
// reported: a longer gap is a receiver that started afresh.
const maxUnreported = 1024

// fillUnreported counts, for the rate, the packets sent between the last
// feedback and one that begins at base: a feedback that never came, or
// has not come yet, reported them. Feedback goes missing on the way, and
// comes out of order by the engine's two ways (the RTCP naming a down
// track's RTX SSRC reaches the estimator at once, the rest when the down
// track reads it): without this, a probe whose feedback all went missing
// never showed the estimate what it sent. Whether those packets arrived
// is unknown, so they count neither as received nor as lost, until a
// feedback says.
func (e *estimator) fillUnreported(base uint16) {
	if !e.reportedSet {
		return
	}
	gap := int16(base - e.reportedEnd) //nolint:gosec // modulo 2^16 on purpose
	if gap <= 0 || gap > maxUnreported {
		return
	}
	for s := e.reportedEnd; s != base; s++ {
		if slot, rec, ok := e.sentRecord(s); ok && rec&(flagSeen|flagBytes) == 0 && slot.CompareAndSwap(rec, rec|flagBytes) {
			e.w.bytes += sentSize(rec)
		}
	}
}

// judge turns a window of feedback into the new estimate.
func (e *estimator) judge(now time.Time) {
	w := &e.w
	elapsed := now.Sub(w.start)
	rate := float64(w.bytes*8) / elapsed.Seconds()
	j := judgement{at: now, received: w.received, lost: w.lost}
	defer func() {
		j.after = e.target.Load()
		e.judged[e.judgedAt%judgedKept] = j
		e.judgedAt++
	}()
	// A window's lost count goes below zero when packets an earlier one
	// counted lost turn out to have arrived late.
	total := w.received + max(w.lost, 0)
	if total == 0 {
		return
	}
	loss := e.recentLoss(w.lost, total)

	queue := time.Duration(0)
	if w.minOWDSet {
		e.updateBaseline(w.minOWD, now)
		base := e.baseCur
		if e.basePrevSet && int32(e.basePrev-base) < 0 {
			base = e.basePrev
		}
		queue = time.Duration(int32(w.minOWD-base)) * time.Microsecond
	}
	queueHigh := queue > queueCongested && queue > e.lastQueue-queueDraining
	standing := queueHigh && e.lastQueueHigh
	e.lastQueueHigh, e.lastQueue = queueHigh, queue

	est := float64(e.target.Load())
	j.loss, j.queue, j.before = loss, queue, int64(est)
	dt := now.Sub(e.lastJudged)
	if e.lastJudged.IsZero() || dt > time.Second {
		dt = elapsed
	}
	e.lastJudged = now
	// What the link carried: the better of two windows, as feedback
	// comes in bursts and one window may hold little of it.
	carried := max(rate, e.lastRate)
	e.lastRate = rate
	j.carried = carried
	switch {
	case loss > lossCongested || standing:
		if now.Sub(e.lastBackoff) >= backoffEvery {
			// A queue that keeps growing means more is sent than the
			// link carries: what it carried is the estimate. Loss alone
			// may come from elsewhere (a radio, a receiver short of CPU)
			// while less is sent than the estimate: lower it as GCC does,
			// by half the loss, but not below what arrived.
			cut := backoffRatio * carried
			if !standing {
				cut = max(cut, est*(1-loss/2))
			}
			est = min(est, cut)
			j.backoff = true
			e.lastBackoff = now
			e.backoffSent = uint32(now.Sub(e.start).Microseconds()) //nolint:gosec // modulo 2^32
			e.backoffSentSet = true
			e.lastQueueHigh = false
			e.recent = [lossWindows]lossCount{} // dealt with
		}
		e.holdUntil = now.Add(holdAfterBackoff)
	case loss < lossClear && queue < queueClear && !now.After(e.holdUntil):
		j.held = true
	case loss < lossClear && queue < queueClear:
		j.growth = true
		grown := est * (1 + growthPerSecond*dt.Seconds())
		est = min(grown, max(est, headroomRatio*carried+headroomBits))
	}
	est = min(max(est, float64(e.cfg.Min)), float64(e.cfg.Max))
	e.target.Store(int64(est))
}

// updateBaseline keeps the smallest one-way delay of the last
// baselineWindow in two halves, so that an old minimum expires.
func (e *estimator) updateBaseline(owd uint32, now time.Time) {
	if e.baseSince.IsZero() || now.Sub(e.baseSince) > baselineWindow/2 {
		e.basePrev, e.basePrevSet = e.baseCur, e.baseCurSet
		e.baseCur, e.baseCurSet = owd, true
		e.baseSince = now
		return
	}
	if !e.baseCurSet || int32(owd-e.baseCur) < 0 {
		e.baseCur, e.baseCurSet = owd, true
	}
}
