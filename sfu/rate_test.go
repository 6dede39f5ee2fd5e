package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// A layer that stops (nobody wanted it, the camera was off) and resumes
// must not look nearly free to the allocators: one window spread over
// the pause made a 1.2 Mbit/s layer cost a few hundred bits/s for a
// second, and every subscriber short of bandwidth was moved up to it.
func TestALayerThatResumesKeepsItsCostUntilMeasuredAgain(t *testing.T) {
	up := &UpTrack{kind: webrtc.RTPCodecTypeVideo, mimeType: webrtc.MimeTypeVP8}
	l := &upLayer{index: 2}
	up.layers[2].Store(l)
	now := time.Now()
	send := func(d time.Duration) {
		for end := now.Add(d); now.Before(end); now = now.Add(5 * time.Millisecond) {
			l.measure(750, now) // 750 bytes every 5 ms: 1.2 Mbit/s
		}
	}
	inRange := func(bps int) bool { return bps > 1_100_000 && bps < 1_300_000 }

	send(3 * time.Second)
	if got := up.layerBitrate(2); !inRange(got) {
		t.Fatalf("a layer sending 1.2 Mbit/s measured at %d bits/s", got)
	}
	send(300 * time.Millisecond) // part of a window, then the pause
	now = now.Add(30 * time.Second)
	l.measure(0, now) // an old packet resent over RTX: no bytes of media
	now = now.Add(30 * time.Second)
	send(500 * time.Millisecond)
	if got := up.layerBitrate(2); !inRange(got) {
		t.Fatalf("half a second after a minute's pause the layer costs %d bits/s, want what it cost before (1.2 Mbit/s)", got)
	}
	send(2 * time.Second)
	if got := up.layerBitrate(2); !inRange(got) {
		t.Fatalf("two seconds after the pause the layer is measured at %d bits/s, want 1.2 Mbit/s", got)
	}
}
