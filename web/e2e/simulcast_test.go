package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/web/webtest"
)

// noCamera starts a browser without the fake devices: its page finds no
// camera or microphone and joins receive-only. Subscribers use it so
// that only the publisher encodes video on the test machine.
var noCamera = chromedp.Flag("use-fake-device-for-media-stream", false)

// eventually polls cond every 250 ms until it holds or within has
// passed; cond returns whether it holds and what it saw, for the failure
// message. A quarter second between looks spares a page asked for its
// stats.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) string {
	t.Helper()
	return pollUntil(t, within, 250*time.Millisecond, what, cond)
}

// promptly is eventually for a condition on Go clients' own state, which
// costs nothing to look at: polled every 5 ms, so that a set-up of
// hundreds of steps, each waiting for the server's word, does not wait
// a quarter second at each (decideABigRecord waited 45 s so).
func promptly(t *testing.T, within time.Duration, what string, cond func() (bool, string)) string {
	t.Helper()
	return pollUntil(t, within, 5*time.Millisecond, what, cond)
}

// pollUntil calls cond every interval until it holds, and fails the test
// with what it saw last once within has passed.
func pollUntil(t *testing.T, within, interval time.Duration, what string, cond func() (bool, string)) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, seen := cond()
		if ok {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v; last seen: %s", what, within, seen)
		}
		time.Sleep(interval)
	}
}

// enter opens room as name in b. A non-zero viewport is emulated: a
// headless window is at least 500 pixels wide, and its page is 143
// pixels less high than the window.
func enter(t *testing.T, srv *server.Server, b *webtest.Browser, room, name string, viewport [2]int64) {
	t.Helper()
	if viewport[0] > 0 {
		if err := b.Do(chromedp.EmulateViewport(viewport[0], viewport[1])); err != nil {
			t.Fatalf("%s: emulate a %dx%d viewport: %v", name, viewport[0], viewport[1], err)
		}
	}
	if err := b.Open(joinURL(srv, room, name, nil)); err != nil {
		t.Fatalf("%s opens the meeting: %v", name, err)
	}
}

