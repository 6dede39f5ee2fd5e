package assembly

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// Ana on two devices with her personal link: one person (Member.Ballot).
var (
	phone  = Member{ID: "p", Name: "Ana", Ballot: "link:ana"}
	laptop = Member{ID: "l", Name: "Ana", Ballot: "link:ana"}
	tablet = Member{ID: "t", Name: "Ana", Ballot: "link:ana"}
)

type step func(a *Assembly) error

func raise(m Member, direct bool) step {
	return func(a *Assembly) error { return a.RaiseHand(m, direct) }
}

func lower(m Member) step { return func(a *Assembly) error { a.LowerHand(m); return nil } }

func next(a *Assembly) error { return a.CallNext(fac, t0) }

func leave(m Member, heir string, stays bool) step {
	return func(a *Assembly) error { a.Left(m, heir, stays, t0); return nil }
}

func arrive(m Member) step { return func(a *Assembly) error { a.Arrived(m); return nil } }

// newFirst gives priority to those who have not spoken yet.
func newFirst(a *Assembly) error { return a.SetRules(fac, Rules{NotYetSpokenFirst: true}) }

// The queue goes by person where the room knows one (a personal link on
// several devices), by device otherwise: one person holds one place,
// lowered, run by the facilitator and ended from any of their devices,
// and has spoken if any of them did. It went by device, so Ana's phone
// and laptop held two places, she counted as a first-time speaker on
// the laptop after speaking from the phone, and a call of her laptop
// left the hand of her phone in the queue.
func TestAPersonHoldsOnePlaceInTheQueue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		steps   []step
		queue   []string // entry ids, in order
		speaker string   // "" for none
		spoken  []string // the entries known to have spoken
	}{{
		name:  "a second device's hand is the person's place, the device asking last gets the floor",
		steps: []step{raise(phone, false), raise(ben, false), raise(laptop, false)},
		queue: []string{"l", "b"},
	}, {
		name:    "the device asking last gets the floor when the person's turn comes",
		steps:   []step{raise(phone, false), raise(ben, false), raise(laptop, false), next},
		queue:   []string{"b"},
		speaker: "l",
	}, {
		name:  "lowered from the other device",
		steps: []step{raise(phone, false), raise(ben, false), lower(laptop)},
		queue: []string{"b"},
	}, {
		name:  "a direct response from the other device takes a new place, as on one device",
		steps: []step{raise(ben, true), raise(phone, false), raise(cleo, false), raise(laptop, true)},
		queue: []string{"b", "l", "c"},
	}, {
		name:  "anonymous devices are each a person",
		steps: []step{raise(ana, false), raise(Member{ID: "a2", Name: "Ana"}, false)},
		queue: []string{"a", "a2"},
	}, {
		name:    "spoken on the phone counts on the laptop",
		steps:   []step{raise(phone, false), next, newFirst, raise(laptop, false), raise(ben, false)},
		queue:   []string{"b", "l"},
		speaker: "p",
		spoken:  []string{"l"},
	}, {
		name:  "the speaker ends their turn from another device",
		steps: []step{raise(phone, false), next, func(a *Assembly) error { return a.FinishTurn(laptop, t0) }},
	}, {
		name:    "the facilitator calls the other device: the person's hand is lowered",
		steps:   []step{raise(phone, false), raise(ben, false), func(a *Assembly) error { return a.Call(fac, laptop, t0) }},
		queue:   []string{"b"},
		speaker: "l",
	}, {
		name:  "the facilitator removes the person's hand naming the other device",
		steps: []step{raise(phone, false), raise(ben, false), func(a *Assembly) error { return a.RemoveFromQueue(fac, laptop) }},
		queue: []string{"b"},
	}, {
		name:  "the facilitator moves the person's hand naming the other device",
		steps: []step{raise(ben, false), raise(phone, false), func(a *Assembly) error { return a.MoveInQueue(fac, laptop, 0) }},
		queue: []string{"p", "b"},
	}, {
		name:   "a person who spoke is still known to when the phone leaves and a viewer device stays",
		steps:  []step{raise(phone, false), next, leave(phone, "", true), newFirst, raise(laptop, false), raise(ben, false)},
		queue:  []string{"b", "l"},
		spoken: []string{"l"},
	}, {
		name: "a person who spoke, left with every device and came back has spoken",
		steps: []step{raise(phone, false), next, leave(phone, laptop.ID, true), leave(laptop, "", false),
			arrive(tablet), newFirst, raise(tablet, false), raise(ben, false)},
		queue:  []string{"b", "t"},
		spoken: []string{"t"},
	}, {
		name: "a participant without a personal link who comes back is someone new",
		steps: []step{raise(ana, false), next, leave(ana, "", false), newFirst,
			raise(ben, false), raise(Member{ID: "a2", Name: "Ana"}, false)},
		queue: []string{"b", "a2"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var a Assembly
			for i, s := range tc.steps {
				if err := s(&a); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			q := a.Queue(t0)
			wantOrder(t, &a, tc.queue...)
			speaker := ""
			if q.Speaker != nil {
				speaker = q.Speaker.ID
			}
			if speaker != tc.speaker {
				t.Errorf("speaker %q, want %q", speaker, tc.speaker)
			}
			for _, e := range q.Entries {
				if e.Spoken != slices.Contains(tc.spoken, e.ID) {
					t.Errorf("%s known to have spoken: %v", e.ID, e.Spoken)
				}
			}
		})
	}
}

