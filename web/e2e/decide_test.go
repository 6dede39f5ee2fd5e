package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// tap, typeIn and the waits drive the page as a person does: real
// input events on the controls they see.
func tap(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)
}

func typeIn(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible)
}

func doAt(t *testing.T, who string, b *webtest.Browser, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for _, step := range steps { // one at a time: each has Do's whole time limit
		if err := b.Do(step); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}
}

// waitAt polls expr at b; generous, for a loaded CI machine.
func waitAt(t *testing.T, who string, b *webtest.Browser, expr string) {
	t.Helper()
	if err := b.WaitFor(expr, 60*time.Second); err != nil {
		var state any
		_ = b.Eval(`({state: window.plenum?.state, error: window.plenum?.lastError})`, &state)
		t.Fatalf("%s: %v (page: %v)", who, err, state)
	}
}

// TestConsentRoundAndRaisedHand: the facilitator (the first to join, so
// the moderator) opens a secret consent round from the panel; the two
// others vote (one blocks, with a reason); the facilitator closes it and
// the result shows at all three. Before that, a hand raised with H at
// the facilitator's shows on its tile at the others'.
func TestConsentRoundAndRaisedHand(t *testing.T) {
	srv := startServer(t)
	bs := webtest.LaunchAll(t, nil, nil, nil)
	names := []string{"Fay", "Ben", "Cleo"}
	for i, b := range bs {
		// No camera, no microphone: the test is about the panel and the
		// protocol, and media would only load the machine (and, on a
		// loaded one, time out).
		if err := b.Open(joinURL(srv, "e2e-decide", names[i], url.Values{"camera": {"0"}, "mic": {"0"}})); err != nil {
			t.Fatal(err)
		}
		// One at a time: the first in the room moderates.
		waitAt(t, names[i], b, `window.plenum && window.plenum.state === "joined"`)
	}
	fay, ben, cleo := bs[0], bs[1], bs[2]
	fayID, err := fay.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}

	// H raises Fay's hand; Ben sees it on her tile.
	doAt(t, "Fay", fay, chromedp.KeyEvent("h"))
	waitAt(t, "Ben", ben, fmt.Sprintf(`document.querySelector('.tile[data-participant=%q] .tile-queue') !== null`, fayID))
	waitAt(t, "Fay", fay, `document.querySelector('.ctl-hand')?.getAttribute('aria-pressed') === 'true'`)
	doAt(t, "Fay", fay, chromedp.KeyEvent("h")) // and lowers it
	waitAt(t, "Ben", ben, `document.querySelector('.tile-queue') === null`)

	// Fay opens a secret consent round.
	doAt(t, "Fay", fay,
		tap(".ctl-assembly"),
		typeIn("#proposal-question", "Adopt the budget?"),
		tap("#proposal-secret"),
		tap(".proposal-submit"))

	// Ben agrees, Cleo blocks with a reason; the panel opened by itself.
	waitAt(t, "Ben", ben, `!!document.querySelector('#vote-choice-0')`)
	doAt(t, "Ben", ben, tap("#vote-choice-0"), tap(".ballot-submit"))
	waitAt(t, "Cleo", cleo, `!!document.querySelector('#vote-choice-2')`)
	doAt(t, "Cleo", cleo, tap("#vote-choice-2"), typeIn("#vote-reason", "No reserve"), tap(".ballot-submit"))
	waitAt(t, "Cleo", cleo, `document.querySelector('.vote-mine')?.hidden === false`)
	// On a wide screen the open panel sits beside the tiles, and beside
	// the chat when that is open too: it covers nobody.
	waitAt(t, "Cleo", cleo, assemblyPanelCoversNothing)
	doAt(t, "Cleo", cleo, tap(".ctl-chat"))
	waitAt(t, "Cleo", cleo, `!document.querySelector('.side-panel').hidden && `+assemblyPanelCoversNothing)
	doAt(t, "Cleo", cleo, tap(".ctl-chat"))
	if dir := os.Getenv("PLENUM_SCREENSHOT_DIR"); dir != "" {
		waitAt(t, "Cleo", cleo, `document.querySelector('.vote-status')?.textContent.startsWith('2')`)
		if err := cleo.Screenshot(filepath.Join(dir, "consent-round.png")); err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}

	waitAt(t, "Fay", fay, `document.querySelector('.vote-status')?.textContent.startsWith('2')`)
	doAt(t, "Fay", fay, tap(".vote-close"))
	for i, b := range bs {
		waitAt(t, names[i], b, `document.querySelector('.result .outcome')?.textContent === 'Blocked'`)
		var shown string
		if err := b.Eval(`document.querySelector('.result').textContent`, &shown); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(shown, "Agree 1 · Stand aside 0 · Block 1") || !strings.Contains(shown, "No reserve") {
			t.Errorf("%s shows %q", names[i], shown)
		}
		if strings.Contains(shown, "Ben") || strings.Contains(shown, "Cleo") {
			t.Errorf("%s shows a secret ballot's voter: %q", names[i], shown)
		}
	}

	// The facilitator's minutes hold the decision.
	doAt(t, "Fay", fay, tap(".minutes-export"))
	waitAt(t, "Fay", fay, `(window.plenum.minutes || '').includes('Adopt the budget?')`)
	var md string
	if err := fay.Eval(`window.plenum.minutes`, &md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "**Blocked**") {
		t.Errorf("minutes without the result:\n%s", md)
	}
}

