package sfu

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// sentPackets records what down tracks wrote, marshalled.
type sentPackets struct{ bySSRCSeq map[[2]uint32][]byte }

func (w *sentPackets) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	b, _ := h.Marshal()
	w.bySSRCSeq[[2]uint32{h.SSRC, uint32(h.SequenceNumber)}] = append(b, payload...)
	return len(b) + len(payload), nil
}

func (w *sentPackets) Write(b []byte) (int, error) { return len(b), nil }

// resendFixture is fanOutFixture whose layer keeps its packets and whose
// down tracks record what they send, as when a retransmitter took them.
func resendFixture(n int) (*UpTrack, *upLayer, []*DownTrack, *sentPackets, *rtp.Packet) {
	up, layer, _, pkt := fanOutFixture(n)
	layer.store = newUpStore()
	w := &sentPackets{bySSRCSeq: map[[2]uint32][]byte{}}
	downs := *up.downs.Load()
	for _, d := range downs {
		b := d.binding.Load()
		d.binding.Store(&downBinding{ssrc: b.ssrc, payloadType: b.payloadType, writer: w})
		d.useRTT(func() time.Duration { return 50 * time.Millisecond })
	}
	return up, layer, downs, w, pkt
}

// forward receives pkt on layer and copies it to the down tracks, as
// UpTrack.forward does.
func forward(up *UpTrack, layer *upLayer, pkt *rtp.Packet) {
	layer.store.add(pkt, false)
	up.fanOut(pkt, layer, false, time.Now())
}

func TestResendIsRebuiltAsItWasSent(t *testing.T) {
	up, layer, downs, w, pkt := resendFixture(2)
	for i := range cacheMin - 2 {
		pkt.SequenceNumber = uint16(65525 + i) // across the wrap
		pkt.Timestamp += 3000
		pkt.Marker = i%3 == 2
		pkt.Payload[2] = byte(i) // the VP8 picture id
		for j := 11; j < len(pkt.Payload); j++ {
			pkt.Payload[j] = byte(i + j)
		}
		forward(up, layer, pkt)
	}
	if len(w.bySSRCSeq) != 2*(cacheMin-2) {
		t.Fatalf("%d packets sent, want %d", len(w.bySSRCSeq), 2*(cacheMin-2))
	}
	now := time.Now()
	for key, sent := range w.bySSRCSeq {
		d := downs[key[0]-1000]
		h, payload, ok := d.resendCopy(uint16(key[1]), now, time.Second, nil)
		if !ok {
			t.Fatalf("packet %d of down track %d cannot be rebuilt", key[1], key[0])
		}
		b, _ := h.Marshal()
		if got := append(b, payload...); !bytes.Equal(got, sent) {
			t.Fatalf("packet %d of down track %d rebuilt as\n%x\nsent as\n%x", key[1], key[0], got[:24], sent[:24])
		}
		if cap(payload)-len(payload) < rtxHeaderSize {
			t.Errorf("no room for RTX's %d bytes", rtxHeaderSize)
		}
		if _, _, again := d.resendCopy(uint16(key[1]), now.Add(10*time.Millisecond), time.Second, nil); again {
			t.Fatalf("packet %d resent twice within the gap", key[1])
		}
	}
}

func TestResendIsRefusedWhatTheStoreNoLongerKeeps(t *testing.T) {
	up, layer, downs, _, pkt := resendFixture(1)
	d := downs[0]
	forward(up, layer, pkt)
	first := pkt.SequenceNumber
	for range cacheMin {
		pkt.SequenceNumber++
		pkt.Timestamp += 3000
		forward(up, layer, pkt)
	}
	if _, _, ok := d.resendCopy(first, time.Now(), 0, nil); ok {
		t.Error("a packet the up store has overwritten was rebuilt")
	}
	if _, _, ok := d.resendCopy(pkt.SequenceNumber, time.Now(), 0, func(int, time.Time) bool { return false }); ok {
		t.Error("a packet the budget refused was rebuilt")
	}
	if _, _, ok := d.resendCopy(pkt.SequenceNumber, time.Now(), 0, nil); !ok {
		t.Error("the newest packet cannot be rebuilt")
	}
	if _, _, ok := d.resendCopy(pkt.SequenceNumber+1, time.Now(), 0, nil); ok {
		t.Error("a packet never sent was rebuilt")
	}
}

