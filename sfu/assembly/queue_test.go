package assembly

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

var (
	t0   = time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)
	fac  = Member{ID: "f", Name: "Fay", Facilitator: true}
	ana  = Member{ID: "a", Name: "Ana"}
	ben  = Member{ID: "b", Name: "Ben"}
	cleo = Member{ID: "c", Name: "Cleo"}
	dan  = Member{ID: "d", Name: "Dan"}
	vic  = Member{ID: "v", Name: "Vic", Viewer: true}
)

func order(a *Assembly) []string {
	var ids []string
	for _, e := range a.Queue(t0).Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantOrder(t *testing.T, a *Assembly, want ...string) {
	t.Helper()
	if got := order(a); !slices.Equal(got, want) {
		t.Fatalf("queue %v, want %v", got, want)
	}
}

func TestQueueKeepsArrivalOrder(t *testing.T) {
	var a Assembly
	for _, m := range []Member{ana, ben, cleo} {
		must(t, a.RaiseHand(m, false))
	}
	wantOrder(t, &a, "a", "b", "c")
	must(t, a.RaiseHand(ana, false)) // raised again: keeps its place
	wantOrder(t, &a, "a", "b", "c")
	a.LowerHand(ben)
	wantOrder(t, &a, "a", "c")
	must(t, a.RaiseHand(ben, false))
	wantOrder(t, &a, "a", "c", "b")
}

func TestDirectResponsesJumpAheadInArrivalOrder(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(ana, false))
	must(t, a.RaiseHand(ben, false))
	must(t, a.RaiseHand(cleo, true))
	must(t, a.RaiseHand(dan, true))
	wantOrder(t, &a, "c", "d", "a", "b")
	// Ana turns her hand into a direct response: behind the earlier ones.
	must(t, a.RaiseHand(ana, true))
	wantOrder(t, &a, "c", "d", "a", "b")
	// Cleo makes hers ordinary again: to the back.
	must(t, a.RaiseHand(cleo, false))
	wantOrder(t, &a, "d", "a", "b", "c")
	if q := a.Queue(t0); !q.Entries[0].Direct || q.Entries[2].Direct {
		t.Fatalf("direct flags wrong: %+v", q.Entries)
	}
}

func TestNotYetSpokenFirst(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(ana, false))
	must(t, a.CallNext(fac, t0)) // Ana has spoken
	must(t, a.RaiseHand(ana, false))
	must(t, a.RaiseHand(ben, false))
	wantOrder(t, &a, "a", "b") // no rule: arrival order
	must(t, a.SetRules(fac, Rules{NotYetSpokenFirst: true}))
	wantOrder(t, &a, "b", "a")
	must(t, a.RaiseHand(cleo, false)) // not spoken: before Ana
	must(t, a.RaiseHand(dan, true))   // direct: before all
	wantOrder(t, &a, "d", "b", "c", "a")
	if q := a.Queue(t0); !q.Entries[3].Spoken || q.Entries[1].Spoken {
		t.Fatalf("spoken flags wrong: %+v", q.Entries)
	}
	must(t, a.SetRules(fac, Rules{}))
	wantOrder(t, &a, "d", "a", "b", "c") // back to arrival order
}

func TestFacilitatorRunsTheQueue(t *testing.T) {
	var a Assembly
	for _, m := range []Member{ana, ben, cleo} {
		must(t, a.RaiseHand(m, false))
	}
	must(t, a.MoveInQueue(fac, cleo, 0))
	wantOrder(t, &a, "c", "a", "b")
	must(t, a.MoveInQueue(fac, cleo, 99))
	wantOrder(t, &a, "a", "b", "c")
	must(t, a.RaiseHand(dan, true)) // a direct response still goes first after a move
	wantOrder(t, &a, "d", "a", "b", "c")
	must(t, a.RemoveFromQueue(fac, ben))
	wantOrder(t, &a, "d", "a", "c")

	must(t, a.SetRules(fac, Rules{Seconds: 90}))
	must(t, a.CallNext(fac, t0))
	q := a.Queue(t0.Add(30 * time.Second))
	if q.Speaker == nil || q.Speaker.ID != "d" || q.Speaker.ElapsedMs != 30000 || q.Speaker.Seconds != 90 {
		t.Fatalf("speaker %+v, want Dan 30 s into 90", q.Speaker)
	}
	wantOrder(t, &a, "a", "c")
	must(t, a.Call(fac, cleo, t0.Add(time.Minute)))
	wantOrder(t, &a, "a")
	if err := a.FinishTurn(ana, t0.Add(2*time.Minute)); !errors.Is(err, ErrNotSpeaking) {
		t.Fatalf("Ana ends Cleo's turn: %v", err)
	}
	must(t, a.FinishTurn(cleo, t0.Add(2*time.Minute))) // her own
	if a.Queue(t0).Speaker != nil {
		t.Fatal("turn not ended")
	}
	must(t, a.CallNext(fac, t0.Add(3*time.Minute)))
	must(t, a.CallNext(fac, t0.Add(4*time.Minute))) // empty queue: ends Ana's turn
	m, err := a.Minutes(fac, t0.Add(5*time.Minute))
	must(t, err)
	var spoke []string
	for _, turn := range m.Turns {
		spoke = append(spoke, turn.Name)
		if turn.End.IsZero() {
			t.Errorf("%s's turn not ended", turn.Name)
		}
	}
	if !slices.Equal(spoke, []string{"Dan", "Cleo", "Ana"}) {
		t.Fatalf("speaking order %v", spoke)
	}
}

