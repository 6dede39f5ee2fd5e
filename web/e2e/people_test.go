package e2e

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// TestALongNameIsReadInFullInTheParticipantList: the facilitator's list
// showed a participant with a raised hand, her microphone, camera and
// menu beside her name, as "Benedikt …" on a laptop, in French: one
// line, cut off. The name now wraps onto more lines and is read whole.
func TestALongNameIsReadInFullInTheParticipantList(t *testing.T) {
	srv := startServer(t)
	const room, long = "e2e-long-name", "Benedikt Hochstraßer-Lindqvist"
	ana := webtest.Launch(t, chromedp.Flag("accept-lang", "fr"))
	if err := ana.Do(chromedp.EmulateViewport(1280, 720)); err != nil {
		t.Fatal(err)
	}
	if err := ana.Open(joinURL(srv, room, "Ana", url.Values{"camera": {"0"}, "mic": {"0"}})); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", 2*time.Minute)
	waitAt(t, "Ana", ana, `window.plenum.role === "moderator" && document.documentElement.lang === "fr"`)
	ben := dialGoAs(t, srv, room, long, false)
	if err := ben.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	doAt(t, "Ana", ana, tap(".ctl-people"))
	row := fmt.Sprintf(`.person[data-participant=%q]`, ben.ID())
	waitAt(t, "Ana", ana, fmt.Sprintf(`!!document.querySelector('%s .person-hand') && !!document.querySelector('%s .person-actions button')`, row, row))
	shown, err := evalJS[map[string]any](ana, fmt.Sprintf(`(() => {
		const l = document.querySelector('%s .person-label');
		return { text: l.textContent, cut: l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1, width: l.clientWidth };
	})()`, row))
	if err != nil {
		t.Fatal(err)
	}
	if shown["text"] != long || shown["cut"] != false {
		t.Errorf("Ben's name in Ana's list: %v; want %q shown whole", shown, long)
	}
}
