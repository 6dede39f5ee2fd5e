package sfu

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Answers to subscribers' NACKs: each video down track keeps what it
// sent for as long as a retransmission can still help, which depends on
// the round trip, and resends what a NACK names. It replaces pion's
// responder, whose cache is a fixed number of packets per track (256 or
// 1024: 0.9-2.3 MB per video down track, most of the server's memory)
// and which allocates per packet.
//
// The cache holds keepFor(rtt) of the stream at its measured packet
// rate, the round trip coming from the connection's estimator (the age
// of the newest packet that TWCC feedback reports): on loopback that is
// a few dozen packets, across a continent a few hundred.

// Retransmission cache sizing.
const (
	// cacheMin and cacheMax bound a cache, in packets (powers of two).
	cacheMin = 32
	cacheMax = 1024
	// keepMin and keepMax bound how long a packet is kept: long enough for
	// the receiver to notice a gap and ask again a few times.
	keepMin = 300 * time.Millisecond
	keepMax = 2 * time.Second
	// keepRTTs is how many round trips a packet is kept for, on top of
	// keepMin's margin for the receiver's own wait.
	keepRTTs = 4
	// resizeEvery is how often a cache checks its size against the rate
	// and the round trip.
	resizeEvery = 2 * time.Second
	// resendGapMin is the least time between two resends of one packet
	// when the round trip is not known yet; otherwise a packet is resent
	// at most once per round trip, as libwebrtc's sender does: a NACK
	// repeated before the first resend could arrive asks for nothing new.
	resendGapMin = 20 * time.Millisecond
	// resendShare is the share of the subscriber's estimated downlink
	// that retransmissions may take, and resendBurst how much of it may
	// go at once. A weak link that lost a burst of packets NACKs them
	// all, and again every 100 ms or so: resending everything kept its
	// queue full and lost more, for seconds. A resend may take the
	// budget below zero (take), so that a packet larger than the burst
	// still goes on a link whose burst is smaller than one packet.
	resendShare = 0.25
	resendBurst = 100 * time.Millisecond
)

// keepFor is how long packets are kept for a round trip of rtt.
func keepFor(rtt time.Duration) time.Duration {
	return min(keepMin+keepRTTs*rtt, keepMax)
}

// cacheSlots is the cache size for pps packets a second kept for keep.
func cacheSlots(pps float64, keep time.Duration) int {
	n := int(pps*keep.Seconds()) + 1
	n = 1 << bits.Len(uint(n-1)) // next power of two
	return min(max(n, cacheMin), cacheMax)
}

// retransmitterFactory makes one retransmitter per peer connection.
type retransmitterFactory struct {
	links    *downlinks
	resent   *resendCounts
	rtxConns <-chan *rtxSSRCs
	sources  *resendSources
}

// NewInterceptor is called by pion for each new peer connection.
func (f *retransmitterFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	r := &retransmitter{id: id, links: f.links, resent: f.resent, sources: f.sources, streams: map[uint32]*sentCache{}}
	select {
	case r.rtxSSRCs = <-f.rtxConns:
	default: // a connection made outside Engine.newPeerConnection
	}
	return r, nil
}

// resendCounts counts the engine's retransmissions, for its metrics.
type resendCounts struct {
	all, rtx atomic.Uint64 // rtx: those on an RTX stream
	rebuilt  atomic.Uint64 // rebuilt by a down track from its up store
}

// retransmitter caches what the video streams of one connection send and
// resends what NACKs ask for.
type retransmitter struct {
	interceptor.NoOp
	id     string
	links  *downlinks
	resent *resendCounts // nil in unit tests
	// rtxSSRCs learns the RTX SSRCs of the connection's streams (nil
	// outside Engine.newPeerConnection).
	rtxSSRCs *rtxSSRCs
	// sources hands over the down tracks that rebuild what they sent
	// (nil in unit tests).
	sources *resendSources

	mu      sync.Mutex
	streams map[uint32]*sentCache
	budget  resendBudget
}