// Each device of a person is sent the queue with the person's hand and
// turn marked Mine, whichever device raised or holds it; nobody else's.
func TestEachDeviceOfAPersonSeesTheirHandAndTurnAsTheirOwn(t *testing.T) {
	var a Assembly
	must(t, a.RaiseHand(phone, false))
	must(t, a.RaiseHand(ben, false))
	must(t, a.Call(fac, phone, t0))
	must(t, a.RaiseHand(phone, false))
	q := a.Queue(t0)
	for _, tc := range []struct {
		who     Member
		entries []bool
		floor   bool
	}{
		{phone, []bool{false, true}, true},
		{laptop, []bool{false, true}, true},
		{ben, []bool{true, false}, false},
		{cleo, []bool{false, false}, false},
	} {
		s := q.For(tc.who)
		var mine []bool
		for _, e := range s.Entries {
			mine = append(mine, e.Mine)
		}
		if !slices.Equal(mine, tc.entries) || s.Speaker.Mine != tc.floor {
			t.Errorf("%s: entries mine %v, floor mine %v; want %v, %v", tc.who.ID, mine, s.Speaker.Mine, tc.entries, tc.floor)
		}
	}
	if q.Entries[1].Mine || q.Speaker.Mine {
		t.Fatal("For changed the state it was given")
	}
}

// Each device of a person is sent the person's ballot as Mine, while
// the vote is open, whichever device cast it, and the proposal again
// when any of them changes it; nobody else is sent it, or told of the
// change.
func TestEachDeviceOfAPersonIsSentTheirBallot(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Q", Kind: Consent, Secret: true})
	must(t, a.Vote(phone, id, ConsentBlock, "no reserve"))
	must(t, a.Vote(ben, id, ConsentAgree, ""))
	_, _, ps, voted := a.Changes(t0)
	block := MyBallot{Choice: ConsentBlock, Reason: "no reserve"}
	for _, tc := range []struct {
		who  Member
		mine *MyBallot
	}{{phone, &block}, {laptop, &block}, {ben, &MyBallot{Choice: ConsentAgree}}, {cleo, nil}, {fac, nil}} {
		got := a.ProposalsFor(tc.who, ps, voted)
		if len(got) != 1 || !reflect.DeepEqual(got[0].Mine, tc.mine) {
			t.Errorf("%s is sent %+v, want one proposal with %+v", tc.who.ID, got, tc.mine)
		}
	}
	if ps[0].Mine != nil {
		t.Fatal("ProposalsFor changed the states it was given")
	}

	// Changed on the phone: no new voter, so news for Ana's devices only.
	must(t, a.Vote(phone, id, ConsentStandAside, ""))
	if !a.Changed() {
		t.Fatal("a changed ballot is no news to its person's devices")
	}
	_, _, ps, voted = a.Changes(t0)
	for _, who := range []Member{phone, laptop} {
		if got := a.ProposalsFor(who, ps, voted); len(got) != 1 || *got[0].Mine != (MyBallot{Choice: ConsentStandAside}) {
			t.Errorf("%s is sent %+v", who.ID, got)
		}
	}
	for _, who := range []Member{ben, cleo, fac} {
		if got := a.ProposalsFor(who, ps, voted); len(got) != 0 {
			t.Errorf("%s is told of Ana's changed ballot: %+v", who.ID, got)
		}
	}
	if p := closed(t, &a, id); a.ProposalsFor(phone, []ProposalState{p}, nil)[0].Mine != nil {
		t.Fatal("a counted secret ballot is still sent")
	}
}

