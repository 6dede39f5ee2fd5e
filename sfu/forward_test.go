package sfu

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/pion/rtp"

	"github.com/plenum-meet/plenum/sfu/vp8"
)

// discardWriter stands in for pion's write stream where only the cost of
// the SFU's own per-packet work is measured.
type discardWriter struct{ packets, bytes int }

func (w *discardWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.packets++
	w.bytes += len(payload)
	return h.MarshalSize() + len(payload), nil
}

func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// fanOutFixture is a video up track of one layer with n bound down tracks.
func fanOutFixture(n int) (*UpTrack, *upLayer, *discardWriter, *rtp.Packet) {
	up := &UpTrack{publisherID: "pub", kind: webrtc.RTPCodecTypeVideo, mimeType: webrtc.MimeTypeVP8, done: make(chan struct{})}
	layer := &upLayer{index: 0, keyframes: newKeyframeRequester(func() {})}
	layer.lastNs.Store(time.Now().UnixNano())
	up.layers[0].Store(layer)
	w := &discardWriter{}
	downs := make([]*DownTrack, n)
	for i := range downs {
		d := newDownTrack(up)
		d.binding.Store(&downBinding{ssrc: uint32(1000 + i), payloadType: 96, writer: w})
		downs[i] = d
	}
	up.downs.Store(&downs)
	pkt := &rtp.Packet{
		Header: rtp.Header{
			Version: 2, PayloadType: 100, SequenceNumber: 1, Timestamp: 90000, SSRC: 42,
		},
		Payload: make([]byte, 1000),
	}
	// A VP8 keyframe, so that down tracks start forwarding at once.
	copy(pkt.Payload, []byte{0x90, 0x80, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
	pkt.Payload[3] = 0x00
	_ = pkt.Header.SetExtension(1, []byte{0x80})
	_ = pkt.Header.SetExtension(3, []byte{1, 2, 3})
	return up, layer, w, pkt
}

func TestFanOutRewritesHeaderPerSubscriber(t *testing.T) {
	up, layer, _, pkt := fanOutFixture(2)
	rec := &recordingWriter{}
	for _, d := range *up.downs.Load() {
		b := d.binding.Load()
		d.binding.Store(&downBinding{ssrc: b.ssrc, payloadType: 111, writer: rec})
	}
	up.fanOut(pkt, layer, false, time.Now())
	if len(rec.headers) != 2 {
		t.Fatalf("%d packets written, want 2", len(rec.headers))
	}
	for i, h := range rec.headers {
		if h.SSRC != uint32(1000+i) || h.PayloadType != 111 || h.SequenceNumber != 1 || h.Timestamp != 90000 {
			t.Errorf("packet %d header %+v: SSRC and payload type not rewritten, or sequence and time changed", i, h)
		}
		if h.Extension || len(h.Extensions) != 0 {
			t.Errorf("packet %d carries the publisher's header extensions", i)
		}
	}
	if pkt.SSRC != 42 || len(pkt.Extensions) != 2 {
		t.Error("fan-out modified the received packet")
	}
}

type recordingWriter struct{ headers []rtp.Header }

func (w *recordingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.headers = append(w.headers, *h)
	return h.MarshalSize() + len(payload), nil
}

func (w *recordingWriter) Write(b []byte) (int, error) { return len(b), nil }

// oneSubscriber is a VP8 up track of one layer, live, whose keyframe
// requests call ask, and one down track bound to w (SSRC 7, no RTX).
func oneSubscriber(w webrtc.TrackLocalWriter, ask func()) (*UpTrack, *upLayer, *DownTrack) {
	up := &UpTrack{publisherID: "pub", kind: webrtc.RTPCodecTypeVideo, mimeType: webrtc.MimeTypeVP8, done: make(chan struct{})}
	layer := &upLayer{index: 0, keyframes: newKeyframeRequester(ask)}
	layer.lastNs.Store(time.Now().UnixNano())
	up.layers[0].Store(layer)
	d := newDownTrack(up)
	d.binding.Store(&downBinding{ssrc: 7, payloadType: 96, writer: w})
	downs := []*DownTrack{d}
	up.downs.Store(&downs)
	return up, layer, d
}

func TestFanOutAllocatesNothing(t *testing.T) {
	up, layer, _, pkt := fanOutFixture(10)
	now := time.Now()
	if allocs := testing.AllocsPerRun(1000, func() {
		pkt.SequenceNumber++
		up.fanOut(pkt, layer, false, now)
	}); allocs != 0 {
		t.Fatalf("fan-out to 10 subscribers allocates %.1f times per packet, want 0", allocs)
	}
}

// BenchmarkFanOut measures the SFU's own per-packet work for one packet
// copied to 10 subscribers (pion's interceptors, SRTP and the socket are
// measured by the load generator instead).
func BenchmarkFanOut(b *testing.B) {
	up, layer, w, pkt := fanOutFixture(10)
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt.Payload)))
	for b.Loop() {
		pkt.SequenceNumber++
		up.fanOut(pkt, layer, false, now)
	}
	b.ReportMetric(float64(w.packets)/float64(b.N), "copies/op")
}