// assemblyPanelCoversNothing is true when the open assembly panel
// overlaps no tile and no side panel.
const assemblyPanelCoversNothing = `(() => {
  const panel = document.querySelector('.assembly-panel');
  if (!panel || panel.hidden) return false;
  const p = panel.getBoundingClientRect();
  const apart = (r) => r.right <= p.left || r.left >= p.right || r.bottom <= p.top || r.top >= p.bottom;
  return [...document.querySelectorAll('.tile, .side-panel:not([hidden])')].every((el) => apart(el.getBoundingClientRect()));
})()`

// dropFirstMinutes makes the page's sockets lose its next request for
// the minutes, as a connection about to break would: no answer comes.
const dropFirstMinutes = `(() => {
  const send = WebSocket.prototype.send;
  let dropped = false;
  WebSocket.prototype.send = function (data) {
    if (!dropped && typeof data === 'string' && JSON.parse(data).type === 'minutes') {
      dropped = true;
      return;
    }
    return send.call(this, data);
  };
})()`

// TestAnUnansweredMinutesRequestFailsOnItsOwn: a request for the
// minutes that gets no answer tells the facilitator so, instead of
// waiting for ever; the next request gets its own answer.
func TestAnUnansweredMinutesRequestFailsOnItsOwn(t *testing.T) {
	srv := startServer(t)
	fay := webtest.Launch(t)
	if err := fay.Open(joinURL(srv, "e2e-minutes", "Fay", url.Values{"camera": {"0"}, "mic": {"0"}})); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Fay", fay, `window.plenum && window.plenum.state === "joined" && window.plenum.role === "moderator"`)
	if err := fay.Inject(dropFirstMinutes); err != nil {
		t.Fatal(err)
	}
	doAt(t, "Fay", fay, tap(".ctl-assembly"), tap(".minutes-export"))
	waitAt(t, "Fay", fay, `document.querySelector('#toasts [data-key="minutes"]')?.textContent.includes('The minutes did not come')`)
	var minutes *string
	if err := fay.Eval(`window.plenum.minutes`, &minutes); err != nil || minutes != nil {
		t.Fatalf("minutes exported with no answer: %v (%v)", minutes, err)
	}
	doAt(t, "Fay", fay, tap(".minutes-export"))
	waitAt(t, "Fay", fay, `(window.plenum.minutes || '').includes('No decisions.')`)
}