func TestFanOutWithUpStoreAllocatesNothing(t *testing.T) {
	up, layer, downs, _, pkt := resendFixture(10)
	for _, d := range downs {
		b := d.binding.Load()
		d.binding.Store(&downBinding{ssrc: b.ssrc, payloadType: b.payloadType, writer: &discardWriter{}})
	}
	for range 2 * cacheMin { // every slot used once
		pkt.SequenceNumber++
		forward(up, layer, pkt)
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		pkt.SequenceNumber++
		forward(up, layer, pkt)
	}); allocs != 0 {
		t.Fatalf("keeping a packet and fanning it out to 10 subscribers allocates %.1f times, want 0", allocs)
	}
}

func TestUpStoreKeepsForTheLongestRecentRoundTrip(t *testing.T) {
	s := newUpStore()
	s.noteRTT(40 * time.Millisecond)
	s.noteRTT(200 * time.Millisecond)
	s.noteRTT(90 * time.Millisecond)
	if got := s.checkRTT(); got != 200_000 {
		t.Fatalf("sized for a round trip of %d µs, want 200000", got)
	}
	// Nothing reported in the next period: the last one still counts.
	if got := s.checkRTT(); got != 200_000 {
		t.Fatalf("one period later, sized for %d µs, want 200000", got)
	}
	if got := s.checkRTT(); got != 0 {
		t.Fatalf("two periods later, sized for %d µs, want 0", got)
	}
}

func TestUpStoreGrowsAtOnceForALongerRoundTrip(t *testing.T) {
	s := newUpStore()
	s.pps = 300 // as measured at the last check
	s.noteRTT(500 * time.Millisecond)
	pkt := &rtp.Packet{Header: rtp.Header{SequenceNumber: 1}, Payload: []byte{1}}
	s.add(pkt, false)
	if want := cacheSlots(300, keepFor(500*time.Millisecond)); len(s.slots) != want {
		t.Errorf("%d slots after a subscriber's round trip grew to 500 ms, want %d", len(s.slots), want)
	}
}

func TestUpStoreKeepsRecentPacketsFromOldOnesResent(t *testing.T) {
	s := newUpStore()
	add := func(seq uint16, b byte) {
		s.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: []byte{b}}, false)
	}
	end, ring := uint16(20), uint16(cacheMin)
	for seq := uint16(65500); seq != end; seq++ { // across the wrap
		add(seq, byte(seq))
	}
	// Browsers resend old packets over RTX to probe their uplink: one
	// that maps to a recent packet's slot leaves it alone, and so does a
	// duplicate of a recent one.
	add(end-2*ring, 0xee)
	add(end-1, 0xee)
	for seq := end - ring; seq != end; seq++ {
		if p, ok := s.payload(seq, 0); !ok || p[0] != byte(seq) {
			t.Errorf("packet %d lost or changed to %x by old packets resent", seq, p)
		}
	}
	// The publisher starting its numbering again is not an old packet.
	add(30000, 7)
	if p, ok := s.payload(30000, 0); !ok || p[0] != 7 {
		t.Error("a packet of a numbering started again was not kept")
	}
}

func TestRingKeepsTheNewerPacketWhenItShrinks(t *testing.T) {
	slots := make([]storedPacket, 8)
	for _, seq := range []uint16{3, 4, 7, 8, 11, 12, 13, 14} {
		slots[int(seq)&7] = storedPacket{seq: seq, data: []byte{byte(seq)}}
	}
	got := resized(slots, 4, func(p *storedPacket) (uint16, bool) { return p.seq, p.data != nil })
	for _, seq := range []uint16{11, 12, 13, 14} {
		if p := got[int(seq)&3]; p.seq != seq {
			t.Errorf("slot of packet %d holds %d after the ring shrank", seq, p.seq)
		}
	}
}

func TestRingKeepsEachPacketAtItsNumberWhenResized(t *testing.T) {
	slots := make([]storedPacket, 4)
	for _, seq := range []uint16{65534, 65535, 0, 1} {
		slots[int(seq)&3] = storedPacket{seq: seq, data: []byte{byte(seq)}}
	}
	got := resized(slots, 8, func(p *storedPacket) (uint16, bool) { return p.seq, p.data != nil })
	for _, seq := range []uint16{65534, 65535, 0, 1} {
		if p := got[int(seq)&7]; p.seq != seq || p.data[0] != byte(seq) {
			t.Errorf("packet %d not at its slot after the resize", seq)
		}
	}
}

