package sfu

import (
	"io"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
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

// rtxRecorder records the packets a retransmitter writes.
type rtxRecorder struct {
	headers  []rtp.Header
	payloads [][]byte
}

func (r *rtxRecorder) Write(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
	r.headers = append(r.headers, h.Clone())
	r.payloads = append(r.payloads, append([]byte(nil), payload...))
	return len(payload), nil
}

func TestRetransmitterResendsOnTheRTXStream(t *testing.T) {
	counts := &resendCounts{}
	r := &retransmitter{links: newDownlinks(), resent: counts, streams: map[uint32]*sentCache{}}
	rec := &rtxRecorder{}
	info := &interceptor.StreamInfo{
		SSRC: 7, PayloadType: 96, SSRCRetransmission: 8, PayloadTypeRetransmission: 97,
		RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}},
	}
	w := r.BindLocalStream(info, rec)
	for seq := uint16(65530); seq != 10; seq++ { // across the wrap
		h := &rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7, PayloadType: 96, Timestamp: 1000 + uint32(seq), Marker: seq%3 == 0}
		if _, err := w.Write(h, []byte{byte(seq), 0xbe, 0xef}, nil); err != nil {
			t.Fatal(err)
		}
	}
	sent := len(rec.headers)
	asked := []uint16{65533, 65535, 0, 4}
	r.streams[7].answer(&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers(asked)})
	r.streams[7].answer(&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{9})})
	asked = append(asked, 9)
	resent := rec.headers[sent:]
	if len(resent) != len(asked) {
		t.Fatalf("resent %d packets, want %d", len(resent), len(asked))
	}
	for i, h := range resent {
		osn := asked[i]
		p := rec.payloads[sent+i]
		if h.SSRC != 8 || h.PayloadType != 97 {
			t.Errorf("resent on SSRC %d payload type %d, want the RTX stream's 8 and 97", h.SSRC, h.PayloadType)
		}
		if h.SequenceNumber != resent[0].SequenceNumber+uint16(i) {
			t.Errorf("RTX sequence numbers %d after %d: want them to go on by one", h.SequenceNumber, resent[0].SequenceNumber)
		}
		if h.Timestamp != 1000+uint32(osn) || h.Marker != (osn%3 == 0) {
			t.Errorf("packet %d: timestamp %d marker %v, want the original's", osn, h.Timestamp, h.Marker)
		}
		if len(p) != 5 || p[0] != byte(osn>>8) || p[1] != byte(osn) || p[2] != byte(osn) || p[3] != 0xbe || p[4] != 0xef {
			t.Errorf("packet %d: RTX payload %x, want the original sequence number then the payload", osn, p)
		}
	}
	if all, rtx := counts.all.Load(), counts.rtx.Load(); all != uint64(len(asked)) || rtx != all {
		t.Errorf("counted %d retransmissions, %d over RTX, want %d of each", all, rtx, len(asked))
	}
}

func TestRetransmitterWithoutRTXResendsOnTheMediaStream(t *testing.T) {
	r := &retransmitter{links: newDownlinks(), streams: map[uint32]*sentCache{}}
	rec := &rtxRecorder{}
	info := &interceptor.StreamInfo{SSRC: 7, PayloadType: 96, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	w := r.BindLocalStream(info, rec)
	for seq := uint16(1); seq <= 5; seq++ {
		_, _ = w.Write(&rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7, PayloadType: 96}, []byte{byte(seq)}, nil)
	}
	r.streams[7].answer(&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{3})})
	h, p := rec.headers[5], rec.payloads[5]
	if h.SSRC != 7 || h.PayloadType != 96 || h.SequenceNumber != 3 || len(p) != 1 || p[0] != 3 {
		t.Errorf("resent SSRC %d payload type %d seq %d payload %x, want packet 3 as it was sent", h.SSRC, h.PayloadType, h.SequenceNumber, p)
	}
}

func TestRTXWrapDropsPadding(t *testing.T) {
	s := newRTXStream(8, 97)
	payload := make([]byte, 6, 8)
	copy(payload, []byte{1, 2, 0, 0, 0, 4})
	h := &rtp.Header{Version: 2, SequenceNumber: 300, Padding: true}
	got := s.wrap(h, payload)
	if h.Padding || len(got) != 4 || got[0] != 1 || got[1] != 44 || got[2] != 1 || got[3] != 2 {
		t.Errorf("wrapped %x (padding %v), want 012c0102 without padding", got, h.Padding)
	}
}