// pasteOptions puts text in the options of the proposal form at b as a
// paste does (a tab from a spreadsheet row stays in it).
func pasteOptions(t *testing.T, b *webtest.Browser, text string) {
	t.Helper()
	run(t, b, fmt.Sprintf(`const o = document.querySelector('#proposal-options');
		o.value = %q;
		o.dispatchEvent(new Event('input'))`, text))
}

// TestAProposalBeyondTheLimitsIsExplainedInTheForm: the facilitator
// pastes eleven options, then one too long, then options copied from a
// spreadsheet (with a tab). The server would end the session of whoever
// sends such a proposal (bad-message): the chair would be thrown out of
// the meeting, and moderation passed on to someone else. The form says
// what is wrong instead, and sends the tab as a space.
func TestAProposalBeyondTheLimitsIsExplainedInTheForm(t *testing.T) {
	srv := startServer(t)
	fay := webtest.Launch(t)
	if err := fay.Open(joinURL(srv, "e2e-limits", "Fay", noDevices)); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Fay", fay, `window.plenum && window.plenum.state === "joined" && window.plenum.role === "moderator"`)
	doAt(t, "Fay", fay, tap(".ctl-assembly"), typeIn("#proposal-question", "Which day?"))
	run(t, fay, `const s = document.querySelector('#proposal-kind');
		s.value = 'choice';
		s.dispatchEvent(new Event('change'))`)
	// explained waits until the form shows an error (or the session
	// ended) and returns the error.
	explained := func(what string) string {
		t.Helper()
		waitAt(t, "Fay", fay, `window.plenum.state !== 'joined' || document.querySelector('.proposal-form .field-error')?.hidden === false`)
		var shown struct {
			State, Error string
		}
		if err := fay.Eval(`({state: window.plenum.state, error: document.querySelector('.proposal-form .field-error')?.textContent ?? ''})`, &shown); err != nil {
			t.Fatal(err)
		}
		if shown.State != "joined" {
			var lastError any
			_ = fay.Eval(`window.plenum.lastError`, &lastError)
			t.Fatalf("%s: the facilitator's session ended (%v)", what, lastError)
		}
		return shown.Error
	}

	days := make([]string, 11)
	for i := range days {
		days[i] = fmt.Sprintf("Day %d", i+1)
	}
	pasteOptions(t, fay, strings.Join(days, "\n"))
	doAt(t, "Fay", fay, tap(".proposal-submit"))
	if shown := explained("eleven options"); !strings.Contains(shown, "2 to 10") {
		t.Fatalf("eleven options: the form says %q", shown)
	}
	run(t, fay, `document.querySelector('.proposal-form .field-error').hidden = true`)
	pasteOptions(t, fay, "Tuesday\n"+strings.Repeat("x", 101))
	doAt(t, "Fay", fay, tap(".proposal-submit"))
	if shown := explained("an option of 101 characters"); !strings.Contains(shown, "100") {
		t.Fatalf("an option of 101 characters: the form says %q", shown)
	}

	pasteOptions(t, fay, "Monday\tmorning\nTuesday")
	doAt(t, "Fay", fay, tap(".proposal-submit"))
	waitAt(t, "Fay", fay, `window.plenum.state !== 'joined' || document.querySelector('label[for="vote-choice-0"]')?.textContent === 'Monday morning'`)
	var state string
	if err := fay.Eval(`window.plenum.state`, &state); err != nil || state != "joined" {
		t.Fatalf("options with a tab: the facilitator's session is %q (%v)", state, err)
	}
}

// whileAway cuts the socket of b's page (participant id), keeps it from
// reconnecting while it takes steps, then lets it resume.
func whileAway(t *testing.T, srv *server.Server, b *webtest.Browser, who, id string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	run(t, b, holdSockets)
	if !srv.Signaling().DropConnection(id) {
		t.Fatalf("the server found no socket of %s's to cut", who)
	}
	waitAt(t, who, b, `window.heldSockets > 0`)
	doAt(t, who, b, steps...)
	run(t, b, releaseSockets)
	waitAt(t, who, b, `window.plenum.reconnects?.resumed >= 1`)
}

