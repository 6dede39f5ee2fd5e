// Package webtest drives headless Chromium for end-to-end tests of the
// web client: Debian's chromium with a fake camera and microphone,
// talking only to loopback.
package webtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// flags start Chromium headless, as root, with fake media devices, and
// keep it from reaching anything but loopback: no background services,
// no DNS but for 127.0.0.1, no QUIC, no mDNS-hidden candidates.
var flags = []chromedp.ExecAllocatorOption{
	chromedp.ExecPath(chromiumPath),
	chromedp.Flag("headless", "new"),
	chromedp.Flag("no-sandbox", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("no-default-browser-check", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
	chromedp.Flag("allow-loopback-in-peer-connection", true),
	chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
	chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
	chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	chromedp.WindowSize(1280, 800),
}

// Browser is one headless Chromium with one page.
type Browser struct {
	t      testing.TB
	ctx    context.Context
	cancel context.CancelFunc
}

// Require skips the test when Chromium is missing, except in CI, where
// a missing browser is a broken set-up and fails the test.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found: scripts/test installs it (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s not found: run scripts/test, or apt-get install chromium", chromiumPath)
	}
}

// Launch starts a browser that closes at the end of the test. extra
// adds flags, e.g. chromedp.Flag("force-fieldtrials", "...").
func Launch(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	Require(t)
	b, err := launch(t, t.TempDir(), extra)
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// LaunchAll starts one browser per set of extra flags, all at once
// (starting Chromium takes seconds of CPU), and returns them in order.
func LaunchAll(t testing.TB, extra ...[]chromedp.ExecAllocatorOption) []*Browser {
	t.Helper()
	Require(t)
	browsers := make([]*Browser, len(extra))
	errs := make([]error, len(extra))
	var wg sync.WaitGroup
	for i, opts := range extra {
		dir := t.TempDir()
		wg.Go(func() { browsers[i], errs[i] = launch(t, dir, opts) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browsers
}

// launch starts a browser with its profile in dir; it may run on any
// goroutine.
func launch(t testing.TB, dir string, extra []chromedp.ExecAllocatorOption) (*Browser, error) {
	opts := append(append([]chromedp.ExecAllocatorOption{}, flags...), chromedp.UserDataDir(dir))
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &Browser{t: t, ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	t.Cleanup(b.cancel)
	name := t.Name()
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			b.logConsole(name, string(e.Type), e.Args)
		case *runtime.EventExceptionThrown:
			t.Logf("[%s] exception: %s", name, exceptionText(e.ExceptionDetails))
		}
	})
	return b, err
}

func (b *Browser) logConsole(name, kind string, args []*runtime.RemoteObject) {
	line := ""
	for _, a := range args {
		if a.Value != nil {
			line += string(a.Value) + " "
		} else {
			line += a.Description + " "
		}
	}
	b.t.Logf("[%s] console.%s: %s", name, kind, line)
}

// Open navigates to url.
func (b *Browser) Open(url string) error {
	return chromedp.Do(b.ctx, chromedp.Navigate(url))
}

// WaitFor polls the JavaScript expression until it is true, for up to
// within (chromedp alone would stop at 30 s).
func (b *Browser) WaitFor(expr string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(within)))
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", expr, err)
	}
	return nil
}

// Eval evaluates expr, awaiting it if it is a promise, and decodes the
// result as JSON into out.
func (b *Browser) Eval(expr string, out any) error {
	return b.EvalWithin(expr, 10*time.Second, out)
}

// EvalWithin is Eval with a given timeout, for slow work in the page.
func (b *Browser) EvalWithin(expr string, within time.Duration, out any) error {
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("evaluate %s: %w", expr, err)
	}
	return json.Unmarshal(raw, out)
}

// Inject runs a script (such as a test-only library) in the page, with
// a long timeout since a large one takes a while to compile on a busy
// machine; errors do not repeat the script.
func (b *Browser) Inject(script string) error {
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](script+"\n;true")); err != nil {
		return fmt.Errorf("inject script of %d bytes: %w", len(script), err)
	}
	return nil
}

// Screenshot saves the visible page as a PNG.
func (b *Browser) Screenshot(path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

// Do runs chromedp actions on the page, e.g. chromedp.EmulateViewport.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Cover opens a blank tab in front of the page, in the same window, so
// that the page is hidden (document.visibilityState "hidden") as when a
// user switches tabs. The returned func closes that tab, showing the
// page again.
func (b *Browser) Cover() (uncover func(), err error) {
	// No timeout here: a tab lives as long as the context of its first action.
	tab, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewWindow(false))
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		return nil, err
	}
	return cancel, nil
}

// Click clicks the first element that matches the CSS selector with the
// mouse, as a user would: once it is shown and nothing covers its
// middle, a mouse press and release at that point. within bounds the
// whole (a loaded machine can take seconds to lay out a page).
//
// The point is found with JavaScript rather than chromedp's node
// queries, which follow every DOM change of the page and crawl on pages
// that update often (video tiles with live badges).
func (b *Browser) Click(selector string, within time.Duration) error {
	where := fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		if (!e || e.getClientRects().length === 0) return null;
		e.scrollIntoView({block: 'nearest', inline: 'nearest'});
		const r = e.getBoundingClientRect();
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		const hit = document.elementFromPoint(x, y);
		return hit && (hit === e || e.contains(hit)) ? [x, y] : null;
	})()`, selector)
	deadline := time.Now().Add(within)
	for {
		var xy []float64
		err := b.Eval(where, &xy)
		if err == nil && len(xy) == 2 {
			ctx, cancel := context.WithTimeout(b.ctx, time.Until(deadline)+time.Second)
			defer cancel()
			return chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1]))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("click %s: not shown, or covered, after %v (%v)", selector, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
