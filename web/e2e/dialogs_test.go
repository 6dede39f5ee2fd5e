package e2e

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// dialogLooksWrong tells what of the open dialog sel does not look like
// the page's other cards: the browser's default frame and colours, or a
// close button under its title rather than beside it. Empty when right.
func dialogLooksWrong(sel string) string {
	return `(() => {
		const d = document.querySelector('` + sel + `');
		if (!d?.open) return 'not open';
		const card = document.createElement('div');
		card.className = 'card';
		document.body.append(card);
		const want = getComputedStyle(card).backgroundColor;
		card.remove();
		const got = getComputedStyle(d).backgroundColor;
		if (got !== want) return 'its background is ' + got + ', a card\'s ' + want;
		const title = d.querySelector('.dialog-title').getBoundingClientRect();
		const close = d.querySelector('.dialog-close').getBoundingClientRect();
		const middle = (close.top + close.bottom) / 2;
		if (middle < title.top || middle > title.bottom || close.left < title.right) {
			return 'its close button at ' + JSON.stringify([close.left, close.top].map(Math.round)) + ' is not beside its title at ' + JSON.stringify([title.right, title.top].map(Math.round));
		}
		return '';
	})()`
}

// expectCardLike waits for the dialog sel to open at b and fails the
// test with what dialogLooksWrong finds.
func expectCardLike(t *testing.T, b *webtest.Browser, what, sel string) {
	t.Helper()
	waitFor(t, b, what+" opens", fmt.Sprintf(`!!document.querySelector(%q)?.open`, sel))
	var wrong string
	if err := b.Eval(dialogLooksWrong(sel), &wrong); err != nil {
		t.Fatal(err)
	}
	if wrong != "" {
		t.Errorf("%s: %s", what, wrong)
	}
}

// TestTheSettingsAndShortcutDialogsAreCards: the settings dialog (on a
// phone, in German) and the keyboard shortcuts (on a laptop) opened as
// the browser's bare dialog, a white frame on black, their close button
// alone on a row under the title: their styles had been dropped when the
// confirmation dialogs got theirs. They look like every other card now.
func TestTheSettingsAndShortcutDialogsAreCards(t *testing.T) {
	srv := startServer(t)
	phone := webtest.Launch(t, chromedp.Flag("accept-lang", "de"))
	emulate(t, phone, phonePortrait)
	if err := phone.Open(joinURL(srv, "e2e-dialogs", "Ana", url.Values{"camera": {"0"}, "mic": {"0"}})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, phone, "Ana joins on her phone", `window.plenum?.state === "joined" && document.documentElement.lang === "de"`)
	click(t, phone, ".ctl-settings")
	expectCardLike(t, phone, "the settings, "+phonePortrait.name+", in German", "dialog.settings")
	expectFits(t, phone, "settings, "+phonePortrait.name, false)

	laptop := webtest.Launch(t)
	if err := laptop.Do(chromedp.EmulateViewport(1280, 720)); err != nil {
		t.Fatal(err)
	}
	if err := laptop.Open(joinURL(srv, "e2e-dialogs", "Ben", url.Values{"camera": {"0"}, "mic": {"0"}})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, laptop, "Ben joins on his laptop", `window.plenum?.state === "joined"`)
	click(t, laptop, ".shortcut-help-btn")
	expectCardLike(t, laptop, "the keyboard shortcuts, 1280x720", "#shortcut-help")
}
