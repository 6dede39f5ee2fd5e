package e2e

import (
	"testing"
	"time"

	"github.com/plenum-meet/plenum/web/webtest"
)

// The page's Content-Security-Policy lets it reach its own server, and
// nowhere else: a page in Chromium joins (its WebSocket to the page's
// host and port is let through), and a WebSocket it tries to open to
// another origin (another port of the same address here, loopback
// only) is refused by the policy. It allowed "ws: wss:", any host.
func TestThePageConnectsToItsOwnServerOnly(t *testing.T) {
	srv := startServer(t)
	b := webtest.Launch(t)
	if err := b.Open(joinURL(srv, "e2e-csp", "Ana", nil)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, b, "Ana", 60*time.Second)
	var started bool
	if err := b.Eval(`(() => {
		window.cspRefused = [];
		document.addEventListener('securitypolicyviolation', (e) => window.cspRefused.push(e.effectiveDirective + ' ' + e.blockedURI));
		try { new WebSocket('ws://127.0.0.1:9/_/ws'); } catch (e) { window.cspRefused.push('thrown ' + e.name); }
		return true;
	})()`, &started); err != nil || !started {
		t.Fatalf("opening a WebSocket elsewhere: %v", err)
	}
	waitFor(t, b, "the policy refuses a WebSocket to another origin",
		`window.cspRefused.some((r) => /^connect-src ws:\/\/127\.0\.0\.1:9(\/|$)/.test(r) || r === 'thrown SecurityError')`)
	if state, err := evalJS[string](b, `window.plenum.state`); err != nil || state != "joined" {
		t.Fatalf("the page is %q (%v) after, want still joined", state, err)
	}
}
