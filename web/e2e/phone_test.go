package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// screen is a device's viewport in CSS pixels.
type screen struct {
	name          string
	width, height int64
}

var (
	phonePortrait  = screen{"phone, portrait", 390, 844}
	phoneLandscape = screen{"phone, landscape", 844, 390}
	tabletPortrait = screen{"tablet, portrait", 820, 1180}
)

// emulate makes b's page a touch device of this size (meta viewport
// honoured, device pixel ratio 3 as on most phones).
func emulate(t *testing.T, b *webtest.Browser, s screen) {
	t.Helper()
	orientation := chromedp.EmulatePortrait
	if s.width > s.height {
		orientation = chromedp.EmulateLandscape
	}
	if err := b.Do(chromedp.EmulateViewport(s.width, s.height, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch, orientation)); err != nil {
		t.Fatalf("emulate %s: %v", s.name, err)
	}
	touch := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
			{Name: "pointer", Value: "coarse"}, {Name: "hover", Value: "none"},
		}})
		return err
	})
	if err := b.Do(touch); err != nil {
		t.Fatalf("emulate a touch screen: %v", err)
	}
}

// layoutProblems lists what does not fit the viewport: a page wider than
// the screen, controls cut off at the sides (and, where the page must not
// scroll, at the bottom), and touch targets smaller than 44x44 pixels.
func layoutProblems(scrolls bool) string {
	return fmt.Sprintf(`(() => {
		const bad = [];
		const W = innerWidth, H = innerHeight;
		if (document.documentElement.scrollWidth > W + 1) bad.push('page is ' + document.documentElement.scrollWidth + 'px wide in a ' + W + 'px screen');
		const name = (el) => el.tagName.toLowerCase() + '.' + String(el.className).trim().split(/\s+/).join('.') + ' "' + (el.getAttribute('aria-label') || el.textContent.trim()).slice(0, 24) + '"';
		for (const el of document.querySelectorAll('button, a[href], input, select, textarea')) {
			if (el.closest('[hidden], dialog:not([open])') || el.getClientRects().length === 0) continue;
			let r = el.getBoundingClientRect();
			// A check box or radio button is also hit through its label.
			if (el.labels?.length && (el.type === 'checkbox' || el.type === 'radio')) {
				const all = [r, ...[...el.labels].map((l) => l.getBoundingClientRect())];
				const left = Math.min(...all.map((b) => b.left)), top = Math.min(...all.map((b) => b.top));
				r = { left, top, right: Math.max(...all.map((b) => b.right)), bottom: Math.max(...all.map((b) => b.bottom)) };
				r.width = r.right - left;
				r.height = r.bottom - top;
			}
			if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
			if (el.closest('.visually-hidden')) continue;
			if (r.left < -1 || r.right > W + 1 || (!%t && (r.top < -1 || r.bottom > H + 1))) bad.push(name(el) + ' is cut off at ' + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)));
			if (r.width < 43.5 || r.height < 43.5) bad.push(name(el) + ' is a ' + Math.round(r.width) + 'x' + Math.round(r.height) + ' touch target at ' + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)));
		}
		return bad;
	})()`, scrolls)
}

func expectFits(t *testing.T, b *webtest.Browser, what string, scrolls bool) {
	t.Helper()
	var bad []string
	if err := b.Eval(layoutProblems(scrolls), &bad); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%s:\n\t%s", what, strings.Join(bad, "\n\t"))
	}
}

func TestPhonesAndTabletsFitTheScreenWithTouchSizedControls(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, nil)
	ana, ben := browsers[0], browsers[1]
	emulate(t, ana, phonePortrait)
	if err := ana.Open(fmt.Sprintf("http://%s/?", srv.Addr())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "landing page", `window.plenum?.state === "landing" && !!document.getElementById('room-name')`)
	expectFits(t, ana, "landing page, "+phonePortrait.name, true)

	if err := ana.Open(fmt.Sprintf("http://%s/e2e-phone?%s", srv.Addr(), url.Values{"name": {"Ana"}}.Encode())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "pre-join screen", prejoinReady)
	expectFits(t, ana, "pre-join screen, "+phonePortrait.name, true)
	click(t, ana, ".join-form button[type=submit]")
	if err := ben.Open(joinURL(srv, "e2e-phone", "Ben", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "Ana sees Ben", twoTiles)
	for _, s := range []screen{phonePortrait, phoneLandscape, tabletPortrait} {
		emulate(t, ana, s)
		// The meeting is one screen: nothing may hang below it.
		waitFor(t, ana, "the layout settles at "+s.name, fmt.Sprintf(`innerWidth === %d && document.querySelector('.toolbar').getBoundingClientRect().bottom <= innerHeight`, s.width))
		expectFits(t, ana, "meeting, "+s.name, false)
	}

	// On a phone a side panel is a sheet over the whole screen.
	emulate(t, ana, phonePortrait)
	click(t, ana, ".ctl-assembly")
	waitFor(t, ana, "the queue and votes panel fills the phone's screen", `(() => {
		const r = document.getElementById('assembly-panel').getBoundingClientRect();
		return r.left === 0 && r.top === 0 && r.width === innerWidth && r.height === innerHeight;
	})()`)
	expectFits(t, ana, "queue and votes panel, "+phonePortrait.name, true)
}

// TestAFacilitatorOnAPhoneTouchesTheQueueWithAFinger: the buttons a
// facilitator has beside each raised hand (give the floor, up, down,
// remove) were 30 px wide on a phone too, four in a row under a thumb.
func TestAFacilitatorOnAPhoneTouchesTheQueueWithAFinger(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-phone-queue"
	ana := webtest.Launch(t)
	emulate(t, ana, phonePortrait)
	if err := ana.Open(joinURL(srv, room, "Ana", url.Values{"camera": {"0"}, "mic": {"0"}})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "Ana facilitates", `window.plenum?.state === "joined" && window.plenum.role === "moderator"`)
	ben := dialGoAs(t, srv, room, "Benedikt Hochstraßer-Lindqvist", false)
	if err := ben.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	click(t, ana, ".ctl-assembly")
	waitFor(t, ana, "Ben's hand in Ana's queue, with her buttons", `document.querySelectorAll('.queue-entry .queue-actions button').length === 4 &&
		document.getElementById('assembly-panel').getBoundingClientRect().width === innerWidth`)
	expectFits(t, ana, "queue with a raised hand, "+phonePortrait.name, true)
}