// waitJoined waits until b's page has joined and returns its participant id.
func waitJoined(t *testing.T, b *webtest.Browser, name string) string {
	t.Helper()
	if err := b.WaitFor(`window.plenum && window.plenum.state === "joined"`, 60*time.Second); err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	id, err := b.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// receives waits until b decodes new frames of participant's video at a
// width that satisfies ok, and returns the stats then. The publisher's
// layers, if pub is not nil, go into the failure message.
func receives(t *testing.T, b, pub *webtest.Browser, name, participant string, within time.Duration, want string, ok func(width int) bool) webtest.VideoStats {
	t.Helper()
	var last webtest.VideoStats
	frames := -1
	eventually(t, within, fmt.Sprintf("%s receives %s's video %s", name, participant, want), func() (bool, string) {
		s, err := b.Stats()
		if err != nil {
			return false, err.Error()
		}
		v, found := s.VideoFrom(participant)
		moving := frames >= 0 && v.FramesDecoded > frames
		frames, last = v.FramesDecoded, v
		seen := fmt.Sprintf("%+v", s.Video)
		if pub != nil {
			l, err := pub.SentLayers()
			seen += fmt.Sprintf("; the publisher sends %s %v", layersString(l), err)
		}
		return found && moving && ok(v.FrameWidth), seen
	})
	return last
}

// framesFrom is how many frames of participant's video b has decoded.
func framesFrom(t *testing.T, b *webtest.Browser, participant string) int {
	t.Helper()
	s, err := b.Stats()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := s.VideoFrom(participant)
	return v.FramesDecoded
}

// audioFrom is how many of participant's audio packets b has received.
func audioFrom(t *testing.T, b *webtest.Browser, participant string) int {
	t.Helper()
	s, err := b.Stats()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := s.AudioPacketsFrom(participant)
	return n
}

// pubAndListener starts a server and has Pub, with the fake camera, and
// Sub, without one (so that only Pub encodes video on the machine),
// join room; it returns both pages and Pub's id.
func pubAndListener(t *testing.T, room string) (srv *server.Server, pub, sub *webtest.Browser, pubID string) {
	t.Helper()
	srv = startServer(t)
	b := webtest.LaunchAll(t, nil, []chromedp.ExecAllocatorOption{noCamera})
	pub, sub = b[0], b[1]
	enter(t, srv, pub, room, "Pub", [2]int64{})
	pubID = waitJoined(t, pub, "Pub")
	enter(t, srv, sub, room, "Sub", [2]int64{})
	waitJoined(t, sub, "Sub")
	return srv, pub, sub, pubID
}

// tileHeight is the height, in CSS pixels, of participant's video tile.
func tileHeight(t *testing.T, b *webtest.Browser, participant string) int {
	t.Helper()
	var h int
	expr := fmt.Sprintf(`document.querySelector('.tile[data-participant=%q] video').clientHeight`, participant)
	if err := b.Eval(expr, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// run evaluates a statement in b's page.
func run(t *testing.T, b *webtest.Browser, js string) {
	t.Helper()
	var ok bool
	if err := b.Eval(fmt.Sprintf(`(() => { %s; return true; })()`, js), &ok); err != nil {
		t.Fatal(err)
	}
}

func layersString(layers []webtest.Layer) string {
	var s []string
	for _, l := range layers {
		s = append(s, fmt.Sprintf("%s %dx%d %dB active=%v", l.RID, l.FrameWidth, l.FrameHeight, l.BytesSent, l.Active))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// waitLayers waits until b's camera encodings are q, h and f, in that
// order, and cond holds for them.
func waitLayers(t *testing.T, b *webtest.Browser, within time.Duration, what string, cond func(q, h, f webtest.Layer) bool) string {
	t.Helper()
	return eventually(t, within, what, func() (bool, string) {
		l, err := b.SentLayers()
		if err != nil {
			return false, err.Error()
		}
		ok := len(l) == 3 && l[0].RID == "q" && l[1].RID == "h" && l[2].RID == "f" && cond(l[0], l[1], l[2])
		return ok, layersString(l)
	})
}

// A subscriber showing the publisher in a small tile receives the low
// layer while one showing it in a larger tile receives a higher one; the
// publisher sends three simulcast layers, and stops the top one that
// nobody needs.
func TestSmallTileReceivesLowLayer(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-simulcast"
	b := webtest.LaunchAll(t, nil, []chromedp.ExecAllocatorOption{noCamera}, []chromedp.ExecAllocatorOption{noCamera})
	pub, small, large := b[0], b[1], b[2] // large: 1280x800
	// Browsers start first: a busy CPU looks like congestion to the
	// publisher's bandwidth estimate, which then allows fewer layers.
	// The subscribers come once the server has seen the publisher's
	// layers (and their sizes).
	enter(t, srv, pub, room, "Pub", [2]int64{})
	pubID := waitJoined(t, pub, "Pub")
	// On a loaded machine the encoder may take longer to start the
	// medium layer than the server waits, with nobody watching, before
	// it pauses every layer (dynacast): the subscribers then come to a
	// paused publisher, which resumes for them.
	waitLayers(t, pub, 30*time.Second, "Pub sends its low and medium layers, or is paused by the server", func(q, h, f webtest.Layer) bool {
		paused := q.BytesSent > 0 && !q.Active && !h.Active && !f.Active
		return q.FrameWidth > 0 && h.FrameWidth > 0 || paused
	})
	enter(t, srv, small, room, "Small", [2]int64{360, 240})
	enter(t, srv, large, room, "Large", [2]int64{})
	waitJoined(t, small, "Small")
	waitJoined(t, large, "Large")

	var size [2]int
	if err := small.Eval(`[innerWidth, innerHeight]`, &size); err != nil {
		t.Fatal(err)
	}
	if size != [2]int{360, 240} {
		t.Fatalf("the small page is %dx%d, not 360x240", size[0], size[1])
	}

	low := func(w int) bool { return w > 0 && w <= 320 }
	high := func(w int) bool { return w >= 640 }
	s := receives(t, small, pub, "Small", pubID, 15*time.Second, "at most 320 wide", low)
	l := receives(t, large, pub, "Large", pubID, 15*time.Second, "at least 640 wide", high)
	// Both at once, once the publisher's bandwidth estimate has settled.
	s = receives(t, small, pub, "Small", pubID, 5*time.Second, "at most 320 wide", low)
	t.Logf("small page (360x240, tile %d px high) receives %dx%d", tileHeight(t, small, pubID), s.FrameWidth, s.FrameHeight)
	t.Logf("large page (tile %d px high) receives %dx%d", tileHeight(t, large, pubID), l.FrameWidth, l.FrameHeight)

	seen := waitLayers(t, pub, 5*time.Second, "Pub sends its low and medium layers", func(q, h, f webtest.Layer) bool {
		return q.Active && q.BytesSent > 0 && q.FrameWidth == 320 && h.Active && h.BytesSent > 0 && h.FrameWidth == 640
	})
	t.Logf("Pub sends %s", seen)
	// Nobody shows Pub large enough for the full layer: the server tells
	// Pub to stop it after a few seconds (dynacast).
	seen = waitLayers(t, pub, 10*time.Second, "Pub stops its full layer", func(q, h, f webtest.Layer) bool {
		return q.Active && h.Active && !f.Active
	})
	t.Logf("Pub then sends %s", seen)
	receives(t, large, pub, "Large", pubID, 5*time.Second, "at least 640 wide", high)
}

// When the only subscriber stops showing a publisher (its page is
// hidden behind another tab, or the tile is hidden), the publisher is
// told to stop encoding, even across a camera restart, and starts again
// at once when the video is shown again.
func TestHiddenTilesPauseLayers(t *testing.T) {
	_, pub, sub, pubID := pubAndListener(t, "e2e-dynacast")
	some := func(w int) bool { return w > 0 }
	receives(t, sub, pub, "Sub", pubID, 15*time.Second, "", some)
	waitLayers(t, pub, 5*time.Second, "Pub encodes every layer", func(q, h, f webtest.Layer) bool {
		return q.Active && h.Active && f.Active && q.BytesSent > 0
	})

	uncover, err := sub.Cover()
	if err != nil {
		t.Fatal(err)
	}
	var state string
	if err := sub.Eval(`document.visibilityState`, &state); err != nil || state != "hidden" {
		t.Fatalf("Sub's page is %q behind another tab (%v)", state, err)
	}
	start := time.Now()
	paused := func(q, h, f webtest.Layer) bool { return !q.Active && !h.Active && !f.Active }
	seen := waitLayers(t, pub, 10*time.Second, "Pub stops encoding", paused)
	t.Logf("%v after Sub's page was hidden, Pub sends %s", time.Since(start).Round(100*time.Millisecond), seen)
	// A camera restart (off, then on: a new track) keeps the layers off.
	run(t, pub, `document.dispatchEvent(new KeyboardEvent('keydown', {key: 'v'}))`)
	if err := pub.WaitFor(`document.querySelector('.tile-local.has-video') === null`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	run(t, pub, `document.dispatchEvent(new KeyboardEvent('keydown', {key: 'v'}))`)
	if err := pub.WaitFor(`document.querySelector('.tile-local.has-video') !== null`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	seen = waitLayers(t, pub, time.Second, "Pub keeps its layers off after a camera restart", paused)
	t.Logf("after a camera restart Pub sends %s", seen)

	uncover()
	start = time.Now()
	seen = waitLayers(t, pub, 5*time.Second, "Pub encodes again", func(q, h, f webtest.Layer) bool { return q.Active })
	t.Logf("%v after Sub's page was shown, Pub sends %s", time.Since(start).Round(100*time.Millisecond), seen)
	receives(t, sub, pub, "Sub", pubID, 5*time.Second, "again", some)
	t.Logf("%v after Sub's page was shown, Sub decodes Pub again", time.Since(start).Round(100*time.Millisecond))

	// The same when the tile alone is hidden, as if scrolled away.
	run(t, sub, fmt.Sprintf(`document.querySelector('.tile[data-participant=%q]').style.display = 'none'`, pubID))
	start = time.Now()
	seen = waitLayers(t, pub, 10*time.Second, "Pub stops encoding for a hidden tile", paused)
	t.Logf("%v after the tile was hidden, Pub sends %s", time.Since(start).Round(100*time.Millisecond), seen)
	frames := framesFrom(t, sub, pubID)
	time.Sleep(time.Second)
	if n := framesFrom(t, sub, pubID); n > frames+2 {
		t.Errorf("Sub decodes %d frames in a second for a hidden tile", n-frames)
	}
	run(t, sub, fmt.Sprintf(`document.querySelector('.tile[data-participant=%q]').style.display = ''`, pubID))
	receives(t, sub, pub, "Sub", pubID, 5*time.Second, "once the tile is shown", some)
}
