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

func newUpStore() *upStore { return &upStore{slots: make([]storedPacket, cacheMin)} }

// add copies the payload of a packet just received. Padding (bandwidth
// probes) is not kept: down tracks send none of it as media.
func (s *upStore) add(pkt *rtp.Packet) {
	if len(pkt.Payload) == 0 || len(pkt.Payload) > maxPacketSize {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if pps, ok := s.sizer.due(); ok {
		if want := ringSize(len(s.slots), pps, s.keep()); want != len(s.slots) {
			s.slots = resized(s.slots, want, func(p *storedPacket) (uint16, bool) { return p.seq, p.data != nil })
		}
	}
	p := &s.slots[int(pkt.SequenceNumber)&(len(s.slots)-1)]
	if p.data == nil {
		p.data = make([]byte, 0, maxPacketSize) // once per slot
	}
	p.data = append(p.data[:0], pkt.Payload...)
	p.seq = pkt.SequenceNumber
}

// keep is how long packets are kept: keepFor the longest round trip
// reported in the last two periods. It starts a new period.
func (s *upStore) keep() time.Duration {
	now := s.rttNow.Swap(0)
	before := s.rttBefore.Swap(now)
	return keepFor(time.Duration(max(now, before)) * time.Microsecond)
}

// noteRTT reports the round trip of one of the layer's subscribers.
func (s *upStore) noteRTT(rtt time.Duration) {
	us := rtt.Microseconds()
	for {
		old := s.rttNow.Load()
		if us <= old || s.rttNow.CompareAndSwap(old, us) {
			return
		}
	}
}

// payload copies the payload of packet seq into dst, which must have
// room for it (maxPacketSize), and returns it, or false if the packet is
// no longer kept.
func (s *upStore) payload(seq uint16, dst []byte) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.slots[int(seq)&(len(s.slots)-1)]
	if p.data == nil || p.seq != seq {
		return nil, false
	}
	return dst[:copy(dst[:len(p.data)], p.data)], true
}