// The minutes number each turn's person: Ana's turns on her phone and
// her laptop bear one number, so that her time with the floor adds up
// as one speaker's; each device without a personal link is its own.
// They bore only the device's id, and Ana came twice in the time each
// speaker had the floor.
func TestTheMinutesNumberTheTurnsOfEachPerson(t *testing.T) {
	var a Assembly
	for _, m := range []Member{phone, ben, laptop, ana, {ID: "a2", Name: "Ana"}, phone} {
		must(t, a.Call(fac, m, t0))
	}
	rec, err := a.Minutes(fac, t0)
	must(t, err)
	var got []string
	for _, turn := range rec.Turns {
		got = append(got, fmt.Sprint(turn.ID, ":", turn.Speaker))
	}
	if want := []string{"p:1", "b:2", "l:1", "a:3", "a2:4", "p:1"}; !slices.Equal(got, want) {
		t.Fatalf("turns (id:speaker) %v, want %v", got, want)
	}
	if a.queue.turns[0].Speaker != 0 {
		t.Fatal("Minutes numbered the turns the assembly keeps")
	}
}

// Ana's ballot cast again on her laptop, or kept by it when the phone
// that cast it leaves, stays for the others as it was: one voter, the
// phone, and nothing to tell them; at the close, one entry in who chose
// what, with her last choice. The entry went over to the laptop, which
// told everybody that Ana had changed her ballot, and that the two
// devices were one person.
func TestABallotCastAgainOnAnotherDeviceShowsNothingToTheOthers(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Q", Kind: YesNo})
	must(t, a.Vote(phone, id, 0, ""))
	must(t, a.Vote(ben, id, 1, ""))
	a.Changes(t0)
	must(t, a.Vote(laptop, id, 1, ""))
	_, _, ps, voted := a.Changes(t0)
	if len(ps) != 0 || len(a.ProposalsFor(ben, ps, voted)) != 0 {
		t.Fatalf("the others are told of Ana's ballot cast again: %+v", ps)
	}
	if got := a.ProposalsFor(phone, ps, voted); len(got) != 1 || *got[0].Mine != (MyBallot{Choice: 1}) {
		t.Fatalf("Ana's phone is sent %+v, want her ballot cast on the laptop", got)
	}
	a.Left(phone, laptop.ID, true, t0)
	if a.Changed() {
		t.Fatal("the others are told that the phone's ballot went to the laptop")
	}
	p := closed(t, &a, id)
	want := []Ballot{{ID: phone.ID, Name: "Ana", Choice: 1}, {ID: ben.ID, Name: "Ben", Choice: 1}}
	if !slices.Equal(p.Result.Votes, want) || !slices.Equal(p.Voters, []string{phone.ID, ben.ID}) {
		t.Fatalf("votes %+v, voters %v; want %+v", p.Result.Votes, p.Voters, want)
	}
	// The laptop leaving now takes the ballot away, as the phone would.
	id = open(t, &a, Draft{Question: "Q2", Kind: YesNo})
	must(t, a.Vote(laptop, id, 0, ""))
	a.Left(laptop, "", false, t0)
	if p := closed(t, &a, id); len(p.Voters) != 0 || p.Result.Ballots != 0 {
		t.Fatalf("a ballot of someone gone is counted: %+v", p)
	}
}
