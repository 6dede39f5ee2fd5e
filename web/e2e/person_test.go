package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// anaOnPhoneAndLaptop joins room on a server of signed links: Mo, the
// facilitator, then Ana with her personal link on her phone (a Go
// client) and her laptop (a page), one person.
func anaOnPhoneAndLaptop(t *testing.T, room string) (mo, phone *client.Client, laptop *webtest.Browser) {
	t.Helper()
	srv, token := serverWithLink(t, room, auth.RoleParticipant, "Ana")
	mo = dialGo(t, srv, room, false) // first in: the facilitator
	phone = dialGoWith(t, srv, client.Config{Room: room, Name: "Ana", Token: token})
	laptop = webtest.Launch(t)
	if err := laptop.Open(joinURL(srv, room, "", noDevices) + "#token=" + token); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, laptop, "Ana", time.Minute)
	return mo, phone, laptop
}

// TestAHandRaisedOnAnotherDeviceOfMineShowsAsMine: Ana comes with her
// personal link on her phone (a Go client) and her laptop (the page),
// one person in the speaking queue. She raises her hand on the phone:
// the laptop shows it raised, on the hand button and on her own tile,
// and lowering it there lowers it for everybody. The page knew its hand
// only by its own id, so it showed it down while the person held a
// place, and pressing the button raised a second hand.
func TestAHandRaisedOnAnotherDeviceOfMineShowsAsMine(t *testing.T) {
	mo, phone, laptop := anaOnPhoneAndLaptop(t, "e2e-one-person")

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

// TestABallotCastOnAnotherDeviceOfMineShowsAsMine: Ana, with her
// personal link on her laptop (the page) and her phone (a Go client),
// blocks a secret consent round on the laptop, then changes her mind on
// the phone: the laptop shows the phone's ballot as hers ("Your ballot:
// Agree", Agree ticked, her reason gone) and the phone is sent it. The
// server sent a ballot to nobody, and the page forgot its own once the
// phone replaced it: the laptop showed no ballot while Ana had one.
func TestABallotCastOnAnotherDeviceOfMineShowsAsMine(t *testing.T) {
	mo, phone, laptop := anaOnPhoneAndLaptop(t, "e2e-one-ballot")
	if err := mo.OpenProposal("Adopt the budget?", assembly.Consent, nil, true); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "the laptop", laptop, `!!document.querySelector('#vote-choice-2')`)
	doAt(t, "the laptop", laptop, tap("#vote-choice-2"), chromedp.SendKeys("#vote-reason", "no reserve"), tap(".ballot-submit"))
	waitAt(t, "the laptop", laptop, `document.querySelector('.vote-mine')?.hidden === false
		&& document.querySelector('.vote-mine').textContent === 'Your ballot: Block'`)
	eventually(t, 30*time.Second, "the phone is sent Ana's block", func() (bool, string) {
		p, _ := phone.Proposal(1)
		return p.Mine != nil && *p.Mine == assembly.MyBallot{Choice: assembly.ConsentBlock, Reason: "no reserve"}, fmt.Sprintf("%+v", p.Mine)
	})

	if err := phone.Vote(1, assembly.ConsentAgree, ""); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "the laptop", laptop, `document.querySelector('.vote-mine')?.hidden === false
		&& document.querySelector('.vote-mine').textContent === 'Your ballot: Agree'
		&& document.querySelector('#vote-choice-0').checked
		&& document.querySelector('#vote-reason').value === ''
		&& document.querySelector('.ballot-submit').textContent === 'Change ballot'`)
}

// TestMyBallotStaysShownWhenAnotherDeviceOfMineCastFirst: Ana votes no
// on her phone, then yes on her laptop. Her ballot stays, for the
// others, under the phone that cast it first, so the laptop is not
// among the voters: a vote of the laptop's then refused (one for a
// proposal that is not there) must leave "Your ballot: Yes" shown,
// since her person's ballot, which the server sends it (mine), is
// counted. The page forgot every ballot not under its own id.
func TestMyBallotStaysShownWhenAnotherDeviceOfMineCastFirst(t *testing.T) {
	mo, phone, laptop := anaOnPhoneAndLaptop(t, "e2e-ballot-first-elsewhere")
	if err := mo.OpenProposal("Strike on Monday?", assembly.YesNo, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "the laptop", laptop, `!!document.querySelector('#vote-choice-1')`)
	if err := phone.Vote(1, 1, ""); err != nil {
		t.Fatal(err)
	}
	const shows = `document.querySelector('.vote-mine')?.hidden === false && document.querySelector('.vote-mine').textContent === `
	waitAt(t, "the laptop", laptop, shows+`'Your ballot: No'`)
	doAt(t, "the laptop", laptop, tap("#vote-choice-0"), tap(".ballot-submit"))
	eventually(t, 30*time.Second, "the phone is sent Ana's yes", func() (bool, string) {
		p, _ := phone.Proposal(1)
		return p.Mine != nil && p.Mine.Choice == 0 && slices.Equal(p.Voters, []string{phone.ID()}), fmt.Sprintf("%+v", p)
	})
	waitAt(t, "the laptop", laptop, shows+`'Your ballot: Yes'`)

	var sent bool
	if err := laptop.Eval(`(async () => {
		const { store } = await import('/_/static/store.js');
		const a = (await import('/_/static/assembly.js')).assemblyOf(store.session);
		a.addEventListener('refused', () => { window.voteRefused = true; }, { once: true });
		return a.send({ type: 'vote', proposal: 99, choice: 0 });
	})()`, &sent); err != nil || !sent {
		t.Fatalf("the laptop sends a vote for no proposal: %v, sent %v", err, sent)
	}
	waitAt(t, "the laptop", laptop, `window.voteRefused === true`)
	waitAt(t, "the laptop", laptop, shows+`'Your ballot: Yes' && document.querySelector('#vote-choice-0').checked`)
}

