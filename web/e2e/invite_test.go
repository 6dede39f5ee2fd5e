package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// TestAMeetingOnThisComputersAddressSaysItsLinkOpensHereOnly: a
// newcomer's first "plenum serve" is at http://localhost:8080, and the
// card shown to the one alone offered its link to share as it was,
// though it opens on no other computer (and elsewhere, over plain HTTP,
// a browser gives no camera nor microphone). The card now says so, and
// how to serve a link others can use; on any other name it says nothing.
func TestAMeetingOnThisComputersAddressSaysItsLinkOpensHereOnly(t *testing.T) {
	srv := startServer(t)
	browsers, _ := joinAll(t, srv, "e2e-invite", nil, "Ana")
	ana := browsers[0]
	waitFor(t, ana, "Ana's card for sharing the link", `document.querySelector('.tile-invite .invite-url') !== null`)
	expectCatalogue(t, ana, "Ana", "en", [][3]string{{".tile-invite .invite-note", "meeting.alone.thisComputerOnly", ""}})

	verdicts, err := evalJS[map[string]bool](ana, `(async () => {
		const { onLoopback } = await import('/_/static/ui/meeting.js');
		const out = {};
		for (const host of ['localhost', 'LOCALHOST', 'plenum.localhost', '127.0.0.1', '127.1.2.3', '[::1]',
			'meet.example.org', '192.168.1.10', '[2001:db8::7]', 'localhost.example.org', '1127.0.0.1', '127.0.0.1.example.org']) {
			out[host] = onLoopback(host);
		}
		return out;
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "plenum.localhost": true, "127.0.0.1": true, "127.1.2.3": true, "[::1]": true,
		"meet.example.org": false, "192.168.1.10": false, "[2001:db8::7]": false, "localhost.example.org": false,
		"1127.0.0.1": false, "127.0.0.1.example.org": false,
	} {
		if got, ok := verdicts[host]; !ok || got != want {
			t.Errorf("%s: taken for this computer's own address: %v, want %v", host, got, want)
		}
	}
}

// inviteCardProblems lists what of the card for the one alone a person
// cannot see: its button cut off by the tile without scrolling to it, or
// any of its lines hanging out of a card that does not scroll.
const inviteCardProblems = `(() => {
	const card = document.querySelector('.tile-invite');
	const box = card.getBoundingClientRect();
	const bad = [];
	const button = card.querySelector('button').getBoundingClientRect();
	if (button.top < box.top - 1 || button.bottom > box.bottom + 1) {
		bad.push('the copy button at ' + Math.round(button.top) + '-' + Math.round(button.bottom) + ' is cut off by the card at ' + Math.round(box.top) + '-' + Math.round(box.bottom));
	}
	if (card.scrollHeight > card.clientHeight + 1 && !['auto', 'scroll'].includes(getComputedStyle(card).overflowY)) {
		bad.push('the card holds ' + card.scrollHeight + 'px in ' + card.clientHeight + 'px and does not scroll');
	}
	return bad;
})()`

// TestTheInviteCardFitsAPhoneInGerman: on a phone held upright, alone in
// a meeting on this computer's address, the card shown in German (its
// note the longest) ran past the tile and cut its "copy link" button in
// half. The button now follows the link it copies, and the card scrolls
// what does not fit.
func TestTheInviteCardFitsAPhoneInGerman(t *testing.T) {
	srv := startServer(t)
	ana := webtest.Launch(t, chromedp.Flag("accept-lang", "de"))
	emulate(t, ana, phonePortrait)
	if err := ana.Open(joinURL(srv, "e2e-invite-phone", "Annemarie Schmidt-Weber", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ana, "Ana alone, in German", `window.plenum?.state === "joined" && document.documentElement.lang === "de" &&
		!!document.querySelector('.tile-invite .invite-note')`)
	var bad []string
	if err := ana.Eval(inviteCardProblems, &bad); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("the invite card at %s, in German:\n\t%s", phonePortrait.name, strings.Join(bad, "\n\t"))
	}
	expectFits(t, ana, "meeting alone, in German, "+phonePortrait.name, false)
}
