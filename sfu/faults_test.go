package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

// TestBrokenEncoderKeepsBeingAskedForKeyframesThrottled: a publisher
// whose encoder never sends a keyframe leaves its subscriber without a
// picture; the server keeps asking for one (so that the picture comes
// the moment the encoder recovers) but no more than twice a second, and
// the publisher's audio flows meanwhile.
func TestBrokenEncoderKeepsBeingAskedForKeyframesThrottled(t *testing.T) {
	s := startServer(t)
	broken := s.joinWith(t, client.Config{Room: "council", Name: "Broken", Publish: true, NoKeyframes: true})
	ana := s.join(t, "council", "Ana")
	eventually(t, 20*time.Second, "the publisher is asked for a keyframe", func() bool { return broken.KeyframeRequests() > 0 })

	const window = 6 * time.Second
	before, began := broken.KeyframeRequests(), time.Now()
	time.Sleep(window)
	got, took := broken.KeyframeRequests()-before, time.Since(began)
	most := int64(took/(500*time.Millisecond)) + 2
	t.Logf("%d keyframe requests in %v", got, took.Round(time.Millisecond))
	if got < 3 {
		t.Errorf("only %d keyframe requests in %v: the server stopped asking", got, took)
	}
	if got > most {
		t.Errorf("%d keyframe requests in %v: more than one per 500 ms", got, took)
	}
	audio := ana.Received(broken.ID(), webrtc.RTPCodecTypeAudio)
	if audio == nil || audio.Packets() < 50 {
		t.Errorf("the broken publisher's audio did not flow meanwhile")
	}
}