func TestDownTrackMakesScratchOnlyForWhatItForwards(t *testing.T) {
	up, layer, _, pkt := fanOutFixture(1)
	up.fanOut(pkt, layer, false, time.Now())
	d := (*up.downs.Load())[0]
	if s := d.scratch[0]; s == nil || len(s.payload) != maxPacketSize {
		t.Error("a VP8 down track has no room to rewrite the payload of the layer it forwards")
	}
	if d.scratch[1] != nil || d.scratch[2] != nil {
		t.Error("scratch made for layers never forwarded")
	}

	audio := &UpTrack{publisherID: "pub", kind: webrtc.RTPCodecTypeAudio, mimeType: webrtc.MimeTypeOpus, done: make(chan struct{})}
	al := &upLayer{index: 0, keyframes: newKeyframeRequester(func() {})}
	al.lastNs.Store(time.Now().UnixNano())
	audio.layers[0].Store(al)
	a := newDownTrack(audio)
	a.binding.Store(&downBinding{ssrc: 5, payloadType: 111, writer: &discardWriter{}})
	if n := a.writeRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1}, Payload: make([]byte, 100)}, al, false, time.Now()); n == 0 {
		t.Fatal("audio not forwarded")
	}
	if s := a.scratch[0]; s == nil || s.payload != nil {
		t.Error("an audio down track keeps a payload buffer it never uses")
	}
}

