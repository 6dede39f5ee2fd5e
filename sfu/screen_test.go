package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/client"
)

// A subscriber capped at 1 Mbit/s (--room-bitrate-max) receives a 450
// kbit/s screen share and a camera whose top layer alone would take 720
// kbit/s: the share comes first, whole, in its one layer, and the camera
// gets what is left (a lower layer). Were the camera first, its top
// layer would fit and the share would be paused.
func TestScreenShareIsForwardedInOneLayerBeforeCameras(t *testing.T) {
	s := startServerWith(t, func(c *networkConfig) {
		c.Bandwidth = sfu.BandwidthConfig{Max: 1_000_000, Screen: 500_000}
	})
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Simulcast: true, Screen: true, ScreenBitrate: 450_000})
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben"})
	if err := sub.SetView(pub.ID(), 720, true); err != nil {
		t.Fatal(err)
	}
	screen := pub.ID() + sfu.ScreenStreamSuffix
	eventually(t, 15*time.Second, "Ben receives Ana's screen share, in its one 640-wide layer", func() bool {
		return receivedWidth(sub, screen) == 640
	})
	eventually(t, 15*time.Second, "Ben receives Ana's camera too", func() bool {
		return receivedWidth(sub, pub.ID()) > 0
	})

	// For three seconds: the share flows at its full rate (30 frames of
	// two packets a second), the camera never at its top layer.
	got := sub.Received(screen, webrtc.RTPCodecTypeVideo)
	for i := range 3 {
		before := got.Packets()
		time.Sleep(time.Second)
		if n := got.Packets() - before; n < 40 {
			t.Errorf("second %d: %d packets of the screen share, want about 60", i+1, n)
		}
		if w := receivedWidth(sub, pub.ID()); w == 1280 {
			t.Errorf("second %d: the camera's top layer was sent beside the share, over the cap", i+1)
		}
	}
	if missing, back := got.Discontinuities(); missing > 0 || back > 0 {
		t.Errorf("the screen share's stream has %d missing packets and %d steps back", missing, back)
	}
}