func TestOnlyTheFacilitatorRunsTheQueue(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(ana, false))
	for name, err := range map[string]error{
		"move":   a.MoveInQueue(ben, ana, 1),
		"remove": a.RemoveFromQueue(ben, ana),
		"next":   a.CallNext(ben, t0),
		"call":   a.Call(ben, ana, t0),
		"rules":  a.SetRules(ben, Rules{Seconds: 10}),
	} {
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("%s by a participant: %v, want forbidden", name, err)
		}
	}
	if _, err := a.Minutes(ben, t0); !errors.Is(err, ErrForbidden) {
		t.Errorf("minutes by a participant: %v", err)
	}
	if err := a.RaiseHand(vic, false); !errors.Is(err, ErrViewer) {
		t.Errorf("viewer raises a hand: %v", err)
	}
	if err := a.Call(fac, vic, t0); !errors.Is(err, ErrViewer) {
		t.Errorf("a viewer given the floor: %v", err)
	}
	wantOrder(t, &a, "a")
}

func TestLeavingEndsHandAndTurn(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(ana, false))
	must(t, a.RaiseHand(ben, false))
	must(t, a.CallNext(fac, t0))
	a.Changes(t0)
	a.Left(ana, "", false, t0.Add(time.Second))
	a.Left(ben, "", false, t0.Add(time.Second))
	changed, q, _, _ := a.Changes(t0)
	if !changed || q.Speaker != nil || len(q.Entries) != 0 {
		t.Fatalf("after leaving: changed %v, %+v", changed, q)
	}
	a.Left(Member{ID: "z"}, "", false, t0)
	if changed, _, _, _ := a.Changes(t0); changed {
		t.Fatal("an unknown participant leaving changed the queue")
	}
}

// Everyone who ever had the floor is not remembered for the meeting's
// whole life: a room whose participants come and go, each called once,
// would hold one more entry for each.
func TestWhoSpokeIsForgottenWhenTheyLeave(t *testing.T) {
	var a Assembly
	for i := range 5000 {
		m := Member{ID: fmt.Sprint("p", i), Name: "Passer-by"}
		must(t, a.RaiseHand(m, false))
		must(t, a.CallNext(fac, t0))
		a.Left(m, "", false, t0)
	}
	if n := len(a.queue.spoken); n != 0 {
		t.Fatalf("%d participants who left are still remembered as having spoken", n)
	}
	// Made viewer, one stays known to have spoken.
	must(t, a.RaiseHand(ana, false))
	must(t, a.CallNext(fac, t0))
	a.Demoted(ana.ID, "", t0)
	if !a.queue.spoken[ana.person()] {
		t.Fatal("a participant made viewer is no longer known to have spoken")
	}
}

// People with a personal link who spoke are remembered when they
// leave on every device, for when they come back in the same meeting,
// but not without end: the maxSpokenGone who left last are, someone
// present is whoever left after them, and a link's holder who comes
// back is no longer counted among those gone.
func TestWhoSpokeWithAPersonalLinkIsRememberedWithinABound(t *testing.T) {
	var a Assembly
	speak := func(m Member) {
		t.Helper()
		must(t, a.RaiseHand(m, false))
		must(t, a.CallNext(fac, t0))
	}
	speak(phone)
	a.Left(phone, "", false, t0)
	a.Arrived(laptop) // Ana is back, and stays
	speak(ben)
	for i := range maxSpokenGone + 1 {
		m := Member{ID: fmt.Sprint("d", i), Name: "Passer-by", Ballot: fmt.Sprint("link:", i)}
		a.Arrived(m)
		speak(m)
		a.Left(m, "", false, t0)
	}
	if n := len(a.queue.spoken); n != maxSpokenGone+2 {
		t.Fatalf("%d people remembered as having spoken, want the %d who left last, Ana and Ben", n, maxSpokenGone)
	}
	if a.queue.spoken["link:0"] || !a.queue.spoken["link:1"] {
		t.Fatal("not the one who left longest ago was forgotten")
	}
	if !a.queue.spoken[laptop.person()] || !a.queue.spoken[ben.person()] {
		t.Fatal("someone present was forgotten as having spoken")
	}
}

