package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/plenum-meet/plenum/web/webtest"
)

func press(t *testing.T, b *webtest.Browser, keys string) {
	t.Helper()
	if err := b.Do(chromedp.KeyEvent(keys)); err != nil {
		t.Fatalf("press %q: %v", keys, err)
	}
}

// markControls tags every visible, enabled control of the page with
// data-kbd=N and returns how many there are.
const markControls = `(() => {
	const all = [...document.querySelectorAll('button, a[href], input, select, textarea, [tabindex]:not([tabindex="-1"])')]
		.filter((el) => !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
	all.forEach((el, i) => el.dataset.kbd = String(i));
	return all.length;
})()`

// focused describes the focused element: its data-kbd mark and whether it
// shows a focus indicator (an outline or a ring drawn with box-shadow).
const focused = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return {mark: '', visible: false, what: 'body'};
	const s = getComputedStyle(el);
	const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
	return {
		mark: el.dataset.kbd || '',
		visible: el.matches(':focus-visible') && (outline || s.boxShadow !== 'none'),
		what: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + (el.getAttribute('aria-label') || el.textContent.trim()).slice(0, 30),
	};
})()`

// tabThrough presses Tab until focus has been everywhere (twice the
// number of controls, at most) and fails for each control never reached
// or reached without a visible focus indicator.
func tabThrough(t *testing.T, b *webtest.Browser, screen string) {
	t.Helper()
	var n int
	if err := b.Eval(markControls, &n); err != nil {
		t.Fatal(err)
	}
	reached := map[string]bool{}
	for i := 0; i < 2*n+2 && len(reached) < n; i++ {
		press(t, b, kb.Tab)
		var f struct {
			Mark    string `json:"mark"`
			Visible bool   `json:"visible"`
			What    string `json:"what"`
		}
		if err := b.Eval(focused, &f); err != nil {
			t.Fatal(err)
		}
		if f.Mark == "" {
			continue
		}
		if !f.Visible && !reached[f.Mark] {
			t.Errorf("%s: %s has focus but shows no focus indicator", screen, f.What)
		}
		reached[f.Mark] = true
	}
	t.Logf("%s: Tab reached %d of %d controls", screen, len(reached), n)
	if len(reached) < n {
		var missing []string
		if err := b.Eval(fmt.Sprintf(`[...document.querySelectorAll('[data-kbd]')].filter((el) => !%s.includes(el.dataset.kbd)).map((el) => el.outerHTML.slice(0, 120))`, marks(reached)), &missing); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s: Tab never reaches %d of %d controls:\n\t%s", screen, n-len(reached), n, strings.Join(missing, "\n\t"))
	}
}

func marks(m map[string]bool) string {
	var list []string
	for k := range m {
		list = append(list, fmt.Sprintf("%q", k))
	}
	return "[" + strings.Join(list, ",") + "]"
}

const micMuted = `document.querySelector('.toolbar .ctl, .preview-controls .ctl').getAttribute('aria-pressed') === 'true'`

func TestKeyboardOnlyJoinShortcutsAndHelp(t *testing.T) {
	srv := startServer(t)
	b := webtest.Launch(t)
	if err := b.Open(fmt.Sprintf("http://%s/e2e-keys", srv.Addr())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "pre-join screen", prejoinReady)
	tabThrough(t, b, "pre-join screen")

	// Typing M and V into the name field types them: no shortcut fires.
	if err := b.Eval(`document.getElementById('display-name').focus(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	press(t, b, "Kim mv")
	var state struct {
		Name    string `json:"name"`
		Pressed []string
	}
	if err := b.Eval(`({name: document.getElementById('display-name').value,
		pressed: [...document.querySelectorAll('.preview-controls .ctl')].map((c) => c.getAttribute('aria-pressed'))})`, &state); err != nil {
		t.Fatal(err)
	}
	if state.Name != "Kim mv" || strings.Join(state.Pressed, ",") != "false,false" {
		t.Fatalf("typing in the name field: value %q, toggles pressed %v; want the text typed and no toggle", state.Name, state.Pressed)
	}

	// Enter joins; M then mutes, V turns the camera off, both announced.
	press(t, b, kb.Enter)
	waitFor(t, b, "joins with Enter", `window.plenum.state === "joined"`)
	tabThrough(t, b, "meeting screen")
	if err := b.Eval(`document.activeElement.blur(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	press(t, b, "m")
	waitFor(t, b, "M mutes", micMuted)
	press(t, b, "v")
	waitFor(t, b, "V turns the camera off", `document.querySelectorAll('.toolbar .ctl')[1].getAttribute('aria-pressed') === 'true'`)
	waitFor(t, b, "the changes are announced", `[...document.querySelectorAll('#live p')].map((p) => p.textContent).join('|').includes('Camera off')`)
	press(t, b, "M")
	waitFor(t, b, "M again unmutes", "!("+micMuted+")")

	// ? opens the help: a modal dialog listing M and V, focus inside;
	// while it is open, shortcuts do nothing; Escape closes it and
	// focus goes back where it was.
	if err := b.Eval(`document.querySelector('.ctl-leave').focus(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	press(t, b, "?")
	waitFor(t, b, "? opens the help", `!!document.querySelector('dialog#shortcut-help[open]') && document.getElementById('shortcut-help').contains(document.activeElement)`)
	var rows []string
	if err := b.Eval(`[...document.querySelectorAll('#shortcut-help tbody tr')].map((r) => r.textContent)`, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || rows[0] != "MMute or unmute the microphone" || rows[1] != "VTurn the camera on or off" {
		t.Fatalf("help lists %q", rows)
	}
	press(t, b, "m")
	press(t, b, kb.Escape)
	waitFor(t, b, "Escape closes the help", `!document.getElementById('shortcut-help') && document.activeElement === document.querySelector('.ctl-leave')`)
	var muted bool
	if err := b.Eval(micMuted, &muted); err != nil || muted {
		t.Fatalf("M while the help was open muted the microphone (err %v)", err)
	}
}
