package e2e

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// noDevices joins without camera or microphone: these tests are about
// the page's state, and media would only load the machine.
var noDevices = url.Values{"camera": {"0"}, "mic": {"0"}}

// TestARejoinToARestartedServerShowsOnlyWhatItSays: before the restart
// a proposal is open (Ana voted on it, and began to change her
// ballot), Mo's hand is up and Lee waits in the lobby; once Ana has
// joined the new server again, her page shows none of it, and the new
// server's proposal 1 comes as a new one, not as the old one with her
// old ballot.
func TestARejoinToARestartedServerShowsOnlyWhatItSays(t *testing.T) {
	first, stop := startServerOn(t, "127.0.0.1:0")
	const room = "e2e-restart-state"
	mo := dialGo(t, first, room, false) // the first comer: the moderator
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(first, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum && window.plenum.state === "joined"`)
	anaID, err := ana.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	// Ana moderates too, so that she sees the lobby.
	if err := mo.SetRole(anaID, sfu.RoleModerator); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === "moderator"`)

	if err := mo.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	if err := mo.OpenProposal("Before the restart?", assembly.YesNo, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `!!document.querySelector('#vote-choice-0')`)
	doAt(t, "Ana", ana, tap("#vote-choice-0"), tap(".ballot-submit"))
	waitAt(t, "Ana", ana, `document.querySelector('.vote-mine')?.hidden === false`)
	// She begins to change it, and does not cast it: a ballot being
	// made, kept for a redraw, is the old meeting's too.
	doAt(t, "Ana", ana, tap("#vote-choice-1"))
	on := true
	if err := mo.ChangeRoom(client.RoomSettings{Lobby: &on}); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.room?.lobby === true`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lee, err := client.Dial(ctx, client.Config{URL: "ws://" + first.Addr().String() + "/_/ws", Room: room, Name: "Lee"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lee.Close)
	waitAt(t, "Ana", ana, `window.plenum.lobby().length === 1 && document.querySelectorAll('.lobby-panel [data-lobby]').length === 1
		&& document.querySelectorAll('.queue-list li').length === 1`)

	stop()
	// The same address, as a restarted service would have.
	second, _ := startServerOn(t, first.Addr().String())
	waitAt(t, "Ana", ana, `window.plenum.reconnects?.rejoined >= 1 && window.plenum.state === "joined"`)
	// Alone there, Ana moderates: the form to propose shows, not a ballot.
	const forgotten = `window.plenum.lobby().length === 0 && document.querySelectorAll('.lobby-panel [data-lobby]').length === 0
		&& document.querySelectorAll('.queue-list li').length === 0 && !document.querySelector('.tile-queue')
		&& !document.querySelector('#vote-choice-0') && !!document.querySelector('#proposal-question')`
	if err := ana.WaitFor(forgotten, 20*time.Second); err != nil {
		var shown any
		_ = ana.Eval(`({lobby: window.plenum.lobby(), queue: document.querySelectorAll('.queue-list li').length,
			proposal: document.querySelector('.proposal-question')?.textContent ?? null})`, &shown)
		t.Fatalf("after joining the restarted server, Ana's page still shows the old meeting: %v (%v)", err, shown)
	}

	doAt(t, "Ana", ana, tap(".ctl-assembly"), typeIn("#proposal-question", "After the restart?"), tap(".proposal-submit"))
	waitAt(t, "Ana", ana, `document.querySelector('.proposal-question')?.textContent === 'After the restart?'`)
	var ballot struct {
		Checked bool
		Submit  string
		Mine    bool
	}
	if err := ana.Eval(`({checked: [...document.querySelectorAll('[id^="vote-choice-"]')].some((c) => c.checked),
		submit: document.querySelector('.ballot-submit')?.textContent ?? '',
		mine: document.querySelector('.vote-mine')?.hidden === false})`, &ballot); err != nil {
		t.Fatal(err)
	}
	if ballot.Checked || ballot.Submit != "Cast ballot" || ballot.Mine {
		t.Fatalf("the new server's first proposal shows Ana's ballot on the old one: %+v", ballot)
	}
	if n := second.Manager().ParticipantCount(); n != 1 {
		t.Fatalf("%d participants on the new server, want 1 (Ana)", n)
	}
}