// TestABallotCastWhileReconnectingCounts: Ana's socket is cut, and
// while her page reconnects she casts her ballot (the panel stays
// usable, and says "Your ballot: No" to a screen reader). Nothing is
// sent meanwhile; once she is back, her ballot must reach the server,
// as what else the page asked for while away does (mute, views): else
// her vote is lost while her page shows it cast.
func TestABallotCastWhileReconnectingCounts(t *testing.T) {
	srv, mo, ana, anaID := moAndAPage(t, "e2e-vote-away", "Ana", noDevices)
	if err := mo.OpenProposal("Adopt the agenda?", assembly.YesNo, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `!!document.querySelector('#vote-choice-1')`)

	whileAway(t, srv, ana, "Ana", anaID, tap("#vote-choice-1"), tap(".ballot-submit"))

	eventually(t, 30*time.Second, "Mo sees Ana's ballot", func() (bool, string) {
		p, _ := mo.Proposal(1)
		return slices.Contains(p.Voters, anaID), fmt.Sprintf("voters %v", p.Voters)
	})
	if err := mo.CloseProposal(1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the result counts Ana's no", func() (bool, string) {
		p, _ := mo.Proposal(1)
		return p.Result != nil && slices.Equal(p.Result.Totals, []int{0, 1, 0}), fmt.Sprintf("%+v", p.Result)
	})
}

