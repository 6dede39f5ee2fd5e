package sfu

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestCacheFollowsRateAndRoundTrip(t *testing.T) {
	for _, c := range []struct {
		pps  float64
		rtt  time.Duration
		want int
	}{
		{90, time.Millisecond, 32},           // 720p on loopback: 0.3 s
		{90, 200 * time.Millisecond, 128},    // 1.1 s
		{250, 300 * time.Millisecond, 512},   // 2.5 Mbit/s far away: 1.5 s
		{2000, 400 * time.Millisecond, 1024}, // capped
	} {
		if got := cacheSlots(c.pps, keepFor(c.rtt)); got != c.want {
			t.Errorf("%v packets/s, round trip %v: %d slots, want %d", c.pps, c.rtt, got, c.want)
		}
	}
}

// resendRecorder records what a retransmitter writes.
type resendRecorder struct{ seqs []uint16 }

func (r *resendRecorder) Write(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
	r.seqs = append(r.seqs, h.SequenceNumber)
	return len(payload), nil
}

func TestRetransmitterResendsWhatANACKNames(t *testing.T) {
	r := &retransmitter{links: newDownlinks(), streams: map[uint32]*sentCache{}}
	rec := &resendRecorder{}
	info := &interceptor.StreamInfo{SSRC: 7, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	w := r.BindLocalStream(info, rec)
	payload := make([]byte, 1000)
	for seq := uint16(65500); seq != 40; seq++ { // across the wrap
		payload[0] = byte(seq)
		if _, err := w.Write(&rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7}, payload, nil); err != nil {
			t.Fatal(err)
		}
	}
	rec.seqs = nil
	nack := &rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{30, 32, 39, 65500})}
	r.streams[7].answer(nack)
	// 65500 is older than the cache holds: not resent.
	if len(rec.seqs) != 3 || rec.seqs[0] != 30 || rec.seqs[1] != 32 || rec.seqs[2] != 39 {
		t.Errorf("resent %v, want [30 32 39]", rec.seqs)
	}
}

func TestRetransmitterCachesWithoutAllocating(t *testing.T) {
	r := &retransmitter{links: newDownlinks(), streams: map[uint32]*sentCache{}}
	info := &interceptor.StreamInfo{SSRC: 7, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	w := r.BindLocalStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	h := &rtp.Header{Version: 2, SSRC: 7}
	payload := make([]byte, 1000)
	for range cacheMin { // every slot used once
		h.SequenceNumber++
		_, _ = w.Write(h, payload, nil)
	}
	if n := testing.AllocsPerRun(1000, func() { h.SequenceNumber++; _, _ = w.Write(h, payload, nil) }); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
}