// vp8Packet is a packet of a VP8 frame's first partition: a keyframe's,
// or with key false an interframe's.
func vp8Packet(seq uint16, ts uint32, key bool) *rtp.Packet {
	p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}, Payload: make([]byte, 100)}
	copy(p.Payload, []byte{0x90, 0x80, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
	if !key {
		p.Payload[3] = 0x01
	}
	return p
}

func TestALayerIsNotJoinedOnAnOldKeyframeResentOverRTX(t *testing.T) {
	up := &UpTrack{publisherID: "pub", kind: webrtc.RTPCodecTypeVideo, mimeType: webrtc.MimeTypeVP8, done: make(chan struct{})}
	var layers [2]*upLayer
	for i := range layers {
		layers[i] = &upLayer{index: i, keyframes: newKeyframeRequester(func() {})}
		layers[i].lastNs.Store(time.Now().UnixNano())
		up.layers[i].Store(layers[i])
	}
	rec := &recordingWriter{}
	d := newDownTrack(up)
	d.binding.Store(&downBinding{ssrc: 7, payloadType: 96, writer: rec})
	downs := []*DownTrack{d}
	up.downs.Store(&downs)
	now := time.Now()
	d.setBandwidthCap(0)
	up.fanOut(vp8Packet(100, 9000, true), layers[0], false, now)
	up.fanOut(vp8Packet(101, 12000, false), layers[0], false, now.Add(33*time.Millisecond))
	d.setBandwidthCap(1)
	// Layer 1 is at 5000; a keyframe of two seconds ago comes back over
	// RTX, then its new packets, then its next keyframe.
	up.fanOut(vp8Packet(4880, 720000, true), layers[1], true, now.Add(40*time.Millisecond))
	up.fanOut(vp8Packet(5001, 903000, false), layers[1], false, now.Add(66*time.Millisecond))
	up.fanOut(vp8Packet(5002, 906000, true), layers[1], false, now.Add(99*time.Millisecond))
	up.fanOut(vp8Packet(5003, 909000, false), layers[1], false, now.Add(132*time.Millisecond))
	var seqs []uint16
	for _, h := range rec.headers {
		seqs = append(seqs, h.SequenceNumber)
	}
	if len(seqs) != 4 {
		t.Fatalf("sent sequence numbers %v: want layer 0's two, then layer 1's from its new keyframe", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sent sequence numbers %v: a hole, numbers never sent", seqs)
		}
	}
}

// A subscriber without RTX is probed with padding in its media stream,
// which the munger allows only between frames. Video paused for lack of
// bandwidth in the middle of a frame never ends that frame: its probes
// were refused for as long as the pause lasted, so the estimate could
// not grow and the video never came back.
func TestVideoPausedInTheMiddleOfAFrameIsStillProbed(t *testing.T) {
	rec := &recordingWriter{}
	up, layer, d := oneSubscriber(rec, func() {}) // no RTX
	now := time.Now()

	up.fanOut(vp8Packet(100, 9000, true), layer, false, now) // a keyframe's first packet
	d.setBandwidthCap(-1)
	rest := vp8Packet(101, 9000, false)
	rest.Payload[0] &^= 0x10 // not a partition's start: the keyframe goes on
	rest.Marker = true
	up.fanOut(rest, layer, false, now.Add(time.Millisecond))
	if len(rec.headers) != 1 {
		t.Fatalf("%d packets sent, want the keyframe's first only: video is paused", len(rec.headers))
	}
	if n := d.writePadding(2); n == 0 {
		t.Fatal("no probe padding for a video paused in the middle of a frame")
	}
	d.setBandwidthCap(0)
	layer.lastNs.Store(time.Now().UnixNano())
	up.fanOut(vp8Packet(200, 90000, true), layer, false, now.Add(time.Second))
	var seqs []uint16
	for _, h := range rec.headers {
		seqs = append(seqs, h.SequenceNumber)
	}
	if want := []uint16{100, 101, 102, 103}; !slices.Equal(seqs, want) {
		t.Fatalf("sent sequence numbers %v, want %v: the keyframe, two probes, the next keyframe", seqs, want)
	}
	if h := rec.headers[1]; !h.Padding || h.Timestamp != 9000 {
		t.Errorf("probe %+v: want padding with the timestamp of the frame cut short", h)
	}
}

// A publisher's sender that starts again (a source restarted behind a
// pion publisher, which numbers its packets itself) numbers its packets
// afresh. The munger dropped every packet more than its window behind
// the newest as stale, the next keyframes included, until the new
// numbers caught up with the old (up to 32768 packets, minutes of
// video); a restart that landed ahead was forwarded with a jump of
// thousands of sequence numbers and timestamps going back. The down
// track now joins the restarted stream at its first keyframe, as it
// joins a layer.
func TestAPublisherThatNumbersAfreshIsFollowedFromItsNextKeyframe(t *testing.T) {
	rec := &recordingWriter{}
	up, layer, _ := oneSubscriber(rec, func() {})
	// As UpTrack.forward: the layer is live, then the packet goes out.
	recv := func(p *rtp.Packet, at time.Time) {
		layer.lastNs.Store(at.UnixNano())
		up.fanOut(p, layer, false, at)
	}
	now := time.Now()
	recv(vp8Packet(40000, 900000, true), now)
	recv(vp8Packet(40001, 903000, false), now.Add(33*time.Millisecond))

	for i, start := range []uint16{30000, 60000} { // behind, then far ahead
		now = now.Add(time.Second)
		sent := len(rec.headers)
		recv(vp8Packet(start, 3000, false), now)
		recv(vp8Packet(start+1, 6000, true), now.Add(33*time.Millisecond))
		recv(vp8Packet(start+2, 9000, false), now.Add(66*time.Millisecond))
		got := rec.headers[sent:]
		if len(got) != 2 {
			t.Fatalf("restart %d: %d packets forwarded, want the new keyframe and what follows it", i, len(got))
		}
		last := rec.headers[sent-1]
		if got[0].SequenceNumber != last.SequenceNumber+1 || got[1].SequenceNumber != last.SequenceNumber+2 {
			t.Errorf("restart %d: numbered %d, %d after %d: not continuous", i, got[0].SequenceNumber, got[1].SequenceNumber, last.SequenceNumber)
		}
		if int32(got[0].Timestamp-last.Timestamp) <= 0 || got[1].Timestamp-got[0].Timestamp != 3000 {
			t.Errorf("restart %d: timestamps %d, %d after %d: want later, a frame apart", i, got[0].Timestamp, got[1].Timestamp, last.Timestamp)
		}
	}
}

// vp8KeyframeOfHeight is the payload of a VP8 keyframe of a 16:9
// picture h pixels high: a descriptor of one octet, the frame tag, the
// start code, width and height.
func vp8KeyframeOfHeight(h int) []byte {
	w := h * 16 / 9
	return []byte{0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w >> 8), byte(h), byte(h >> 8), 0, 0}
}

