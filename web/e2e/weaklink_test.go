package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu/sfutest"
)

// TestWeakBrowserDropsToTheLowLayerAndClimbsBack: Sub's downlink, and
// only it, is capped at 250 kbit/s behind a short queue, as a weak
// mobile link. Sub's page goes on decoding Pub's camera, at the low
// layer, with Pub's sound; once the link is 20 Mbit/s again (the queue
// drained, not emptied), the page climbs back to the layer it had.
func TestWeakBrowserDropsToTheLowLayerAndClimbsBack(t *testing.T) {
	if os.Getenv("PLENUM_IMPAIRED_NETWORK_TESTS") != "1" {
		t.Skip("shapes lo: set PLENUM_IMPAIRED_NETWORK_TESTS=1, in a private network namespace, and run it alone")
	}
	_, pub, sub, pubID := pubAndListener(t, "e2e-weak-link")

	// The layer Sub's tile asks for, on a free network: at least the
	// medium one (640x360).
	high := func(w int) bool { return w >= 640 }
	before := receives(t, sub, pub, "Sub", pubID, 30*time.Second, "at least 640 wide", high)
	s, err := sub.Stats()
	if err != nil || s.CandidatePair == nil || s.CandidatePair.Local == nil {
		t.Fatalf("Sub's selected candidate pair: %+v, %v", s.CandidatePair, err)
	}
	// What the server sends to Sub's down connection, by its port.
	setRate := sfutest.LimitOnLo(t, fmt.Sprintf("ip dport %d 0xffff", s.CandidatePair.Local.Port), "250kbit")
	capped := time.Now()
	low := receives(t, sub, pub, "Sub", pubID, 30*time.Second, "at most 320 wide under a 250 kbit/s cap", func(w int) bool { return w > 0 && w <= 320 })
	t.Logf("Sub receives %dx%d %v after the cap (%dx%d before)", low.FrameWidth, low.FrameHeight,
		time.Since(capped).Round(100*time.Millisecond), before.FrameWidth, before.FrameHeight)

	// At the low layer the picture moves and the sound comes, for as
	// long as the link stays weak.
	frames, audio := videoFrom(t, sub, pubID), audioFrom(t, sub, pubID)
	time.Sleep(8 * time.Second)
	after, audioAfter := videoFrom(t, sub, pubID), audioFrom(t, sub, pubID)
	t.Logf("in 8 s at 250 kbit/s: %d frames decoded at %dx%d, %d freezes, %d NACKs, %d PLIs, %d packets lost, %d audio packets",
		after.FramesDecoded-frames.FramesDecoded, after.FrameWidth, after.FrameHeight, after.FreezeCount-frames.FreezeCount,
		after.NACKCount-frames.NACKCount, after.PLICount-frames.PLICount, after.PacketsLost-frames.PacketsLost, audioAfter-audio)
	// About 160 at 20 frames/s; a quarter is a picture that still moves.
	if n := after.FramesDecoded - frames.FramesDecoded; n < 40 {
		t.Errorf("Sub decoded %d frames in 8 s on the weak link, want the low layer moving", n)
	}
	if after.FrameWidth > 320 {
		t.Errorf("Sub receives %dx%d on a 250 kbit/s link, want the low layer", after.FrameWidth, after.FrameHeight)
	}
	// 50 a second; half is sound that still comes.
	if n := audioAfter - audio; n < 200 {
		t.Errorf("Sub received %d of Pub's audio packets in 8 s on the weak link, want about 400", n)
	}

	setRate("20mbit")
	lifted := time.Now()
	back := receives(t, sub, pub, "Sub", pubID, 40*time.Second, "at least 640 wide again once the link is fast", high)
	t.Logf("Sub receives %dx%d again %v after the link got fast", back.FrameWidth, back.FrameHeight, time.Since(lifted).Round(100*time.Millisecond))
}