// TestABallotTheServerDroppedIsNotShownAsCast: Ana votes; Mo makes her
// a viewer by mistake and a participant again. The server dropped her
// ballot with the demotion (a viewer does not vote); her page must not
// show it still cast (her old choice ticked, "Change ballot"), or she
// takes her vote for counted and it is lost.
func TestABallotTheServerDroppedIsNotShownAsCast(t *testing.T) {
	_, mo, ana, anaID := moAndAPage(t, "e2e-vote-dropped", "Ana", noDevices)
	if err := mo.OpenProposal("Adopt the agenda?", assembly.YesNo, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `!!document.querySelector('#vote-choice-1')`)
	doAt(t, "Ana", ana, tap("#vote-choice-1"), tap(".ballot-submit"))
	waitAt(t, "Ana", ana, `document.querySelector('.vote-mine')?.hidden === false`)

	if err := mo.SetRole(anaID, sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	// Her page has the proposal without her ballot (no ballot cast).
	waitAt(t, "Ana", ana, `window.plenum.role === 'viewer' && !document.querySelector('#vote-choice-1') &&
		document.querySelector('.vote-status')?.textContent.startsWith('0')`)
	if err := mo.SetRole(anaID, sfu.RoleParticipant); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === 'participant' && !!document.querySelector('#vote-choice-1')`)
	noBallotShown(t, ana, "Ana's dropped ballot")
}

// noBallotShown fails unless b's ballot form shows no ballot as cast:
// no choice ticked, no "Your ballot", the button "Cast ballot".
func noBallotShown(t *testing.T, b *webtest.Browser, what string) {
	t.Helper()
	var shown struct {
		Checked bool
		Submit  string
		Mine    bool
	}
	if err := b.Eval(`({checked: [...document.querySelectorAll('[id^="vote-choice-"]')].some((c) => c.checked),
		submit: document.querySelector('.ballot-submit').textContent,
		mine: document.querySelector('.vote-mine')?.hidden === false})`, &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Checked || shown.Mine || shown.Submit != "Cast ballot" {
		t.Fatalf("%s still shows as cast: %+v", what, shown)
	}
}

// holdVotes makes the page keep the ballots it sends (window.heldVotes)
// until window.releaseVotes() sends them: they reach the server late.
const holdVotes = `(() => {
  const send = WebSocket.prototype.send;
  window.heldVotes = [];
  WebSocket.prototype.send = function (data) {
    if (window.heldVotes && typeof data === 'string' && JSON.parse(data).type === 'vote') {
      window.heldVotes.push([this, data]);
      return;
    }
    return send.call(this, data);
  };
  window.releaseVotes = () => {
    const held = window.heldVotes;
    window.heldVotes = null;
    for (const [ws, data] of held) send.call(ws, data);
  };
})()`

// TestARefusedBallotIsNotShownAsCast: Ana votes as Mo makes her a
// viewer, and her ballot reaches the server just after: refused
// (viewer). Her page kept it as cast: made participant again, she saw
// her choice ticked and "Change ballot", and took her vote for counted
// though it never was.
func TestARefusedBallotIsNotShownAsCast(t *testing.T) {
	_, mo, ana, anaID := moAndAPage(t, "e2e-vote-refused", "Ana", noDevices)
	if err := mo.OpenProposal("Adopt the agenda?", assembly.YesNo, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `!!document.querySelector('#vote-choice-1')`)
	run(t, ana, holdVotes)
	doAt(t, "Ana", ana, tap("#vote-choice-1"), tap(".ballot-submit"))
	waitAt(t, "Ana", ana, `window.heldVotes?.length === 1`)

	if err := mo.SetRole(anaID, sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === 'viewer'`)
	run(t, ana, `window.releaseVotes()`)
	waitAt(t, "Ana", ana, `!!document.querySelector('.toast[data-key="refused-vote"]')`)
	if err := mo.SetRole(anaID, sfu.RoleParticipant); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === 'participant' && !!document.querySelector('#vote-choice-1')`)
	noBallotShown(t, ana, "Ana's refused ballot")
}

// TestAHandRaisedWhileReconnectingIsRaisedOnceBack: Ana's socket is cut
// and, while her page reconnects, she presses H (and hears "hand
// raised"). Once she is back her hand must be in the queue, as a ballot
// cast meanwhile is counted: else she waits for a turn that never comes.
func TestAHandRaisedWhileReconnectingIsRaisedOnceBack(t *testing.T) {
	srv, mo, ana, anaID := moAndAPage(t, "e2e-hand-away", "Ana", noDevices)
	whileAway(t, srv, ana, "Ana", anaID, chromedp.KeyEvent("h"))
	eventually(t, 30*time.Second, "Mo sees Ana's hand", func() (bool, string) {
		q := mo.Queue()
		return len(q.Entries) == 1 && q.Entries[0].ID == anaID, fmt.Sprintf("%+v", q.Entries)
	})
	waitAt(t, "Ana", ana, `document.querySelector('.ctl-hand')?.getAttribute('aria-pressed') === 'true'`)
}

// catchSocket makes the page remember the socket it sends on next
// (window.caughtSocket).
const catchSocket = `(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.caughtSocket = this;
    return send.call(this, data);
  };
})()`

// silenceCaughtSocket makes the page take its caught socket for closed,
// though the connection stays up (as over a path that died without a
// word, which the server notices only at its read timeout): the page
// neither sends nor reads on it any more, and cannot close it.
const silenceCaughtSocket = `(() => {
  const ws = window.caughtSocket;
  ws.send = () => {};
  ws.close = () => {};
  ws.addEventListener('message', (e) => e.stopImmediatePropagation(), true);
  ws.dispatchEvent(new CloseEvent('close', { code: 1006 }));
})()`

// TestAVoterAwayLongerThanTheGraceComesBackAsThemselves: Ana has voted
// when her page loses its socket; the server has not noticed (its side
// of the connection is still up) when her page gets through again, later
// than the resume grace after it noticed. The server still holds her:
// her page must take her back (resume), not join as a second Ana, whose
// ballot would be counted beside the first one's.
func TestAVoterAwayLongerThanTheGraceComesBackAsThemselves(t *testing.T) {
	srv := startServer(t)
	srv.Manager().SetResumeGrace(3 * time.Second) // told to the page in its welcome
	mo, ana, anaID := moAndAPageOn(t, srv, "e2e-vote-twice", "Ana", noDevices)
	if err := mo.OpenProposal("Strike on Monday?", assembly.YesNo, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `!!document.querySelector('#vote-choice-0')`)
	run(t, ana, catchSocket)
	doAt(t, "Ana", ana, tap("#vote-choice-0"), tap(".ballot-submit"))
	eventually(t, 30*time.Second, "Mo sees Ana's ballot", func() (bool, string) {
		p, _ := mo.Proposal(1)
		return slices.Equal(p.Voters, []string{anaID}), fmt.Sprintf("voters %v", p.Voters)
	})

	run(t, ana, holdSockets)
	run(t, ana, silenceCaughtSocket)
	// Four attempts in, the page has tried for 3.5 s (0 + 0.5 + 1 + 2),
	// longer than the grace.
	waitAt(t, "Ana", ana, `window.heldSockets >= 4`)
	run(t, ana, releaseSockets)
	waitAt(t, "Ana", ana, `window.plenum.state === 'joined' && (window.plenum.reconnects?.resumed >= 1 || window.plenum.reconnects?.rejoined >= 1)`)
	// Her page asks for her ballot if it has forgotten it: she votes.
	run(t, ana, `if (document.querySelector('.vote-mine')?.hidden !== false) {
		document.querySelector('#vote-choice-0').click();
		document.querySelector('.ballot-submit').click();
	}`)
	if err := mo.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := mo.CloseProposal(1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the result", func() (bool, string) {
		p, _ := mo.Proposal(1)
		return p.Result != nil, ""
	})
	p, _ := mo.Proposal(1)
	if id, _ := ana.ParticipantID(); p.Result.Ballots != 1 || id != anaID || srv.Manager().ParticipantCount() != 2 {
		t.Fatalf("Ana came back as %s (was %s), %d participants; her ballots: %d, voters %v: want her, once",
			id, anaID, srv.Manager().ParticipantCount(), p.Result.Ballots, p.Voters)
	}
}

// TestJoiningAMeetingWithHandsUpAnnouncesNoneOfThem: Ben and Cleo have
// their hands up when Ana joins. Her screen reader must not read out a
// "raised their hand" for each (in a large meeting, dozens, queued
// before anything else she would hear): they were up before she came.
// A hand raised after she is in is announced.
func TestJoiningAMeetingWithHandsUpAnnouncesNoneOfThem(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-hands-up"
	ben := dialGoAs(t, srv, room, "Ben", false)
	cleo := dialGoAs(t, srv, room, "Cleo", false)
	for _, c := range []*client.Client{ben, cleo} {
		if err := c.RaiseHand(true, false); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "both hands up", func() (bool, string) {
		return len(ben.Queue().Entries) == 2, fmt.Sprintf("%+v", ben.Queue().Entries)
	})
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	waitAt(t, "Ana", ana, `document.querySelectorAll('.queue-list li').length === 2`)
	dan := dialGoAs(t, srv, room, "Dan", false)
	if err := dan.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.announcements().includes('Dan raised their hand')`)
	var said []string
	if err := ana.Eval(`window.plenum.announcements()`, &said); err != nil {
		t.Fatal(err)
	}
	for _, s := range said {
		if strings.Contains(s, "Ben") || strings.Contains(s, "Cleo") {
			t.Fatalf("Ana's page announced a hand up before she came: %q (all: %q)", s, said)
		}
	}
}