func TestPaddingSentIsResentWithoutPayload(t *testing.T) {
	_, layer, downs, _, _ := resendFixture(1)
	d := downs[0]
	h := &rtp.Header{Version: 2, SequenceNumber: 9, Timestamp: 1234, Marker: true}
	d.mu.Lock()
	d.sent.note(layer.store, 77, h, nil, false)
	d.mu.Unlock()
	got, payload, ok := d.resendCopy(9, time.Now(), 0, nil)
	if !ok || len(payload) != 0 || cap(payload) < rtxHeaderSize {
		t.Fatalf("padding rebuilt: %v, %d bytes of payload, room for %d", ok, len(payload), cap(payload))
	}
	if got.SequenceNumber != 9 || got.Timestamp != 1234 || !got.Marker || got.SSRC != 1000 {
		t.Errorf("padding rebuilt with header %+v", got)
	}
}

func TestUpStorePaddingMovesTheNewestOn(t *testing.T) {
	s := newUpStore()
	add := func(seq uint16, payload []byte) {
		s.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: payload}, false)
	}
	for seq := uint16(0); seq < cacheMin; seq++ {
		add(seq, []byte{0xaa})
	}
	// A layer the encoder stopped keeps sending padding, numbered in its
	// stream, for the whole numbering space; then media resumes.
	for seq := uint16(cacheMin); seq != 65530; seq++ {
		add(seq, nil)
	}
	for seq := uint16(65530); seq != cacheMin; seq++ { // across the wrap
		add(seq, []byte{0xbb})
	}
	for _, seq := range []uint16{0, 5, cacheMin - 1} {
		if p, ok := s.payload(seq, 0); !ok || p[0] != 0xbb {
			t.Errorf("packet %d after the padding: kept %v, payload %x; want the new one", seq, ok, p)
		}
	}
}

func TestUpStoreTakesNoRepairForARestart(t *testing.T) {
	s := newUpStore()
	for seq := uint16(9000); seq <= 10000; seq++ {
		s.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: []byte{byte(seq)}}, false)
	}
	// Over RTX, far older than any restart gap: a browser's probe.
	s.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: 10000 - 5000 - cacheMin}, Payload: []byte{0xee}}, true)
	for seq := uint16(10000 - cacheMin + 1); seq <= 10000; seq++ {
		if p, ok := s.payload(seq, 0); !ok || p[0] != byte(seq) {
			t.Errorf("packet %d lost or changed to %x by an old repair", seq, p)
		}
	}
	if s.newest != 10000 {
		t.Errorf("a repair moved the newest number to %d", s.newest)
	}
}

func TestRingSizerMeasuresAfreshAfterASilence(t *testing.T) {
	var s ringSizer
	s.checked = time.Now().Add(-10 * time.Second) // a layer paused for 10 s
	s.count = 63
	if _, due := s.due(); due {
		t.Fatal("a rate was measured over a silence")
	}
	s.checked = time.Now().Add(-resizeEvery - 500*time.Millisecond)
	s.count = 127
	if pps, due := s.due(); !due || pps < 40 || pps > 60 {
		t.Errorf("rate %v (due %v) after 128 packets in 2.5 s, want about 51", pps, due)
	}
}

func TestResendsPastTheBudgetCostNoCopy(t *testing.T) {
	up, layer, downs, _, pkt := resendFixture(1)
	for i := range 10 {
		pkt.SequenceNumber = uint16(100 + i)
		forward(up, layer, pkt)
	}
	d := downs[0]
	seq := d.sent.slots[0].seq
	for _, r := range d.sent.slots {
		if r.kept {
			seq = r.seq
			break
		}
	}
	refuse := func(int, time.Time) bool { return false }
	now := time.Now()
	if _, _, ok := d.resendCopy(seq, now, time.Second, refuse); ok {
		t.Fatal("a resend past the budget was made")
	}
	if allocs := testing.AllocsPerRun(100, func() { d.resendCopy(seq, now, time.Second, refuse) }); allocs != 0 {
		t.Fatalf("a resend refused by the budget allocated %.0f times", allocs)
	}
	if _, payload, ok := d.resendCopy(seq, now, time.Second, func(int, time.Time) bool { return true }); !ok || len(payload) == 0 {
		t.Fatal("a resend within the budget was refused")
	}
}
