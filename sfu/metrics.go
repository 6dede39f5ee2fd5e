package sfu

import (
	"sync"
	"sync/atomic"
	"time"
)

// trackStats counts one up track's traffic. Only the track's forwarding
// goroutine writes the packet counters, so they cost an uncontended
// atomic add; readers sum them over tracks when metrics are scraped.
type trackStats struct {
	packetsIn, bytesIn   atomic.Uint64
	repairedIn           atomic.Uint64 // of packetsIn, those that came on an RTX stream
	packetsOut, bytesOut atomic.Uint64
	nacksIn              atomic.Uint64 // NACK packets from subscribers
	keyframeRequestsIn   atomic.Uint64 // PLI and FIR from subscribers
	keyframeRequestsOut  atomic.Uint64 // PLI sent to the publisher
	// keyframeRequestsForLoss are those of keyframeRequestsOut that
	// the SFU made for a subscriber whose NACK it could not answer.
	keyframeRequestsForLoss atomic.Uint64
}

func (s *trackStats) addTo(t *Totals) {
	t.PacketsIn += s.packetsIn.Load()
	t.BytesIn += s.bytesIn.Load()
	t.RepairedIn += s.repairedIn.Load()
	t.PacketsOut += s.packetsOut.Load()
	t.BytesOut += s.bytesOut.Load()
	t.NACKsIn += s.nacksIn.Load()
	t.KeyframeRequestsIn += s.keyframeRequestsIn.Load()
	t.KeyframeRequestsOut += s.keyframeRequestsOut.Load()
	t.KeyframeRequestsForLoss += s.keyframeRequestsForLoss.Load()
}

// Totals are the SFU's counters since start.
type Totals struct {
	PacketsIn, BytesIn   uint64 // RTP received from publishers
	RepairedIn           uint64 // of PacketsIn, those that came on an RTX stream (browsers' probes too)
	PacketsOut, BytesOut uint64 // RTP forwarded to subscribers
	NACKsIn              uint64 // NACK packets from subscribers
	Resent, ResentRTX    uint64 // packets resent to subscribers; of those, on an RTX stream
	ResentRebuilt        uint64 // of Resent, those rebuilt from an up track's one copy (sentlog.go)
	KeyframeRequestsIn   uint64 // PLI and FIR from subscribers
	KeyframeRequestsOut  uint64 // keyframe requests sent to publishers
	// KeyframeRequestsForLoss counts those of KeyframeRequestsOut made
	// because a subscriber NACKed packets the SFU could not resend
	// (lossrepair.go).
	KeyframeRequestsForLoss uint64
	// Datagrams counts what the media sockets sent in batches (media,
	// RTCP, ICE), KernelSends the messages the kernel was handed for
	// them: fewer where it cut runs of datagrams itself (UDP GSO).
	Datagrams, KernelSends uint64
}

// Gauges are the SFU's current sizes.
type Gauges struct {
	Rooms, Participants, Tracks int
}

// LatencyBuckets are the upper bounds of the forwarding latency
// histogram: the time from a packet's arrival in the SFU to the last of
// its copies handed to the network stack.
var LatencyBuckets = []time.Duration{
	10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond,
	250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond,
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
}

// latencySampleEvery samples one packet in 16 for the latency histogram:
// two clock reads per packet would cost more than the rest of the fan-out.
const latencySampleEvery = 16

// Histogram is a snapshot of the forwarding latency histogram: Counts[i]
// packets took at most LatencyBuckets[i] (not cumulative), the last
// element counts the slower ones.
type Histogram struct {
	Counts []uint64
	Sum    time.Duration
	Count  uint64
}

type latencyHistogram struct {
	counts [12]atomic.Uint64 // len(LatencyBuckets)+1
	sumNs  atomic.Int64
}

func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	for i < len(LatencyBuckets) && d > LatencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

func (h *latencyHistogram) snapshot() Histogram {
	s := Histogram{Counts: make([]uint64, len(h.counts)), Sum: time.Duration(h.sumNs.Load())}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
		s.Count += s.Counts[i]
	}
	return s
}

// metrics gathers the counters of the manager's tracks: live ones are
// summed on demand, ended ones are folded into retired.
type metrics struct {
	latency latencyHistogram

	mu      sync.Mutex
	live    map[*trackStats]struct{}
	retired Totals
}

func newMetrics() *metrics {
	return &metrics{live: map[*trackStats]struct{}{}}
}

func (m *metrics) track(s *trackStats) {
	m.mu.Lock()
	m.live[s] = struct{}{}
	m.mu.Unlock()
}

func (m *metrics) retire(s *trackStats) {
	m.mu.Lock()
	delete(m.live, s)
	s.addTo(&m.retired)
	m.mu.Unlock()
}

func (m *metrics) totals() (Totals, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.retired
	for s := range m.live {
		s.addTo(&t)
	}
	return t, len(m.live)
}

// Totals returns the SFU's counters since start.
func (m *Manager) Totals() Totals {
	t, _ := m.metrics.totals()
	if m.engine != nil && m.engine.resent != nil {
		t.Resent, t.ResentRTX = m.engine.resent.all.Load(), m.engine.resent.rtx.Load()
		t.ResentRebuilt = m.engine.resent.rebuilt.Load()
	}
	if m.engine != nil {
		t.Datagrams, t.KernelSends = m.engine.socketSends()
	}
	return t
}

// Gauges returns the numbers of rooms, participants and tracks now.
func (m *Manager) Gauges() Gauges {
	_, tracks := m.metrics.totals()
	return Gauges{Rooms: m.RoomCount(), Participants: m.ParticipantCount(), Tracks: tracks}
}

// ForwardLatency returns the forwarding latency histogram (sampled).
func (m *Manager) ForwardLatency() Histogram { return m.metrics.latency.snapshot() }
