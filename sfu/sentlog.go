package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// What a video down track sent, for the retransmissions its subscriber
// asks for. The packet itself stays in its layer's upStore, one copy
// for every subscriber; the down track notes only how it rewrote it:
// its sequence number and timestamp as sent, and the first bytes of the
// payload, which hold the VP8 descriptor it renumbered. The
// retransmitter of the subscriber's connection rebuilds the packet from
// both (DownTrack.resendCopy). That saves a copy of every packet per
// subscriber, in memory and in CPU.

// prefixMax is how much of a payload a record keeps as sent: a VP8
// payload descriptor, the only part a down track rewrites, takes at most
// 6 bytes.
const prefixMax = 8

// sentRecord is one packet as a down track sent it.
type sentRecord struct {
	kept     bool     // false: empty slot
	store    *upStore // where the payload is; nil: none (padding)
	upSeq    uint16   // its number there
	seq      uint16   // as sent
	ts       uint32   // as sent
	marker   bool
	prefixN  uint8
	prefix   [prefixMax]byte
	resentAt int64 // unix ns of the last resend; 0: none
}

// sentLog is a down track's records by sequence number, kept for
// keepMax at the track's packet rate: records are small, and a
// subscriber's round trip may grow.
type sentLog struct {
	slots []sentRecord
	sizer ringSizer
	// rtt is the subscriber's round trip, from the retransmitter of its
	// connection (nil until bound), and rttUS its last value, refreshed
	// at each resize check and reported to the stores written from, so
	// that they keep packets long enough.
	rtt   func() time.Duration
	rttUS int64
	// newest is the highest number sent, and keyframe that of the first
	// packet of the last keyframe sent (both valid once keyed): what
	// lies between them the subscriber's picture cannot do without
	// (lossrepair.go).
	newest, keyframe uint16
	keyed            bool
}

// note records a packet as sent: h and payload after the rewrite, from
// packet upSeq of store; key says it begins a keyframe.
func (l *sentLog) note(store *upStore, upSeq uint16, h *rtp.Header, payload []byte, key bool) {
	if l.slots == nil {
		l.slots = make([]sentRecord, cacheMin)
		l.newest = h.SequenceNumber
	}
	l.noteOrder(h.SequenceNumber, key)
	if pps, ok := l.sizer.due(); ok {
		if l.rtt != nil {
			l.rttUS = l.rtt().Microseconds()
		}
		if want := ringSize(len(l.slots), pps, keepMax); want != len(l.slots) {
			l.slots = resized(l.slots, want, func(r *sentRecord) (uint16, bool) { return r.seq, r.kept })
		}
	}
	if len(payload) == 0 {
		store = nil // padding: nothing to fetch
	}
	if store != nil && l.rttUS > 0 {
		store.noteRTT(time.Duration(l.rttUS) * time.Microsecond)
	}
	r := &l.slots[int(h.SequenceNumber)&(len(l.slots)-1)]
	*r = sentRecord{kept: true, store: store, upSeq: upSeq, seq: h.SequenceNumber, ts: h.Timestamp, marker: h.Marker}
	r.prefixN = uint8(copy(r.prefix[:], payload)) //nolint:gosec // at most prefixMax
}

// at returns the record of packet seq, or nil.
func (l *sentLog) at(seq uint16) *sentRecord {
	if l.slots == nil {
		return nil
	}
	if r := &l.slots[int(seq)&(len(l.slots)-1)]; r.kept && r.seq == seq {
		return r
	}
	return nil
}

// resendCopy rebuilds packet seq as the down track sent it
// (resendSource). A packet the picture needs that it cannot resend asks
// for a keyframe instead (lossrepair.go).
func (d *DownTrack) resendCopy(seq uint16, now time.Time, gap time.Duration, allow func(size int, now time.Time) bool) (rtp.Header, []byte, bool) {
	h, payload, res := d.rebuild(seq, now, gap, allow)
	if res == resendLost {
		d.repairLost(seq, now)
	}
	return h, payload, res == resendDone
}

