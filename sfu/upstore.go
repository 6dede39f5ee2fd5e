package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// upStore keeps the recent packets of one video layer as they came from
// the publisher, for the retransmissions its subscribers ask for. It is
// the one copy of a packet that every down track of the layer resends
// from: a down track keeps only how it rewrote each packet (sentlog.go).
// Kept per down track, the copies grew with the subscribers and with
// their round trips: 48 KB per down video track on loopback, 192 KB at
// 720p across a 200 ms round trip, most of the server's heap.
//
// It keeps packets for keepFor the longest round trip among the layer's
// subscribers, which their down tracks report (noteRTT).
type upStore struct {
	mu    sync.Mutex
	slots []storedPacket
	sizer ringSizer
	// newest is the highest sequence number kept (valid once any is).
	newest uint16
	any    bool
	// pps is the packet rate last measured, and sizedFor the round trip
	// (µs) the ring was last sized for: a longer one reported meanwhile
	// (grow) makes it grow at the next packet rather than at the next
	// check, as a round trip grows most when packets are lost.
	pps      float64
	sizedFor atomic.Int64
	grow     atomic.Bool

	// rttNow and rttBefore are the longest round trips reported, in µs,
	// since the last resize check and in the period before it: down
	// tracks report about as often as the store checks, so one period
	// alone may have missed some.
	rttNow, rttBefore atomic.Int64
}

type storedPacket struct {
	seq  uint16
	data []byte // the payload; nil: empty slot
}

// restartGap is how far behind the newest a packet must be to count as
// the publisher's numbering starting again rather than an old packet:
// browsers resend packets up to a second or so old over RTX to probe
// their uplink, a few hundred packets.
const restartGap = 4096

func newUpStore() *upStore { return &upStore{slots: make([]storedPacket, cacheMin)} }

// add copies the payload of a packet just received; repaired says it
// came over RTX. Padding (bandwidth probes) is not kept: down tracks
// send none of it as media. Nor is a packet kept already, or one older
// than what its slot holds: an old packet a browser resends to probe
// its uplink must not push out a recent one that subscribers may still
// ask for.
func (s *upStore) add(pkt *rtp.Packet, repaired bool) {
	seq := pkt.SequenceNumber
	s.mu.Lock()
	defer s.mu.Unlock()
	// New media and padding move the newest number on (a publisher
	// pads with numbers of its stream, and a long run of padding must
	// not make the media after it look old); a repair never does.
	ahead := int16(seq - s.newest) //nolint:gosec // modulo 2^16 on purpose
	newest := !repaired && (!s.any || ahead > 0 || ahead < -restartGap)
	if newest {
		s.newest, s.any = seq, true
	}
	if len(pkt.Payload) == 0 || len(pkt.Payload) > maxPacketSize {
		return
	}
	s.resizeLocked()
	p := &s.slots[int(seq)&(len(s.slots)-1)]
	if !newest && p.data != nil && int16(seq-p.seq) <= 0 { //nolint:gosec // modulo 2^16 on purpose
		return // kept already, or older than what the slot holds
	}
	if p.data == nil {
		p.data = make([]byte, 0, maxPacketSize) // once per slot
	}
	p.data = append(p.data[:0], pkt.Payload...)
	p.seq = seq
}

// resizeLocked gives the ring the size the packet rate and the round
// trips call for, at each check, or at once when a round trip grew.
func (s *upStore) resizeLocked() {
	pps, due := s.sizer.due()
	var rtt int64
	switch {
	case due:
		s.pps = pps
		rtt = s.checkRTT()
	case s.grow.Load() && s.pps > 0:
		rtt = max(s.rttNow.Load(), s.rttBefore.Load())
	default:
		return
	}
	s.grow.Store(false)
	s.sizedFor.Store(rtt)
	want := ringSize(len(s.slots), s.pps, keepFor(time.Duration(rtt)*time.Microsecond))
	if want != len(s.slots) && (due || want > len(s.slots)) {
		s.slots = resized(s.slots, want, func(p *storedPacket) (uint16, bool) { return p.seq, p.data != nil })
	}
}

// checkRTT returns the longest round trip reported in the last two
// periods, in µs, and starts a new period.
func (s *upStore) checkRTT() int64 {
	now := s.rttNow.Swap(0)
	return max(now, s.rttBefore.Swap(now))
}

// noteRTT reports the round trip of one of the layer's subscribers.
func (s *upStore) noteRTT(rtt time.Duration) {
	us := rtt.Microseconds()
	for {
		old := s.rttNow.Load()
		if us <= old || s.rttNow.CompareAndSwap(old, us) {
			break
		}
	}
	if us > s.sizedFor.Load()*5/4+1000 {
		s.grow.Store(true)
	}
}

// keptLocked returns the slot of packet seq, or nil if it is no longer
// kept.
func (s *upStore) keptLocked(seq uint16) *storedPacket {
	p := &s.slots[int(seq)&(len(s.slots)-1)]
	if p.data == nil || p.seq != seq {
		return nil
	}
	return p
}

// size returns the payload size of packet seq, or false if the packet
// is no longer kept.
func (s *upStore) size(seq uint16) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.keptLocked(seq); p != nil {
		return len(p.data), true
	}
	return 0, false
}

// payload returns a copy of the payload of packet seq, with spare bytes
// of capacity to spare, or false if the packet is no longer kept.
func (s *upStore) payload(seq uint16, spare int) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.keptLocked(seq)
	if p == nil {
		return nil, false
	}
	return append(make([]byte, 0, len(p.data)+spare), p.data...), true
}