// TestAHandMovedToAnotherDeviceIsNotAnnouncedAgain: Ben's page hears
// Ana raise her hand on her phone, once. She raises it again on her
// laptop (the same hand and place, now the laptop's), gets the floor
// there, and the laptop leaves (her turn goes on, her phone's): Ben
// hears "Ana has the floor" once too. The page compared hands and
// speakers by participant id, and announced both again on each change
// of device.
func TestAHandMovedToAnotherDeviceIsNotAnnouncedAgain(t *testing.T) {
	const room = "e2e-hand-moves"
	srv, token := serverWithLink(t, room, auth.RoleParticipant, "Ana")
	mo := dialGo(t, srv, room, false) // first in: the facilitator
	ben := webtest.Launch(t)
	if err := ben.Open(joinURL(srv, room, "Ben", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ben, "Ben", time.Minute)
	phone := dialGoWith(t, srv, client.Config{Room: room, Name: "Ana", Token: token})
	laptop := dialGoWith(t, srv, client.Config{Room: room, Name: "Ana", Token: token})
	moSees := func(what string, cond func(q assembly.QueueState) bool) {
		t.Helper()
		eventually(t, 30*time.Second, what, func() (bool, string) { q := mo.Queue(); return cond(q), fmt.Sprintf("%+v", q) })
	}

	if err := phone.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ben", ben, `window.plenum.announcements().includes('Ana raised their hand')`)
	if err := laptop.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	moSees("Ana's hand is the laptop's", func(q assembly.QueueState) bool {
		return len(q.Entries) == 1 && q.Entries[0].ID == laptop.ID()
	})
	if err := mo.QueueAct("queue-next", ""); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ben", ben, `window.plenum.announcements().includes('Ana has the floor')`)
	laptop.Leave()
	moSees("Ana's turn is the phone's", func(q assembly.QueueState) bool {
		return q.Speaker != nil && q.Speaker.ID == phone.ID()
	})
	// Dan's hand comes after all that: once it is announced, so is
	// whatever those changes were going to be.
	dan := dialGoAs(t, srv, room, "Dan", false)
	if err := dan.RaiseHand(true, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ben", ben, `window.plenum.announcements().includes('Dan raised their hand')`)
	var said []string
	if err := ben.Eval(`window.plenum.announcements()`, &said); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Ana raised their hand", "Ana has the floor"} {
		if n := slices.Index(said, s); n < 0 || slices.Contains(said[n+1:], s) {
			t.Errorf("Ben heard %q other than once: %q", s, said)
		}
	}
}

// TestTheMinutesCountAPersonOnTwoDevicesOnce: Mo, the facilitator on
// the page, gives the floor to Ana on her phone, then on her laptop
// (both with her personal link), and exports the minutes: the time with
// the floor names Ana once, with all of it. It went by device, so Ana
// came twice, each line with part of her time.
func TestTheMinutesCountAPersonOnTwoDevicesOnce(t *testing.T) {
	const room = "e2e-person-minutes"
	srv, token := serverWithLink(t, room, auth.RoleParticipant, "Ana")
	mod := webtest.Launch(t)
	if err := mod.Open(joinURL(srv, room, "Mo", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, mod, "Mo", time.Minute)
	waitAt(t, "Mo", mod, `window.plenum.role === "moderator"`)
	phone := dialGoWith(t, srv, client.Config{Room: room, Name: "Ana", Token: token})
	laptop := dialGoWith(t, srv, client.Config{Room: room, Name: "Ana", Token: token})
	// Both tiles drawn first: one arriving redraws the grid, and closes
	// a menu open meanwhile.
	waitAt(t, "Mo", mod, fmt.Sprintf(`document.querySelectorAll('.tile[data-participant=%q], .tile[data-participant=%q]').length === 2`,
		phone.ID(), laptop.ID()))
	for _, c := range []*client.Client{phone, laptop} {
		mouseClick(t, mod, "Mo", fmt.Sprintf(`.tile[data-participant=%q] .tile-menu`, c.ID()))
		mouseClick(t, mod, "Mo", `.menu [data-action="give-floor"]`)
		eventually(t, 30*time.Second, "Ana has the floor on "+c.ID(), func() (bool, string) {
			sp := c.Queue().Speaker
			return sp != nil && sp.ID == c.ID(), fmt.Sprintf("speaker %+v", sp)
		})
		waitAt(t, "Mo", mod, fmt.Sprintf(`!!document.querySelector('.tile[data-participant=%q].has-floor')`, c.ID()))
	}

	doAt(t, "Mo", mod, tap(".ctl-assembly"), tap(".minutes-export"))
	waitAt(t, "Mo", mod, `(window.plenum.minutes || '').includes('## Time with the floor')`)
	md, err := evalJS[string](mod, `window.plenum.minutes`)
	if err != nil {
		t.Fatal(err)
	}
	floor := md[strings.Index(md, "## Time with the floor"):]
	if n := strings.Count(floor, "\n- Ana: "); n != 1 || !regexp.MustCompile(`(?m)^- Ana: \d+:\d\d \(100%\)$`).MatchString(floor) {
		t.Errorf("the minutes give Ana %d lines of floor time, want one with all of it:\n%s", n, md)
	}
}