// resendResult is what came of a NACKed packet.
type resendResult int

const (
	resendDone  resendResult = iota // rebuilt, to be resent
	resendLater                     // resent within the round trip, or not for this track
	resendLost                      // media that is gone, or over the budget
)

// rebuild is resendCopy's work: the packet rebuilt, or why not.
func (d *DownTrack) rebuild(seq uint16, now time.Time, gap time.Duration, allow func(size int, now time.Time) bool) (rtp.Header, []byte, resendResult) {
	b := d.binding.Load()
	if b == nil {
		return rtp.Header{}, nil, resendLater
	}
	d.mu.Lock()
	var r sentRecord
	if at := d.sent.at(seq); at != nil {
		r = *at
	}
	d.mu.Unlock()
	if !r.kept {
		return rtp.Header{}, nil, resendLost
	}
	if r.resentAt != 0 && now.UnixNano()-r.resentAt < int64(gap) {
		return rtp.Header{}, nil, resendLater
	}
	// Padding, which has no payload, is never lost to the picture.
	lost := resendLater
	if r.store != nil {
		lost = resendLost
	}
	h := rtp.Header{Version: 2, Marker: r.marker, PayloadType: b.payloadType, SequenceNumber: seq, Timestamp: r.ts, SSRC: b.ssrc}
	size := 0 // padding: no payload
	if r.store != nil {
		// A subscriber asking for resends tells the store its round
		// trip at once: it may have grown with the loss.
		r.store.noteRTT(gap)
		var ok bool
		if size, ok = r.store.size(r.upSeq); !ok || size < int(r.prefixN) {
			return rtp.Header{}, nil, resendLost
		}
	}
	// The budget first: NACKs beyond it, a hostile subscriber's say,
	// must not cost a copy of each packet they name.
	if allow != nil && !allow(h.MarshalSize()+size, now) {
		return rtp.Header{}, nil, lost
	}
	var payload []byte
	if r.store == nil {
		payload = make([]byte, 0, rtxHeaderSize)
	} else {
		var ok bool
		if payload, ok = r.store.payload(r.upSeq, rtxHeaderSize); !ok || len(payload) < int(r.prefixN) {
			return rtp.Header{}, nil, resendLost // gone meanwhile
		}
		copy(payload, r.prefix[:r.prefixN])
	}
	d.mu.Lock()
	if at := d.sent.at(seq); at != nil {
		at.resentAt = now.UnixNano()
	}
	d.mu.Unlock()
	return h, payload, resendDone
}

// useRTT gives the down track its subscriber's round trip
// (resendSource).
func (d *DownTrack) useRTT(rtt func() time.Duration) {
	d.mu.Lock()
	d.sent.rtt = rtt
	d.mu.Unlock()
}

// resendSources hands each video down track to the retransmitter of its
// stream. pion binds the track (DownTrack.Bind, which offers it) and
// then the connection's interceptors (which take it) in one call, under
// the id of the RTPSender, which the client never sees.
type resendSources struct {
	mu   sync.Mutex
	byID map[string]resendSource
	// offered counts the sources waiting to be taken, for the tests.
	offered atomic.Int64
}

func (s *resendSources) offer(id string, src resendSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = map[string]resendSource{}
	}
	if _, ok := s.byID[id]; !ok {
		s.offered.Add(1)
	}
	s.byID[id] = src
}

// take returns and forgets the source offered under id, or nil.
func (s *resendSources) take(id string) resendSource {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.byID[id]
	if ok {
		delete(s.byID, id)
		s.offered.Add(-1)
	}
	return src
}

// withdraw forgets src if it was offered under id and not taken (its
// stream was never bound).
func (s *resendSources) withdraw(id string, src resendSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[id] == src {
		delete(s.byID, id)
		s.offered.Add(-1)
	}
}
