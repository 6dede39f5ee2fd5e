package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/client"
)

// A subscriber whose downlink is estimated at 300 kbit/s (here the
// room's cap) loses 5 % of what it receives: its video's packets, of
// about 1000 bytes each, are resent as on a fast link. The budget of
// retransmissions, a quarter of the estimate, let through a burst of
// 937 bytes there, less than one such packet, and so resent none: on
// the weak links that lose most, no repair, the picture broken until
// the next keyframe.
func TestNACKRepairsFullPacketsOnAWeakLink(t *testing.T) {
	requirePrivateNetwork(t)
	s := startServerWith(t, func(c *networkConfig) {
		c.Bandwidth = sfu.BandwidthConfig{Max: 300_000}
	})
	// One packet of 958 bytes per frame at 30 frames/s: with audio it
	// fits the 300 kbit/s, so the video is not paused.
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, VideoBitrate: 230_000})
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben", API: impairedAPI()})
	eventually(t, 15*time.Second, "Ben receives video", func() bool { return receivedWidth(sub, pub.ID()) > 0 })

	got := sub.Received(pub.ID(), webrtc.RTPCodecTypeVideo)
	time.Sleep(settle) // past the first picture's repairs, if any
	missingBefore, _ := got.Discontinuities()
	before, resentBefore := got.Packets(), s.manager.Totals().Resent
	dropImpaired(t, 5)
	time.Sleep(8 * time.Second)
	rules := endLoss(t)
	time.Sleep(settle)
	checkLossRuleDropped(t, rules)

	n := got.Packets() - before
	missing, _ := got.Discontinuities()
	resent := s.manager.Totals().Resent - resentBefore
	t.Logf("in 8 s with 5%% loss Ben received %d video packets, %d still missing after repairs; the server resent %d", n, missing-missingBefore, resent)
	if n < 100 {
		t.Fatalf("Ben received %d video packets in 8 s, want a steady stream (about 240)", n)
	}
	if resent == 0 {
		t.Error("the server resent nothing to a subscriber of a 300 kbit/s link that lost 5 % of its video")
	}
	// 5 % of about 240 is a dozen lost; a packet whose every resend was
	// lost too may stay missing.
	if d := missing - missingBefore; d > 3 {
		t.Errorf("%d of Ben's video packets are still missing after the loss: not repaired", d)
	}
}