// TestTheChairGivesTheFloorToSomeoneWhoDidNotAsk: Mo chairs in a
// browser; Ben has not raised his hand, but Mo asks him to speak ("Ben,
// you wanted to add something?") from the menu on his tile, the one of
// his row in the participant list too. The floor could only go to
// someone in the queue: the chair had to ask him to raise his hand.
func TestTheChairGivesTheFloorToSomeoneWhoDidNotAsk(t *testing.T) {
	_, mod, ben := moWithBen(t, "e2e-give-floor")
	mouseClick(t, mod, "Mo", fmt.Sprintf(`.tile[data-participant=%q] .tile-menu`, ben.ID()))
	mouseClick(t, mod, "Mo", `.menu [data-action="give-floor"]`)
	eventually(t, 30*time.Second, "Ben has the floor", func() (bool, string) {
		sp := ben.Queue().Speaker
		return sp != nil && sp.ID == ben.ID(), fmt.Sprintf("speaker %+v", sp)
	})
	waitAt(t, "Mo", mod, fmt.Sprintf(`!!document.querySelector('.tile[data-participant=%q].has-floor')`, ben.ID()))

	// The minutes say how long each speaker had the floor: Ben, all of
	// it so far.
	doAt(t, "Mo", mod, tap(".ctl-assembly"), tap(".minutes-export"))
	waitAt(t, "Mo", mod, `(window.plenum.minutes || '').includes('## Time with the floor')`)
	var md string
	if err := mod.Eval(`window.plenum.minutes`, &md); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^- Ben: 0:\d\d \(100%\)$`).MatchString(md) {
		t.Errorf("the minutes do not give Ben all the floor time:\n%s", md)
	}
	// Turns of one speaker add up, a turn going on counts until the
	// export, the longest comes first, and a speaker is known by the
	// number the server gives each person (Cleo spoke from her phone
	// and her laptop), or, with none, by id.
	var floor []struct {
		Name string
		Ms   int
	}
	err := mod.Eval(`(async () => (await import('/_/static/ui/minutes.js')).floorTimes([
		{ id: 'a', name: 'Ana', start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:01:00Z' },
		{ id: 'b', name: 'Ben', start: '2026-01-01T10:01:00Z', end: '2026-01-01T10:03:30Z' },
		{ id: 'a2', name: 'Ana', start: '2026-01-01T10:03:30Z', end: '2026-01-01T10:03:40Z' },
		{ id: 'p', speaker: 7, name: 'Cleo', start: '2026-01-01T09:00:00Z', end: '2026-01-01T09:01:00Z' },
		{ id: 'l', speaker: 7, name: 'Cleo', start: '2026-01-01T09:01:00Z', end: '2026-01-01T09:01:40Z' },
		{ id: 'a', name: 'Ana B.', start: '2026-01-01T10:04:00Z' },
	], '2026-01-01T10:06:00Z'))()`, &floor)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		Name string
		Ms   int
	}{{"Ana B.", 180_000}, {"Ben", 150_000}, {"Cleo", 100_000}, {"Ana", 10_000}}
	if !slices.Equal(floor, want) {
		t.Errorf("floor times %v, want %v", floor, want)
	}
}

// TestTheTimerMenuShowsASpeakingTimeItDoesNotList: Mo, another chair (a
// Go client, as a script through the API would be), sets a speaking
// time of 90 s, which Ana's timer menu does not list. It said "No
// limit" while every turn had a limit; it must say 1:30. Back to a time
// it lists, the odd one goes.
func TestTheTimerMenuShowsASpeakingTimeItDoesNotList(t *testing.T) {
	srv := startServer(t)
	mo, ana, _ := moderatingWithMo(t, srv, "e2e-timer-odd", noDevices)
	doAt(t, "Ana", ana, tap(".ctl-assembly"))
	if err := mo.SetQueueRules(false, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	const shows = `((value, label, n) => { const s = document.querySelector('#queue-timer-select');
		return s?.value === value && s.selectedOptions[0]?.textContent === label && s.options.length === n; })`
	waitAt(t, "Ana", ana, shows+`('90', '1:30', 7)`)
	if err := mo.SetQueueRules(false, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, shows+`('120', '2 minutes', 6)`)
}
