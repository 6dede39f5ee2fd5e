package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// TestAHandRaisedOnAnotherDeviceOfMineShowsAsMine: Ana comes with her
// personal link on her phone (a Go client) and her laptop (the page),
// one person in the speaking queue. She raises her hand on the phone:
// the laptop shows it raised, on the hand button and on her own tile,
// and lowering it there lowers it for everybody. The page knew its hand
// only by its own id, so it showed it down while the person held a
// place, and pressing the button raised a second hand.
func TestAHandRaisedOnAnotherDeviceOfMineShowsAsMine(t *testing.T) {
	const room = "e2e-one-person"
	srv, token := serverWithLink(t, room, auth.RoleParticipant, "Ana")
	mo := dialGo(t, srv, room, false) // first in: the facilitator
	phone := dialGoWith(t, srv, client.Config{Room: room, Name: "Ana", Token: token})
	laptop := webtest.Launch(t)
	if err := laptop.Open(joinURL(srv, room, "", noDevices) + "#token=" + token); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, laptop, "Ana", time.Minute)

	if err := phone.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "the laptop", laptop, `document.querySelector('.ctl-hand')?.getAttribute('aria-pressed') === 'true'
		&& document.querySelector('.tile-local .tile-queue') !== null`)

	doAt(t, "the laptop", laptop, chromedp.KeyEvent("h")) // lowers it
	eventually(t, 30*time.Second, "Ana's hand lowered for Mo", func() (bool, string) {
		q := mo.Queue()
		return len(q.Entries) == 0, fmt.Sprintf("queue %+v", q.Entries)
	})
	waitAt(t, "the laptop", laptop, `document.querySelector('.ctl-hand')?.getAttribute('aria-pressed') === 'false'
		&& document.querySelector('.tile-queue') === null`)
}