func TestAnOldKeyframeResentOverRTXLeavesTheLayersHeight(t *testing.T) {
	up := &UpTrack{publisherID: "pub", kind: webrtc.RTPCodecTypeVideo, mimeType: webrtc.MimeTypeVP8, done: make(chan struct{})}
	l := &upLayer{index: 0, keyframes: newKeyframeRequester(func() {})}
	up.layers[0].Store(l)
	// The encoder went from 360 to 720 lines; a keyframe from before
	// comes back over RTX, as browsers probe their uplink.
	up.noteSize(l, vp8KeyframeOfHeight(360), false)
	up.noteSize(l, vp8KeyframeOfHeight(720), false)
	up.noteSize(l, vp8KeyframeOfHeight(360), true)
	if h := l.height.Load(); h != 720 {
		t.Errorf("the layer is %d high after an old keyframe came over RTX, want 720, as its last new one", h)
	}
}

// notReadyWriter drops what is written until ready, returning 0 and no
// error as pion's SRTP writer does before the connection's keys are
// agreed, then records it.
type notReadyWriter struct {
	recordingWriter
	ready    bool
	payloads [][]byte
}

func (w *notReadyWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	if !w.ready {
		return 0, nil
	}
	w.payloads = append(w.payloads, append([]byte(nil), payload...))
	return w.recordingWriter.WriteRTP(h, payload)
}

// A down track may start, at a keyframe, a moment before its
// connection's SRTP keys are agreed: pion drops that keyframe without an
// error, and the subscriber got only what it cannot decode, until its
// browser asked for a keyframe itself. The down track starts again at
// the next keyframe, and asks for it.
func TestAKeyframeWrittenBeforeTheKeysAreAgreedIsSentAgain(t *testing.T) {
	asked := make(chan struct{}, 10)
	w := &notReadyWriter{}
	up, layer, _ := oneSubscriber(w, func() { asked <- struct{}{} })
	now := time.Now()
	up.fanOut(vp8Packet(100, 9000, true), layer, false, now) // dropped by "pion"
	w.ready = true
	up.fanOut(vp8Packet(101, 12000, false), layer, false, now.Add(33*time.Millisecond))
	select {
	case <-asked:
	case <-time.After(5 * time.Second):
		t.Fatal("no keyframe asked for after the first one was lost")
	}
	up.fanOut(vp8Packet(102, 15000, true), layer, false, now.Add(66*time.Millisecond))
	up.fanOut(vp8Packet(103, 18000, false), layer, false, now.Add(99*time.Millisecond))
	if len(w.payloads) != 2 {
		t.Fatalf("%d packets sent, want the new keyframe and the one after it", len(w.payloads))
	}
	if !vp8.IsKeyframe(w.payloads[0]) {
		t.Fatal("the subscriber's first packet is not a keyframe: it cannot decode what follows")
	}
}