// The engine's chain numbers retransmissions with transport-wide
// sequence numbers of their own: the estimator is inside the
// retransmitter.
func TestRetransmissionsGetTransportWideNumbers(t *testing.T) {
	me := &webrtc.MediaEngine{}
	reg := &interceptor.Registry{}
	if err := registerPipeline(me, reg, BandwidthConfig{}.withDefaults(), make(chan *estimator, 1), newPipelineShared()); err != nil {
		t.Fatal(err)
	}
	chain, err := reg.Build("pc")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = chain.Close() }()
	rec := &rtxRecorder{}
	info := &interceptor.StreamInfo{
		SSRC: 7, PayloadType: 96, SSRCRetransmission: 8, PayloadTypeRetransmission: 97,
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "nack"}},
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 3}},
	}
	w := chain.BindLocalStream(info, rec)
	for seq := uint16(1); seq <= 10; seq++ {
		if _, err := w.Write(&rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7, PayloadType: 96}, []byte{byte(seq)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	nack, _ := (&rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{4})}).Marshal()
	read := false
	r := chain.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if read {
			return 0, nil, io.EOF
		}
		read = true
		return copy(b, nack), a, nil
	}))
	if _, _, err := r.Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.headers) != 11 {
		t.Fatalf("%d packets written, want 10 and one retransmission", len(rec.headers))
	}
	last, resent := rec.headers[9], rec.headers[10]
	if resent.SSRC != 8 {
		t.Errorf("resent on SSRC %d, want the RTX stream's 8", resent.SSRC)
	}
	twcc := func(h rtp.Header) uint16 {
		e := h.GetExtension(3)
		if len(e) != 2 {
			t.Fatalf("packet %d of SSRC %d has no transport-wide sequence number", h.SequenceNumber, h.SSRC)
		}
		return uint16(e[0])<<8 | uint16(e[1])
	}
	if got, want := twcc(resent), twcc(last)+1; got != want {
		t.Errorf("the retransmission has transport-wide number %d, want %d (the next)", got, want)
	}
}

func TestRetransmitterResendsAPacketOncePerRoundTrip(t *testing.T) {
	r := &retransmitter{links: newDownlinks(), streams: map[uint32]*sentCache{}}
	rec := &resendRecorder{}
	info := &interceptor.StreamInfo{SSRC: 7, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	w := r.BindLocalStream(info, rec)
	for seq := uint16(1); seq <= 10; seq++ {
		_, _ = w.Write(&rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7}, make([]byte, 100), nil)
	}
	rec.seqs = nil
	nack := &rtcp.TransportLayerNack{MediaSSRC: 7, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{5})}
	c := r.streams[7]
	c.answer(nack)
	c.answer(nack) // the same NACK again at once: the first resend cannot have arrived yet
	if len(rec.seqs) != 1 {
		t.Errorf("resent %v for two NACKs of packet 5 within a round trip, want it once", rec.seqs)
	}
	time.Sleep(2 * resendGapMin)
	c.answer(nack)
	if len(rec.seqs) != 2 {
		t.Errorf("resent %v after a round trip, want packet 5 a second time", rec.seqs)
	}
}

func TestResendBudgetBoundsRetransmissionsToAShareOfTheEstimate(t *testing.T) {
	var b resendBudget
	now := time.Now()
	const rate = 800_000 // bits/s: resendShare of it is 25 kB/s, 2.5 kB per resendBurst
	sent := 0
	for b.take(1000, rate, now) {
		sent += 1000
	}
	// The last packet goes into debt, repaid before the next.
	if sent != 3000 {
		t.Errorf("a burst of %d bytes resent at once, want 3000 (a tenth of a second of a quarter of 800 kbit/s, 2500 bytes, and the packet that began while some was left)", sent)
	}
	if !b.take(1000, rate, now.Add(50*time.Millisecond)) {
		t.Error("50 ms later 1250 bytes have come back (750 beyond the debt), but a packet was refused")
	}
	if !b.take(1_000_000, 0, now) {
		t.Error("with no estimate yet, a resend was refused")
	}
}

// On a link estimated at 300 kbit/s a tenth of a second of a quarter of
// it is 937 bytes, less than a full-size video packet: such packets are
// still resent, at a quarter of the link over time. The bucket wanted
// the whole size in hand and resent none of them, so that a weak link
// got no repair of full packets at all.
func TestResendBudgetResendsPacketsLargerThanItsBurst(t *testing.T) {
	var b resendBudget
	const rate, size = 300_000, 1200 // bits/s; bytes, a full-size packet
	start := time.Now()
	sent := 0
	for ms := range 10_000 { // 10 s, a try every millisecond
		if b.take(size, rate, start.Add(time.Duration(ms)*time.Millisecond)) {
			sent += size
		}
	}
	// A quarter of 300 kbit/s for 10 s is 93750 bytes, 78 packets;
	// one more for the burst the bucket starts with.
	share := resendShare * rate / 8 * 10
	if sent == 0 || float64(sent) > share+2*size || float64(sent) < share-2*size {
		t.Errorf("resent %d bytes in 10 s of 1200-byte packets at 300 kbit/s, want about %.0f (a quarter of the link)", sent, share)
	}
}