// resendBudget is a token bucket, in bytes, that bounds the
// retransmissions of one connection to resendShare of its estimate.
type resendBudget struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// take reports whether size bytes may be resent now, at rate bits/s (0:
// unknown, no bound), and takes them if so. While anything is left a
// packet goes whole, even one larger than what is left: the debt is
// paid back before the next goes, so the share holds over time. Under
// about 380 kbit/s a burst (resendBurst of resendShare) is smaller than
// a full-size video packet, which a bucket that wanted the whole size
// in hand never resent: on the weak links that lose most, no repair
// of a full packet at all, the picture broken until a keyframe.
func (b *resendBudget) take(size int, rate int, now time.Time) bool {
	if rate <= 0 {
		return true
	}
	bytesPerSecond := resendShare * float64(rate) / 8
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = bytesPerSecond * resendBurst.Seconds()
	} else {
		b.tokens = min(b.tokens+bytesPerSecond*now.Sub(b.last).Seconds(), bytesPerSecond*resendBurst.Seconds())
	}
	b.last = now
	if b.tokens <= 0 {
		return false
	}
	b.tokens -= float64(size)
	return true
}

// sentCache is one stream's recently sent packets, marshalled, by
// sequence number, unless a source rebuilds them. Its lock is held to
// copy a packet in or out, never across a write to the network.
type sentCache struct {
	writer interceptor.RTPWriter
	rtt    func() time.Duration
	rtx    *rtxStream // nil: resent on the media stream
	// allow says whether a resend of size bytes fits the connection's
	// budget now.
	allow  func(size int, now time.Time) bool
	resent *resendCounts
	// source, when not nil, is the down track that wrote the stream: it
	// rebuilds a packet from the one copy its up track keeps
	// (sentlog.go), and the cache keeps nothing.
	source resendSource

	mu    sync.Mutex
	slots []sentPacket
	sizer ringSizer
}

// resendSource rebuilds what a stream sent, for a retransmission.
type resendSource interface {
	// resendCopy returns, in a buffer of its own with rtxHeaderSize
	// bytes to spare, packet seq as it was sent, unless it is no longer
	// known, was resent less than gap ago, or allow (given its size)
	// refuses it; a packet returned counts as resent at now.
	resendCopy(seq uint16, now time.Time, gap time.Duration, allow func(size int, now time.Time) bool) (rtp.Header, []byte, bool)
	// useRTT tells it the subscriber's round trip.
	useRTT(rtt func() time.Duration)
}

// ringSizer sizes a ring of a stream's recent packets to what the
// stream sends, at its measured packet rate, in the time a packet must
// be kept. It measures the rate every resizeEvery (looked at every 64
// packets, so as not to read the clock per packet).
type ringSizer struct {
	count   int // packets since the last check
	checked time.Time
}

// due counts one packet and, when a check is due, returns the packet
// rate measured since the last one.
func (s *ringSizer) due() (float64, bool) {
	s.count++
	if s.count&63 != 0 {
		return 0, false
	}
	now := time.Now()
	if s.checked.IsZero() {
		s.count, s.checked = 0, now
		return 0, false
	}
	elapsed := now.Sub(s.checked)
	if elapsed < resizeEvery {
		return 0, false
	}
	if elapsed > 2*resizeEvery {
		// The stream was silent (a layer paused, a track hidden): its
		// rate is measured afresh from now, not spread over the silence,
		// which would shrink the ring just as the stream resumes with a
		// keyframe.
		s.count, s.checked = 0, now
		return 0, false
	}
	pps := float64(s.count) / elapsed.Seconds()
	s.count, s.checked = 0, now
	return pps, true
}

// ringSize is the size a ring of have slots should have to keep pps
// packets a second for keep: have, unless that calls for another size
// (it shrinks only by half or more, so as not to flap).
func ringSize(have int, pps float64, keep time.Duration) int {
	want := cacheSlots(pps, keep)
	if want == have || (want < have && want*2 > have) {
		return have
	}
	return want
}