func TestRulesAreBounded(t *testing.T) {
	var a Assembly
	must(t, a.SetRules(fac, Rules{Seconds: -5}))
	if s := a.Queue(t0).Seconds; s != 0 {
		t.Fatalf("seconds %d", s)
	}
	must(t, a.SetRules(fac, Rules{Seconds: 1e6}))
	if s := a.Queue(t0).Seconds; s != MaxTurnSeconds {
		t.Fatalf("seconds %d", s)
	}
}

func TestAParticipantMadeViewerLosesTheFloor(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(ana, false))
	must(t, a.CallNext(fac, t0))
	a.Demoted(ana.ID, "", t0.Add(time.Second))
	q := a.Queue(t0.Add(2 * time.Second))
	if q.Speaker != nil {
		t.Fatalf("a participant made viewer still has the floor: %+v", q.Speaker)
	}
	m, err := a.Minutes(fac, t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Turns) != 1 || !m.Turns[0].End.Equal(t0.Add(time.Second)) {
		t.Fatalf("the turn did not end when its speaker was made viewer: %+v", m.Turns)
	}
}

// A newcomer goes just after the last entry the rules put before it,
// even where the facilitator moved entries: never ahead of an earlier
// direct response, nor of an earlier hand of the same rank.
func TestANewHandNeverGoesAheadOfOneTheRulesPutFirst(t *testing.T) {
	positions := func(a *Assembly) map[string]int {
		pos := map[string]int{}
		for i, e := range a.Queue(t0).Entries {
			pos[e.ID] = i
		}
		return pos
	}
	var a Assembly
	must(t, a.RaiseHand(ana, true))  // a direct response, first
	must(t, a.RaiseHand(ben, false)) // an ordinary hand
	must(t, a.MoveInQueue(fac, ana, 1))
	must(t, a.RaiseHand(cleo, true)) // a direct response, later
	if pos := positions(&a); pos[cleo.ID] < pos[ana.ID] {
		t.Errorf("Cleo's later direct response went ahead of Ana's: %+v", a.Queue(t0).Entries)
	}

	var b Assembly
	must(t, b.SetRules(fac, Rules{NotYetSpokenFirst: true}))
	must(t, b.RaiseHand(ana, false))
	must(t, b.CallNext(fac, t0)) // Ana has spoken
	must(t, b.RaiseHand(ana, false))
	must(t, b.RaiseHand(ben, false)) // before Ana: he has not spoken
	must(t, b.MoveInQueue(fac, ana, 0))
	must(t, b.RaiseHand(cleo, false))
	if pos := positions(&b); pos[cleo.ID] < pos[ben.ID] {
		t.Errorf("Cleo, whose hand came after Ben's, went ahead of him: %+v", b.Queue(t0).Entries)
	}
}

// A chair gives the floor to someone who has not raised a hand ("Maria,
// you wanted to add something?"): the queue stays as it was.
func TestTheFacilitatorCallsSomeoneWhoDidNotAsk(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(ana, false))
	must(t, a.Call(fac, ben, t0))
	q := a.Queue(t0)
	if q.Speaker == nil || q.Speaker.ID != ben.ID || q.Speaker.Name != ben.Name {
		t.Fatalf("speaker %+v, want Ben", q.Speaker)
	}
	wantOrder(t, &a, "a")
	if !a.queue.spoken[ben.person()] {
		t.Fatalf("Ben not known to have spoken: %+v", a.queue.spoken)
	}
}

// One person on two devices (a personal link: one Member.Ballot) keeps
// their hand and turn when the device that has them leaves or is made
// viewer: they go to the other device.
func TestAHandAndTurnGoToTheSamePersonsOtherDevice(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(phone, false))
	must(t, a.RaiseHand(ben, false))
	a.Left(phone, laptop.ID, true, t0)
	wantOrder(t, &a, "l", "b")

	must(t, a.CallNext(fac, t0))
	must(t, a.RaiseHand(tablet, true))
	a.Demoted(laptop.ID, tablet.ID, t0.Add(time.Second))
	q := a.Queue(t0.Add(time.Second))
	if q.Speaker == nil || q.Speaker.ID != tablet.ID || !a.queue.spoken[tablet.person()] {
		t.Fatalf("speaker %+v, want Ana on the tablet, known to have spoken", q.Speaker)
	}
	wantOrder(t, &a, "t", "b")
}
