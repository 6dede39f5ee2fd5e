package sfu

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// A down track asks for a keyframe when a packet its picture needs
// cannot be resent (here the budget refuses it), once until a keyframe
// is sent; a NACK it answers, or of a packet from before the last
// keyframe, asks nothing.
func TestALossTheServerCannotRepairAsksOneKeyframe(t *testing.T) {
	up, layer, downs, _, pkt := resendFixture(1)
	d := downs[0]
	send := func(seq uint16, key bool) {
		pkt.SequenceNumber, pkt.Timestamp = seq, pkt.Timestamp+3000
		pkt.Payload[3] = 0x01 // a VP8 interframe
		if key {
			pkt.Payload[3] = 0x00
		}
		forward(up, layer, pkt)
	}
	refuse := func(int, time.Time) bool { return false }
	requests := func() uint64 { return layer.stats.keyframeRequestsForLoss.Load() }

	send(65530, true) // across the wrap
	for seq := uint16(65531); seq != 20; seq++ {
		send(seq, false)
	}
	// Past the request of the down track's start.
	layer.keyframes.stop()
	var asked atomic.Int64
	layer.keyframes = newKeyframeRequester(func() { asked.Add(1) })
	defer layer.keyframes.stop()
	now := time.Now()
	if _, _, ok := d.resendCopy(5, now, time.Millisecond, nil); !ok {
		t.Fatal("a packet kept and within the budget was not resent")
	}
	if requests() != 0 {
		t.Fatal("a NACK the server answered asked for a keyframe")
	}
	if _, _, ok := d.resendCopy(6, now, time.Millisecond, refuse); ok {
		t.Fatal("resent over the budget")
	}
	if requests() != 1 {
		t.Fatalf("a packet the picture needs, refused by the budget: %d keyframe requests, want 1", requests())
	}
	deadline := time.Now().Add(10 * time.Second)
	for asked.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if asked.Load() != 1 {
		t.Fatal("the publisher was not asked for a keyframe")
	}
	d.resendCopy(7, now, time.Millisecond, refuse)
	d.resendCopy(7, now.Add(lossKeyframeRetry/2), time.Millisecond, refuse)
	if requests() != 1 {
		t.Fatalf("%d keyframe requests while the first waits for its keyframe, want 1", requests())
	}

	send(20, true)
	send(21, false)
	d.resendCopy(8, now, time.Millisecond, refuse)
	if requests() != 1 {
		t.Fatal("a packet from before the last keyframe sent asked for another")
	}
	d.resendCopy(21, now, time.Millisecond, refuse)
	if requests() != 2 {
		t.Fatalf("a loss after the keyframe: %d keyframe requests in all, want 2", requests())
	}
	d.resendCopy(21, now.Add(lossKeyframeRetry), time.Millisecond, refuse)
	if requests() != 2 { // the layer's requester holds one already
		t.Fatalf("%d keyframe requests in all, want 2 while one is deferred", requests())
	}
}

// What a subscriber needs is what was sent since the last keyframe,
// across the wrap of sequence numbers, and with a keyframe so old that
// the numbers went round since.
func TestAPacketIsNeededFromTheLastKeyframeOn(t *testing.T) {
	var l sentLog
	h := &rtp.Header{SequenceNumber: 65000}
	l.note(nil, 0, h, nil, false)
	if l.needed(65000) {
		t.Error("needed before any keyframe was sent")
	}
	for _, c := range []struct {
		seq uint16
		key bool
	}{{65500, true}, {65535, false}, {100, false}, {65400, true}} { // the last a late repair
		h.SequenceNumber = c.seq
		l.note(nil, 0, h, nil, c.key)
	}
	for seq, want := range map[uint16]bool{65499: false, 65500: true, 65535: true, 0: true, 100: true, 101: false} {
		if got := l.needed(seq); got != want {
			t.Errorf("packet %d needed: %v, want %v", seq, got, want)
		}
	}
	// Minutes of video without a keyframe, as browsers send.
	for i := range 650 {
		h.SequenceNumber = uint16(101 + 100*i) //nolint:gosec // at most 65001
		l.note(nil, 0, h, nil, false)
	}
	if !l.needed(64000) {
		t.Error("a recent packet, with the last keyframe over 2^15 packets old, is not needed")
	}
}