// resized moves the slots of a ring into one of want slots, each to the
// index of its sequence number (seq reports it, and whether the slot
// holds anything), the newer where two meet. It allocates: call it
// only when the size changes.
func resized[T any](slots []T, want int, seq func(*T) (uint16, bool)) []T {
	next := make([]T, want)
	for i := range slots {
		n, ok := seq(&slots[i])
		if !ok {
			continue
		}
		// Shrinking, two packets may want one slot: the newer keeps it.
		t := &next[int(n)&(want-1)]
		if m, taken := seq(t); taken && int16(n-m) <= 0 { //nolint:gosec // modulo 2^16 on purpose
			continue
		}
		*t = slots[i]
	}
	return next
}

type sentPacket struct {
	seq      uint16
	data     []byte    // nil: empty
	resentAt time.Time // the last resend, zero if none
}

func (r *retransmitter) rtt() time.Duration {
	if e := r.links.get(r.id); e != nil {
		return e.RTT()
	}
	return 0
}

// allowResend takes size bytes from the connection's resend budget.
func (r *retransmitter) allowResend(size int, now time.Time) bool {
	rate := 0
	if e := r.links.get(r.id); e != nil {
		rate = e.GetTargetBitrate()
	}
	return r.budget.take(size, rate, now)
}

// BindLocalStream caches the packets of streams that negotiated NACK.
func (r *retransmitter) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	src := r.sources.take(info.ID) // taken even if unused: it was offered for this stream
	nack := false
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			nack = true
		}
	}
	if !nack {
		return writer
	}
	c := &sentCache{writer: writer, rtt: r.rtt, allow: r.allowResend, resent: r.resent}
	if src != nil {
		c.source = src
		src.useRTT(r.rtt)
	} else {
		c.slots = make([]sentPacket, cacheMin)
	}
	if info.SSRCRetransmission != 0 && info.PayloadTypeRetransmission != 0 {
		c.rtx = newRTXStream(info.SSRCRetransmission, info.PayloadTypeRetransmission)
		if r.rtxSSRCs != nil {
			r.rtxSSRCs.add(info.SSRCRetransmission, r.links.get(r.id))
		}
	}
	r.mu.Lock()
	r.streams[info.SSRC] = c
	r.mu.Unlock()
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if c.rtx != nil && h.SSRC == c.rtx.ssrc {
			c.rtx.numberPadding(h) // a probe, not media: nothing to cache
			return writer.Write(h, payload, a)
		}
		if c.source == nil {
			c.add(h, payload)
		}
		return writer.Write(h, payload, a)
	})
}

// UnbindLocalStream forgets a stream's cache.
func (r *retransmitter) UnbindLocalStream(info *interceptor.StreamInfo) {
	r.mu.Lock()
	delete(r.streams, info.SSRC)
	r.mu.Unlock()
	if r.rtxSSRCs != nil && info.SSRCRetransmission != 0 {
		r.rtxSSRCs.remove(info.SSRCRetransmission)
	}
}

// Close forgets the connection's RTX SSRCs, should pion not have
// unbound every stream.
func (r *retransmitter) Close() error {
	if r.rtxSSRCs != nil {
		r.rtxSSRCs.clear()
	}
	return nil
}

// BindRTCPReader resends what NACKs ask for.
func (r *retransmitter) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return readingRTCP(reader, func(p rtcp.Packet) {
		nack, ok := p.(*rtcp.TransportLayerNack)
		if !ok {
			return
		}
		r.mu.Lock()
		c := r.streams[nack.MediaSSRC]
		r.mu.Unlock()
		if c != nil {
			c.answer(nack)
		}
	})
}

