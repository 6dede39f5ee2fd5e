package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// TestScreenshots takes the pictures of docs/: the pre-join screen and a
// meeting at desktop and phone width. It runs only when asked for
// (scripts/screenshots sets PLENUM_SCREENSHOTS=docs).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PLENUM_SCREENSHOTS")
	if dir == "" {
		t.Skip("set PLENUM_SCREENSHOTS=dir to take the screenshots of docs/ (scripts/screenshots)")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Pictures are taken when things are ready, however long that takes.
	waitFor := func(t *testing.T, b *webtest.Browser, what, expr string) {
		t.Helper()
		if err := b.WaitFor(expr, 2*time.Minute); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shoot := func(b *webtest.Browser, name string) {
		t.Helper()
		time.Sleep(1500 * time.Millisecond) // let videos and transitions settle
		if err := b.Screenshot(filepath.Join(dir, name)); err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		t.Logf("wrote %s", filepath.Join(dir, name))
	}
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, nil, nil, nil)
	ana, ben, chidi, dana := browsers[0], browsers[1], browsers[2], browsers[3]
	const room = "weekly-assembly"
	if err := ana.Do(chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	if err := ana.Open(fmt.Sprintf("http://%s/%s?%s", srv.Addr(), room, url.Values{"name": {"Ana"}}.Encode())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "pre-join screen", prejoinReady)
	shoot(ana, "prejoin.png")
	click(t, ana, ".join-form button[type=submit]")
	waitFor(t, ana, "Ana joins", `window.plenum.state === "joined"`)
	for _, p := range []struct {
		b    *webtest.Browser
		name string
	}{{ben, "Ben"}, {chidi, "Chidi"}} {
		if err := p.b.Open(joinURL(srv, room, p.name, nil)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, p.b, p.name+" joins", `window.plenum?.state === "joined"`)
	}
	waitFor(t, ana, "Ana sees everybody's video", `document.querySelectorAll('.tile.has-video').length >= 3`)

	say := func(b *webtest.Browser, who, text string) {
		t.Helper()
		if err := b.EvalWithin(`document.querySelector('.ctl-chat[aria-pressed="true"]') || document.querySelector('.ctl-chat').click(), true`, time.Minute, new(bool)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, who+" opens the chat", `!!document.getElementById('chat-input')?.getClientRects().length`)
		// Typed as the input event a keyboard makes, then sent with the
		// form: chromedp's key events wait on node queries that a page
		// full of live video answers slowly.
		send := fmt.Sprintf(`(() => { const i = document.getElementById('chat-input'); i.value = %q;
			i.dispatchEvent(new Event('input')); i.form.requestSubmit(); return true; })()`, text)
		if err := b.EvalWithin(send, time.Minute, new(bool)); err != nil {
			t.Fatal(err)
		}
	}
	say(ben, "Ben", "The draft budget is on my screen, page 2.")
	waitFor(t, ana, "Ana gets Ben's message", `document.querySelector('.ctl-chat .ctl-badge:not([hidden])') !== null`)
	say(ana, "Ana", "Thanks! Chidi first, then the vote?")
	// Chidi raises his hand (H); Ben shares his screen (a real click: a user gesture).
	if err := chidi.Do(pressKey("h", "KeyH", 'H')); err != nil {
		t.Fatal(err)
	}
	if err := ben.Click(".ctl-screen", time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "Ana sees Ben's screen and Chidi's hand", `(() => {
		const v = document.querySelector('.spotlight .tile-screen video');
		return !!v && v.videoWidth > 0 && !!document.querySelector('.tile-queue');
	})()`)
	if err := ana.EvalWithin(`document.activeElement?.blur(), true`, time.Minute, new(bool)); err != nil {
		t.Fatal(err)
	}
	shoot(ana, "meeting.png")

	// The phone's pictures come from a phone that joins as one: a desktop
	// page turned into a phone after loading keeps a zoomed-out layout
	// that no phone shows.
	emulate(t, dana, phonePortrait)
	if err := dana.Open(joinURL(srv, room, "Dana", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, dana, "Dana sees Ben's screen and Chidi's hand", `(() => {
		const v = document.querySelector('.spotlight .tile-screen video');
		return window.plenum?.state === "joined" && !!v && v.videoWidth > 0 && !!document.querySelector('.tile-queue') &&
			document.querySelectorAll('.tile.has-video').length >= 4;
	})()`)
	shoot(dana, "meeting-phone.png")
	emulate(t, dana, phoneLandscape)
	waitFor(t, dana, "the phone turns", `innerWidth === 844`)
	shoot(dana, "meeting-phone-landscape.png")
}
