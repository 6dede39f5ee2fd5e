//go:build !race

// Not under the race detector: pion itself races when it hands a layer
// a new SSRC (webrtc v4.2.26: RTPReceiver.receiveForRid replaces the
// track's streams under the receiver's lock, which readRTP, the read of
// the TrackRemote every forwarding loop is in, does not take), and the
// detector fails the test on that, whatever the SFU does.

package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

func TestALayerThatComesAgainOnANewSSRCIsForwarded(t *testing.T) {
	s := startServer(t)
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Simulcast: true})
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben"})
	eventually(t, 20*time.Second, "Ben receives video", func() bool { return receivedWidth(sub, pub.ID()) > 0 })

	// Ana's sender starts afresh: the same layers (rids) on new SSRCs,
	// which pion hands the SFU in the layers' TrackRemotes it knows.
	pub.RenumberVideo()
	got := sub.Received(pub.ID(), webrtc.RTPCodecTypeVideo)
	before := got.Packets()
	eventually(t, 20*time.Second, "Ben receives Ana's video from its new SSRCs", func() bool {
		return got.Packets() > before+100 // seconds of it: more than was on its way
	})
}
