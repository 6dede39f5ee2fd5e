package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/client"
)

// A subscriber capped at 350 kbit/s (--room-bitrate-max) receives a
// 200 kbit/s screen share beside a camera in layers of 100, 200 and 300
// kbit/s: the share comes in its one layer, with its own stream id, and
// keeps flowing. (Which track the allocator serves first is
// TestScreenSharesComeFirstInTheBudget's.) Rates are kept low so that a
// busy machine still sends them.
func TestScreenShareIsForwardedInOneLayerBeforeCameras(t *testing.T) {
	s := startServerWith(t, func(c *networkConfig) {
		c.Bandwidth = sfu.BandwidthConfig{Max: 350_000, Screen: 200_000}
	})
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Simulcast: true, VideoBitrate: 300_000, Screen: true, ScreenBitrate: 200_000})
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben"})
	if err := sub.SetView(pub.ID(), 720, true); err != nil {
		t.Fatal(err)
	}
	screen := pub.ID() + sfu.ScreenStreamSuffix
	eventually(t, 15*time.Second, "Ben receives Ana's screen share, in its one 640-wide layer", func() bool {
		return receivedWidth(sub, screen) == 640
	})
	// Past the first rounds of the allocator (a new down track starts
	// at the top layer), the share keeps flowing every second.
	time.Sleep(2 * time.Second)
	got := sub.Received(screen, webrtc.RTPCodecTypeVideo)
	for i := range 4 {
		before := got.Packets()
		time.Sleep(time.Second)
		if n := got.Packets() - before; n == 0 {
			t.Errorf("second %d: the screen share was paused", i+1)
		}
	}
	if missing, back := got.Discontinuities(); back > 0 || missing > 10 {
		t.Errorf("the screen share's stream has %d missing packets and %d steps back", missing, back)
	}
}