// add copies a packet into the cache; every resizeEvery it checks the
// cache's size against the packet rate and the round trip.
func (c *sentCache) add(h *rtp.Header, payload []byte) {
	size := h.MarshalSize() + len(payload)
	if size > maxPacketSize || h.Padding {
		return // padding (bandwidth probes) is not worth resending
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if pps, ok := c.sizer.due(); ok {
		if want := ringSize(len(c.slots), pps, keepFor(c.rtt())); want != len(c.slots) {
			c.slots = resized(c.slots, want, func(s *sentPacket) (uint16, bool) { return s.seq, s.data != nil })
		}
	}
	s := &c.slots[int(h.SequenceNumber)&(len(c.slots)-1)]
	if s.data == nil {
		s.data = make([]byte, 0, maxPacketSize) // once per slot
	}
	n, err := h.MarshalTo(s.data[:size])
	if err != nil {
		s.data = s.data[:0]
		return
	}
	copy(s.data[n:size], payload)
	s.data = s.data[:size]
	s.seq = h.SequenceNumber
	s.resentAt = time.Time{}
}

// answer resends every packet a NACK names that is still cached, has
// not been resent within the last round trip, and fits the
// connection's resend budget.
func (c *sentCache) answer(nack *rtcp.TransportLayerNack) {
	now := time.Now()
	gap := max(c.rtt(), resendGapMin)
	for i := range nack.Nacks {
		nack.Nacks[i].Range(func(seq uint16) bool {
			c.resendOne(seq, now, gap)
			return true
		})
	}
}

func (c *sentCache) resendOne(seq uint16, now time.Time, gap time.Duration) {
	if c.source != nil {
		if h, payload, ok := c.source.resendCopy(seq, now, gap, c.allow); ok && c.send(&h, payload) && c.resent != nil {
			c.resent.rebuilt.Add(1)
		}
		return
	}
	c.mu.Lock()
	s := &c.slots[int(seq)&(len(c.slots)-1)]
	if s.data == nil || s.seq != seq || len(s.data) == 0 || now.Sub(s.resentAt) < gap {
		c.mu.Unlock()
		return
	}
	if c.allow != nil && !c.allow(len(s.data), now) {
		c.mu.Unlock()
		return
	}
	s.resentAt = now
	// A copy, written outside the lock (an allocation per packet
	// resent, not per packet sent), with room for RTX's two bytes.
	buf := make([]byte, len(s.data), len(s.data)+rtxHeaderSize)
	copy(buf, s.data)
	c.mu.Unlock()
	var h rtp.Header
	n, err := h.Unmarshal(buf)
	if err != nil {
		return
	}
	c.send(&h, buf[n:])
}

// send writes a resend, on the RTX stream if there is one, and reports
// whether it went; payload has rtxHeaderSize bytes of capacity to spare.
func (c *sentCache) send(h *rtp.Header, payload []byte) bool {
	if c.rtx != nil {
		payload = c.rtx.wrap(h, payload)
	}
	if _, err := c.writer.Write(h, payload, nil); err != nil {
		return false
	}
	if c.resent != nil {
		c.resent.all.Add(1)
		if c.rtx != nil {
			c.resent.rtx.Add(1)
		}
	}
	return true
}

// downlinks finds a connection's estimator by the connection's id, for
// the round trip it measures.
type downlinks struct {
	mu   sync.Mutex
	byID map[string]*estimator
}

func newDownlinks() *downlinks { return &downlinks{byID: map[string]*estimator{}} }

func (d *downlinks) put(id string, e *estimator) {
	d.mu.Lock()
	d.byID[id] = e
	d.mu.Unlock()
}

func (d *downlinks) remove(id string, e *estimator) {
	d.mu.Lock()
	if d.byID[id] == e {
		delete(d.byID, id)
	}
	d.mu.Unlock()
}

func (d *downlinks) get(id string) *estimator {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byID[id]
}

// rttSmoothing is the weight of a new round-trip sample.
const rttSmoothing = 0.125

// srtt is a smoothed round trip in µs, updated atomically.
type srtt struct{ us atomic.Int64 }

func (s *srtt) observe(sample time.Duration) {
	if sample <= 0 || sample > 10*time.Second {
		return
	}
	old := s.us.Load()
	if old == 0 {
		s.us.Store(sample.Microseconds())
		return
	}
	s.us.Store(old + int64(rttSmoothing*float64(sample.Microseconds()-old)))
}

func (s *srtt) get() time.Duration { return time.Duration(s.us.Load()) * time.Microsecond }
