package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/web/webtest"
)

// watchNotices makes the page record the key of every notice it shows,
// however briefly: a resume on loopback takes a fraction of a second.
const watchNotices = `(() => {
  window.seenNotices = [];
  const record = () => {
    for (const el of document.querySelectorAll('#toasts [data-key]')) {
      if (!window.seenNotices.includes(el.dataset.key)) window.seenNotices.push(el.dataset.key);
    }
  };
  new MutationObserver(record).observe(document.body, { childList: true, subtree: true });
  return true;
})()`

// watchReconnecting makes the page record whether a tile ever showed
// its reconnecting overlay: it may last only until the resume.
const watchReconnecting = `(() => {
  window.seenReconnecting = false;
  const record = () => {
    if (document.querySelector('.tile.is-reconnecting .tile-reconnecting:not([hidden])')) window.seenReconnecting = true;
  };
  new MutationObserver(record).observe(document.body, { attributes: true, attributeFilter: ['class', 'hidden'], subtree: true });
  return true;
})()`

// keepsDecoding waits until b has decoded more of participant's video
// than it had at from.
func keepsDecoding(t *testing.T, b *webtest.Browser, participant string, from int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for framesFrom(t, b, participant) < from+20 {
		if time.Now().After(deadline) {
			t.Fatalf("no new frames from %s after %v (still %d)", participant, within, framesFrom(t, b, participant))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestBrowserResumesAfterTheServerCutsItsSocket(t *testing.T) {
	srv := startServer(t)
	browsers, ids := joinAll(t, srv, "e2e-reconnect", nil, "Ana", "Ben")
	ana, ben := browsers[0], browsers[1]
	for i, b := range browsers {
		if _, err := b.WaitDecodes(ids[1-i], 20*time.Second); err != nil {
			t.Fatalf("browser %d: %v", i, err)
		}
	}
	var ok bool
	if err := ana.Eval(watchNotices, &ok); err != nil {
		t.Fatal(err)
	}
	if err := ben.Eval(watchReconnecting, &ok); err != nil {
		t.Fatal(err)
	}
	anaFrom, benFrom := framesFrom(t, ana, ids[1]), framesFrom(t, ben, ids[0])

	if !srv.Signaling().DropConnection(ids[0]) {
		t.Fatal("the server found no socket of Ana's to cut")
	}
	if err := ana.WaitFor(`window.plenum.reconnects && window.plenum.reconnects.resumed >= 1`, 45*time.Second); err != nil {
		var counts any
		_ = ana.Eval(`window.plenum.reconnects`, &counts)
		t.Fatalf("Ana does not resume: %v (reconnects %v)", err, counts)
	}
	var seen []string
	if err := ana.Eval(`window.seenNotices`, &seen); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(seen, "reconnecting") || !slices.Contains(seen, "reconnected") {
		t.Fatalf("Ana's page showed the notices %v, want reconnecting then reconnected", seen)
	}
	// Ben saw Ana reconnecting (the tile and the live region), then back.
	back := `window.seenReconnecting && !document.querySelector('.tile.is-reconnecting') &&
		window.plenum.participants().every((p) => !p.reconnecting) &&
		window.plenum.announcements().includes('Ana is reconnecting') && window.plenum.announcements().includes('Ana is back')`
	if err := ben.WaitFor(back, 15*time.Second); err != nil {
		var state any
		_ = ben.Eval(`({seen: window.seenReconnecting, participants: window.plenum.participants(), said: window.plenum.announcements()})`, &state)
		t.Fatalf("Ben's page did not show Ana reconnecting then back: %v (%v)", err, state)
	}
	if id, err := ana.ParticipantID(); err != nil || id != ids[0] {
		t.Fatalf("Ana is %q after the resume (%v), was %q", id, err, ids[0])
	}
	for i, b := range browsers {
		var others []struct{ ID string }
		if err := b.Eval(`window.plenum.participants()`, &others); err != nil {
			t.Fatal(err)
		}
		if len(others) != 1 || others[0].ID != ids[1-i] {
			t.Fatalf("browser %d sees %+v, want only %s", i, others, ids[1-i])
		}
	}
	keepsDecoding(t, ana, ids[1], anaFrom, 15*time.Second)
	keepsDecoding(t, ben, ids[0], benFrom, 15*time.Second)
	if n := srv.Manager().ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server, want 2", n)
	}

	reloadComesBackAsItself(t, srv, ben, ana, ids[1])
}

// reloadComesBackAsItself reloads b's page, which comes back as the
// same participant (old), held by the server meanwhile: other (in the
// same room) must see neither a leave nor a reconnection.
func reloadComesBackAsItself(t *testing.T, srv *server.Server, b, other *webtest.Browser, old string) {
	t.Helper()
	var ok bool
	if err := other.Eval(watchReconnecting, &ok); err != nil {
		t.Fatal(err)
	}
	if err := b.Do(chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`window.plenum && window.plenum.state === "joined"`, 60*time.Second); err != nil {
		t.Fatalf("no join after the reload: %v", err)
	}
	id, err := b.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	if id != old {
		t.Fatalf("after a reload the page is %s, was %s", id, old)
	}
	onlyNew := `(() => { const ps = window.plenum.participants();
		return ps.length === 1 && ps[0].id === ` + strconv.Quote(id) + `; })()`
	if err := other.WaitFor(onlyNew, 8*time.Second); err != nil {
		var ps any
		_ = other.Eval(`window.plenum.participants()`, &ps)
		t.Fatalf("after a reload, the others do not see only %s: %v (%v)", id, err, ps)
	}
	if err := other.Eval(`window.seenReconnecting`, &ok); err != nil || ok {
		t.Fatalf("a reload was shown as reconnecting (%v)", err)
	}
	if _, err := other.WaitDecodes(id, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := srv.Manager().ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server after a reload, want 2", n)
	}
}

func TestBrowsersRejoinWhenTheServerRestarts(t *testing.T) {
	first, stop := startServerOn(t, "127.0.0.1:0")
	browsers, ids := joinAll(t, first, "e2e-restart", nil, "Ana", "Ben")
	for i, b := range browsers {
		if _, err := b.WaitDecodes(ids[1-i], 20*time.Second); err != nil {
			t.Fatalf("browser %d: %v", i, err)
		}
	}
	// A chat message before the restart: the new server numbers its
	// messages from 1 again.
	say := func(text string) {
		t.Helper()
		var hidden bool
		if err := browsers[0].Eval(`document.getElementById('chat-panel').hidden`, &hidden); err != nil {
			t.Fatal(err)
		}
		if hidden {
			if err := browsers[0].Do(pressKey("c", "KeyC", 'C')); err != nil {
				t.Fatal(err)
			}
		}
		if err := browsers[0].WaitFor(`!document.getElementById('chat-panel').hidden`, 20*time.Second); err != nil {
			t.Fatal("the chat does not open:", err)
		}
		var focused bool
		if err := browsers[0].Eval(`document.getElementById('chat-input').focus(), document.activeElement?.id === 'chat-input'`, &focused); err != nil || !focused {
			t.Fatalf("the chat's field cannot have the focus: %v", err)
		}
		if err := browsers[0].Do(typeText(text), pressKey("Enter", "Enter", 13)); err != nil {
			t.Fatal(err)
		}
		if err := browsers[1].WaitFor(`window.plenum.chat().messages.some((m) => m.text === `+strconv.Quote(text)+`)`, 20*time.Second); err != nil {
			var chat any
			_ = browsers[1].Eval(`window.plenum.chat()`, &chat)
			t.Fatalf("Ben does not get %q: %v (%v)", text, err, chat)
		}
	}
	say("before the restart")
	stop()
	// The same address, as a restarted service would have.
	second, _ := startServerOn(t, first.Addr().String())
	var now []string
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum.reconnects && window.plenum.reconnects.rejoined >= 1 && window.plenum.state === "joined"`, 30*time.Second); err != nil {
			var last any
			_ = b.Eval(`({state: window.plenum.state, error: window.plenum.lastError, reconnects: window.plenum.reconnects})`, &last)
			t.Fatalf("browser %d does not join the new server: %v (%v)", i, err, last)
		}
		id, err := b.ParticipantID()
		if err != nil {
			t.Fatal(err)
		}
		now = append(now, id)
	}
	for i, b := range browsers {
		if _, err := b.WaitDecodes(now[1-i], 20*time.Second); err != nil {
			t.Fatalf("browser %d after the restart: %v", i, err)
		}
	}
	if n := second.Manager().ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the new server, want 2", n)
	}
	say("after the restart") // the new server's message 1
}

func TestAParticipantMadeViewerWhileAwayComesBackAsViewer(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-demoted-away"
	// A moderator (a Go participant, first in the room), then Ben, who
	// publishes.
	mo := dialGo(t, srv, room, false)
	browsers, ids := joinAll(t, srv, room, nil, "Ben")
	ben, benID := browsers[0], ids[0]
	eventually(t, 30*time.Second, "Mo receives Ben's video", func() (bool, string) {
		r := mo.Received(benID, webrtc.RTPCodecTypeVideo)
		return r != nil && r.Packets() > 20, ""
	})

	// Ben's socket is cut, and while he is away Mo makes him a viewer:
	// he learns it from the welcome of his resume, with no role message.
	if !srv.Signaling().DropConnection(benID) {
		t.Fatal("the server found no socket of Ben's to cut")
	}
	if err := mo.SetRole(benID, sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if err := ben.WaitFor(`window.plenum.reconnects?.resumed >= 1 || window.plenum.reconnects?.rejoined >= 1`, 45*time.Second); err != nil {
		t.Fatalf("Ben does not come back: %v", err)
	}
	if err := ben.WaitFor(`window.plenum.role === "viewer"`, 10*time.Second); err != nil {
		var state any
		_ = ben.Eval(`({role: window.plenum.role, state: window.plenum.state})`, &state)
		t.Fatalf("Ben is not a viewer after coming back: %v (%v)", err, state)
	}
	// And stays in the meeting: his page offers nothing the server would
	// refuse, and does not give up on an up connection the server closed.
	time.Sleep(15 * time.Second)
	var state any
	if err := ben.Eval(`({state: window.plenum.state, error: window.plenum.lastError})`, &state); err != nil {
		t.Fatal(err)
	}
	if s, _ := state.(map[string]any); s["state"] != "joined" {
		t.Fatalf("Ben, a viewer now, left the meeting: %v", state)
	}
}

// holdSockets makes b's page unable to reach the server (its new
// sockets go to a path of the server's that refuses them: the page's
// Content-Security-Policy lets it open none to another origin, a closed
// port say) until releaseSockets; window.heldSockets counts its
// attempts.
const holdSockets = `(() => {
  const Real = window.WebSocket;
  window.heldSockets = 0;
  window.holdingSockets = true;
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      if (window.holdingSockets) window.heldSockets++;
      super(window.holdingSockets ? url.replace('/_/ws', '/_/held') : url, protocols);
    }
  };
  return true;
})()`

const releaseSockets = `window.holdingSockets = false, true`

// TestSomeoneWhoLeftTheLobbyDuringAResumeIsNotListed: Ana moderates and
// sees Lee and Sam waiting in the lobby; her socket is cut and, while
// she is away, Lee gives up. The resume's welcome brings the lobby as it
// is now, so her lobby panel lists Sam alone.
func TestSomeoneWhoLeftTheLobbyDuringAResumeIsNotListed(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-lobby-away"
	mo, ana, anaID := moderatingWithALobby(t, srv, room)
	lee := dialGoAs(t, srv, room, "Lee", false)
	dialGoAs(t, srv, room, "Sam", false)
	const listed = `[...document.querySelectorAll('.lobby-panel .lobby-name')].map((e) => e.textContent).join()`
	waitAt(t, "Ana", ana, listed+` === 'Lee,Sam'`)

	run(t, ana, holdSockets)
	if !srv.Signaling().DropConnection(anaID) {
		t.Fatal("the server found no socket of Ana's to cut")
	}
	waitAt(t, "Ana", ana, `window.heldSockets > 0`)
	lee.Close()
	eventually(t, 10*time.Second, "Lee leaves the lobby", func() (bool, string) {
		return len(mo.Lobby()) == 1, fmt.Sprintf("%+v", mo.Lobby())
	})
	run(t, ana, releaseSockets)
	waitAt(t, "Ana", ana, `window.plenum.reconnects?.resumed >= 1`)
	if err := ana.WaitFor(listed+` === 'Sam'`, 5*time.Second); err != nil {
		var names string
		_ = ana.Eval(listed, &names)
		t.Fatalf("after her resume Ana's lobby panel lists %q, want Sam alone (Lee left meanwhile): %v", names, err)
	}
}
