package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestTheShortcutHelpListsEachActionOnce: S and D both share the
// screen, L and W both switch the layout, and the help listed each key
// on a row of its own, two rows of the same words for one action, while
// the share and layout buttons told screen readers of one key only.
// Each action now has one row with all its keys, and its button names
// them all.
func TestTheShortcutHelpListsEachActionOnce(t *testing.T) {
	srv := startServer(t)
	browsers, _ := joinAll(t, srv, "e2e-shortcut-help", nil, "Kim")
	kim := browsers[0]
	if err := kim.Eval(`document.activeElement.blur(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	press(t, kim, "?")
	waitFor(t, kim, "? opens the help", `!!document.querySelector('dialog#shortcut-help[open]')`)
	var help struct {
		Rows []struct {
			Keys  []string
			Label string
		}
		Screen string
		Layout string
		Share  string // the share button's aria-keyshortcuts
		Switch string // the layout button's
	}
	if err := kim.Eval(`(async () => {
		const msgs = (await import('/_/static/i18n/en.js')).default;
		return {
			rows: [...document.querySelectorAll('#shortcut-help tbody tr')].map((r) => ({
				keys: [...r.querySelectorAll('kbd')].map((k) => k.textContent),
				label: r.cells[1].textContent,
			})),
			screen: msgs['shortcuts.screen'],
			layout: msgs['shortcuts.layout'],
			share: document.querySelector('.toolbar .ctl-screen').getAttribute('aria-keyshortcuts'),
			switch: document.querySelector('.toolbar [aria-label="' + msgs['toolbar.speakerLayout'] + '"]').getAttribute('aria-keyshortcuts'),
		};
	})()`, &help); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range help.Rows {
		seen[r.Label]++
		want := map[string][]string{help.Screen: {"S", "D"}, help.Layout: {"L", "W"}}[r.Label]
		if want != nil && !slices.Equal(r.Keys, want) {
			t.Errorf("the help gives %q the keys %v, want %v", r.Label, r.Keys, want)
		}
	}
	for label, n := range seen {
		if n > 1 {
			t.Errorf("the help lists %q on %d rows", label, n)
		}
	}
	if seen[help.Screen] != 1 || seen[help.Layout] != 1 {
		t.Errorf("the help lacks the screen or layout row: %+v", help.Rows)
	}
	for _, b := range []struct{ what, keys, want string }{{"share", help.Share, "S"}, {"share", help.Share, "D"}, {"layout", help.Switch, "L"}, {"layout", help.Switch, "W"}} {
		if !slices.Contains(strings.Fields(b.keys), b.want) {
			t.Errorf("the %s button's aria-keyshortcuts %q lacks %s", b.what, b.keys, b.want)
		}
	}
}
