package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// click clicks the element matching selector, as a script would.
func click(t *testing.T, b *webtest.Browser, selector string) {
	t.Helper()
	if err := b.Eval(fmt.Sprintf(`(() => { document.querySelector(%q).click(); return true; })()`, selector), new(bool)); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls expr for up to a minute: joining a call with two browsers
// takes seconds, much more on a loaded CI machine.
func waitFor(t *testing.T, b *webtest.Browser, what, expr string) {
	t.Helper()
	if err := b.WaitFor(expr, time.Minute); err != nil {
		// PLENUM_FAIL_SHOTS=dir keeps a picture of the page that failed.
		if dir := os.Getenv("PLENUM_FAIL_SHOTS"); dir != "" {
			shot := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()+"-"+what)+".png")
			t.Logf("screenshot %s: %v", shot, b.Screenshot(shot))
		}
		t.Fatalf("%s: %v", what, err)
	}
}

// prejoinReady is true once the pre-join screen has its devices.
const prejoinReady = `window.plenum?.state === "prejoin" && !!document.querySelector('.preview-controls .ctl:not(:disabled)')`

// twoTiles is true once the meeting shows our tile and one other.
const twoTiles = `window.plenum?.state === "joined" && document.querySelectorAll('.grid .tile:not(.tile-invite)').length === 2`

func TestNoSeriousAccessibilityViolationsOnAnyScreen(t *testing.T) {
	src := requireAxe(t)
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, nil)
	ana, ben := browsers[0], browsers[1]
	base := fmt.Sprintf("http://%s/", srv.Addr())

	if err := ana.Open(base); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "landing page", `window.plenum?.state === "landing" && !!document.getElementById('room-name')`)
	checkAccessibility(t, ana, src, "landing page")

	if err := ana.Open(base + "e2e-a11y?" + url.Values{"name": {"Ana"}}.Encode()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "pre-join screen", prejoinReady)
	checkAccessibility(t, ana, src, "pre-join screen")

	click(t, ana, ".join-form button[type=submit]")
	if err := ben.Open(joinURL(srv, "e2e-a11y", "Ben", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "Ana sees Ben", twoTiles)
	checkAccessibility(t, ana, src, "meeting with two participants")

	if err := ana.Do(chromedp.KeyEvent("?")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "shortcut help", `!!document.querySelector('dialog#shortcut-help[open]')`)
	checkAccessibility(t, ana, src, "shortcut help dialog")
}
