package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// screenShown is true in a page when participant's screen share is in
// the spotlight and its video element shows a picture.
func screenShown(participant string) string {
	return fmt.Sprintf(`(() => {
		const l = window.plenum.layout();
		const v = document.querySelector('.spotlight .tile-screen[data-screen=%q] video');
		return !!l && l.featured.includes(%q) && !!v && v.videoWidth > 0;
	})()`, participant, participant+"~screen")
}

// With Chromium's fake media UI (webtest's launcher sets
// --use-fake-ui-for-media-stream), getDisplayMedia picks a fake 800x600
// "screen" with sound, without any picker: no other flag is needed on
// Chromium 156.
func TestScreenShareIsReceivedAndShownOnTheStage(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, []chromedp.ExecAllocatorOption{noCamera})
	ana, ben := browsers[0], browsers[1]
	enter(t, srv, ana, "e2e-screen", "Ana", [2]int64{})
	enter(t, srv, ben, "e2e-screen", "Ben", [2]int64{})
	waitAllJoined(t, browsers)
	anaID, err := ana.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ben.WaitDecodes(anaID, 30*time.Second); err != nil {
		t.Fatalf("Ben before the share: %v", err)
	}

	// A real click: getDisplayMedia needs a user gesture.
	if err := ana.Do(chromedp.Click(".ctl-screen")); err != nil {
		t.Fatalf("Ana clicks share: %v", err)
	}
	var sent struct {
		FrameWidth int `json:"frameWidth"`
		BytesSent  int `json:"bytesSent"`
	}
	eventually(t, 20*time.Second, "Ana sends her screen", func() (bool, string) {
		err := ana.Eval(`window.plenum.screenSent()`, &sent)
		return err == nil && sent.BytesSent > 0, fmt.Sprintf("%+v %v", sent, err)
	})

	frames := -1
	seen := eventually(t, 30*time.Second, "Ben decodes Ana's screen", func() (bool, string) {
		s, err := ben.Stats()
		if err != nil {
			return false, err.Error()
		}
		v, ok := s.ScreenFrom(anaID)
		moving := ok && frames >= 0 && v.FramesDecoded > frames
		frames = v.FramesDecoded
		return moving, fmt.Sprintf("%+v", s.Video)
	})
	t.Logf("Ben receives: %s", seen)
	if err := ben.WaitFor(screenShown(anaID), 10*time.Second); err != nil {
		t.Fatalf("Ben's stage: %v", err)
	}
	s, err := ben.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// One layer, sent whole: what arrives is what Ana encodes.
	if v, _ := s.ScreenFrom(anaID); v.FrameWidth != sent.FrameWidth && sent.FrameWidth > 0 {
		t.Errorf("Ben receives the screen %d wide, Ana sends it %d wide", v.FrameWidth, sent.FrameWidth)
	}
	// Ana's camera keeps coming, beside the screen.
	if v, ok := s.VideoFrom(anaID); !ok || v.FramesDecoded == 0 {
		t.Errorf("Ben no longer decodes Ana's camera: %+v", s.Video)
	}

	// Stopping without rejoining: the stage goes, the grid comes back.
	if err := ana.Do(chromedp.Click(".ctl-screen")); err != nil {
		t.Fatalf("Ana clicks stop: %v", err)
	}
	gone := `(() => { const l = window.plenum.layout(); return !!l && l.featured.length === 0 && !document.querySelector('.tile-screen'); })()`
	if err := ben.WaitFor(gone, 15*time.Second); err != nil {
		t.Fatalf("Ben's stage after the share: %v", err)
	}
	if err := ana.WaitFor(`window.plenum.state === "joined"`, time.Second); err != nil {
		t.Fatalf("Ana after stopping: %v", err)
	}
}
