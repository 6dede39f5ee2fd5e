package signaling_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// assemblyRoom joins a facilitator (the first comer moderates) and
// participants to room, none publishing: the assembly needs no media.
func assemblyRoom(t *testing.T, s *accessServer, room string, names ...string) (fac *client.Client, others []*client.Client) {
	t.Helper()
	fac = s.dial(t, client.Config{Room: room, Name: "Fay", Record: true})
	for _, n := range names {
		others = append(others, s.dial(t, client.Config{Room: room, Name: n, Record: true}))
	}
	return fac, others
}

func queueIDs(c *client.Client) []string {
	var ids []string
	for _, e := range c.Queue().Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

// seeQueue waits until every client sees the queue in order want.
func seeQueue(t *testing.T, want []string, clients ...*client.Client) {
	t.Helper()
	for _, c := range clients {
		waitFor(t, "queue "+strings.Join(want, ",")+" at "+c.ID(), func() bool { return slices.Equal(queueIDs(c), want) })
	}
}

// raiseHands raises the hands of hands in turn, into a queue empty
// before, each once all see the one before: the queue is in their order.
func raiseHands(t *testing.T, all []*client.Client, hands ...*client.Client) {
	t.Helper()
	var want []string
	for _, c := range hands {
		must(t, c.RaiseHand(true, false))
		want = append(want, c.ID())
		seeQueue(t, want, all...)
	}
}

// refused waits until c's latest refusal is of request with code.
func refusedWith(t *testing.T, c *client.Client, request, code string) {
	t.Helper()
	waitFor(t, request+" refused with "+code, func() bool {
		r := c.Refusals()
		return len(r) > 0 && r[len(r)-1].Request == request && r[len(r)-1].Code == code
	})
}

// proposalAt waits until c sees proposal id satisfy cond, and returns it.
func proposalAt(t *testing.T, c *client.Client, id int, what string, cond func(assembly.ProposalState) bool) assembly.ProposalState {
	t.Helper()
	var p assembly.ProposalState
	waitFor(t, what, func() bool {
		var ok bool
		p, ok = c.Proposal(id)
		return ok && cond(p)
	})
	return p
}

func isClosed(p assembly.ProposalState) bool { return !p.Open && p.Result != nil }

func TestSpeakingQueueOrderWithDirectResponsesAndPriority(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ana", "Ben", "Cleo")
	ana, ben, cleo := o[0], o[1], o[2]
	all := []*client.Client{fac, ana, ben, cleo}

	// Ana speaks once.
	must(t, ana.RaiseHand(true, false))
	seeQueue(t, []string{ana.ID()}, all...)
	must(t, fac.QueueAct("queue-next", ""))
	waitFor(t, "Ana has the floor", func() bool { sp := ben.Queue().Speaker; return sp != nil && sp.ID == ana.ID() })

	// Ana asks again, then Ben; Cleo's direct response goes first.
	raiseHands(t, all, ana, ben)
	must(t, cleo.RaiseHand(true, true))
	seeQueue(t, []string{cleo.ID(), ana.ID(), ben.ID()}, all...)

	// Not-yet-spoken first: Ben before Ana, who has spoken.
	must(t, fac.SetQueueRules(true, 90*time.Second))
	seeQueue(t, []string{cleo.ID(), ben.ID(), ana.ID()}, all...)
	if q := ana.Queue(); !q.NotYetSpokenFirst || q.Seconds != 90 || !q.Entries[2].Spoken || q.Entries[1].Spoken {
		t.Fatalf("rules or spoken flags wrong: %+v", q)
	}

	// A participant may not run the queue; the refusal ends nothing.
	must(t, ben.QueueAct("queue-next", ""))
	refusedWith(t, ben, "queue-next", "forbidden")
	must(t, ben.MoveInQueue(ben.ID(), 0))
	refusedWith(t, ben, "queue-move", "forbidden")
	seeQueue(t, []string{cleo.ID(), ben.ID(), ana.ID()}, all...)

	// The facilitator reorders, calls the next speaker with a timer.
	must(t, fac.MoveInQueue(ana.ID(), 1))
	seeQueue(t, []string{cleo.ID(), ana.ID(), ben.ID()}, all...)
	must(t, fac.QueueAct("queue-next", ""))
	seeQueue(t, []string{ana.ID(), ben.ID()}, all...)
	sp := ben.Queue().Speaker
	if sp == nil || sp.ID != cleo.ID() || sp.Name != "Cleo" || sp.Seconds != 90 {
		t.Fatalf("speaker %+v, want Cleo with 90 s", sp)
	}
	// Ben lowers his hand; the facilitator removes Ana's.
	must(t, ben.RaiseHand(false, false))
	must(t, fac.QueueAct("queue-remove", ana.ID()))
	seeQueue(t, nil, all...)
	// Cleo ends her own turn.
	must(t, cleo.QueueAct("queue-finish", ""))
	waitFor(t, "Cleo's turn ended", func() bool { return ana.Queue().Speaker == nil })

	// Someone who leaves leaves the queue.
	must(t, ben.RaiseHand(true, false))
	seeQueue(t, []string{ben.ID()}, fac, ana)
	ben.Leave()
	seeQueue(t, nil, fac, ana)
	for _, c := range []*client.Client{fac, ana, cleo} {
		if err := c.Err(); err != nil {
			t.Fatalf("%s's session ended: %v", c.ID(), err)
		}
	}
}

// A chair gives the floor to someone present who has not raised a hand
// ("Maria, you wanted to add something?"). The server refused it
// (not-in-queue): the chair had to ask her to raise her hand first, in
// the middle of the meeting. Only someone who may speak is called: a
// viewer, or someone not there, is refused, and only by the facilitator.
func TestTheFacilitatorGivesTheFloorToSomeoneWhoDidNotAsk(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Maria", "Ben")
	maria, ben := o[0], o[1]
	vic := s.dial(t, client.Config{Room: "assembly", Name: "Vic", Token: s.link(t, "assembly", "viewer", "")})
	all := []*client.Client{fac, maria, ben}
	raiseHands(t, all, ben)

	must(t, fac.QueueAct("queue-call", maria.ID()))
	waitFor(t, "Maria has the floor", func() bool {
		sp := ben.Queue().Speaker
		return sp != nil && sp.ID == maria.ID() && sp.Name == "Maria"
	})
	seeQueue(t, []string{ben.ID()}, all...) // Ben keeps his place

	must(t, fac.QueueAct("queue-call", vic.ID()))
	refusedWith(t, fac, "queue-call", "viewer")
	must(t, fac.QueueAct("queue-call", "nobody"))
	refusedWith(t, fac, "queue-call", "not-present")
	must(t, ben.QueueAct("queue-call", ben.ID()))
	refusedWith(t, ben, "queue-call", "forbidden")
	must(t, fac.Ping())
	if sp := fac.Queue().Speaker; sp == nil || sp.ID != maria.ID() {
		t.Fatalf("after the refused calls the floor is %+v, want Maria's", sp)
	}
}

func TestVotingTwiceCountsOneBallotTheLastOne(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ana", "Ben")
	ana, ben := o[0], o[1]
	must(t, fac.OpenProposal("Buy a kettle?", assembly.YesNo, nil, false))
	proposalAt(t, ana, 1, "Ana sees the proposal", func(p assembly.ProposalState) bool { return p.Open })
	must(t, ana.Vote(1, 0, ""))
	must(t, ana.Vote(1, 0, ""))
	must(t, ana.Vote(1, 1, "")) // changed her mind: no
	must(t, ana.Ping())         // all three handled, before Ben's
	must(t, ben.Vote(1, 0, ""))
	proposalAt(t, fac, 1, "two voters", func(p assembly.ProposalState) bool { return len(p.Voters) == 2 })
	must(t, fac.CloseProposal(1))
	for _, c := range []*client.Client{fac, ana, ben} {
		p := proposalAt(t, c, 1, "result at "+c.ID(), isClosed)
		if !slices.Equal(p.Result.Totals, []int{1, 1, 0}) || p.Result.Ballots != 2 || p.Result.Outcome != assembly.OutcomeRejected {
			t.Fatalf("result %+v, want yes 1, no 1 (Ana's last ballot)", p.Result)
		}
		if !slices.Equal(p.Voters, []string{ana.ID(), ben.ID()}) {
			t.Fatalf("voters %v", p.Voters)
		}
		// An open ballot shows names once closed.
		if len(p.Result.Votes) != 2 || p.Result.Votes[0].Name != "Ana" || p.Result.Votes[0].Choice != 1 {
			t.Fatalf("open ballots %+v", p.Result.Votes)
		}
	}
	// After the close, a ballot is refused.
	must(t, ana.Vote(1, 0, ""))
	refusedWith(t, ana, "vote", "proposal-closed")
}

func TestSecretBallotRevealsNoChoiceToAnyClient(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ana", "Ben", "Cleo")
	ana, ben, cleo := o[0], o[1], o[2]
	all := []*client.Client{fac, ana, ben, cleo}
	must(t, fac.OpenProposal("Adopt the budget?", assembly.Consent, nil, true))
	proposalAt(t, cleo, 1, "Cleo sees the round", func(p assembly.ProposalState) bool { return p.Open })
	must(t, ana.Vote(1, assembly.ConsentAgree, ""))
	must(t, ben.Vote(1, assembly.ConsentBlock, "it leaves no reserve"))
	must(t, cleo.Vote(1, assembly.ConsentStandAside, ""))
	must(t, cleo.Vote(1, assembly.ConsentAgree, "")) // changed
	must(t, fac.Vote(1, assembly.ConsentStandAside, "I drafted it"))
	proposalAt(t, fac, 1, "four voters", func(p assembly.ProposalState) bool { return len(p.Voters) == 4 })
	must(t, cleo.Ping())
	must(t, fac.CloseProposal(1))
	for _, c := range all {
		p := proposalAt(t, c, 1, "result at "+c.ID(), isClosed)
		r := p.Result
		if !slices.Equal(r.Totals, []int{2, 1, 1}) || r.Outcome != assembly.OutcomeBlocked || r.Votes != nil {
			t.Fatalf("result %+v, want totals 2 1 1, blocked, no ballots", r)
		}
		if len(r.Reasons) != 2 || r.Reasons[0].Text != "it leaves no reserve" {
			t.Fatalf("reasons %+v", r.Reasons)
		}
	}
	must(t, fac.RequestMinutes())
	waitFor(t, "minutes", func() bool { return len(fac.Minutes()) == 1 })

	// No message to anybody, the facilitator included, ties a voter to
	// a choice: no ballot list, and a choice appears only beside a
	// reason's text, never beside an id or a name.
	ids := map[string]bool{}
	for _, c := range all {
		ids[c.ID()] = true
	}
	for _, c := range all {
		for _, msg := range c.Recorded() {
			raw := msg.Raw
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			if where := tiesVoterToChoice(v, ids); where != "" {
				t.Fatalf("%s received a choice beside a voter (%s) in %s", c.ID(), where, raw)
			}
		}
	}
}

// tiesVoterToChoice walks a decoded message and reports an object that
// holds a choice (or a list of votes) beside anything naming a
// participant.
func tiesVoterToChoice(v any, ids map[string]bool) string {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["votes"]; ok {
			return "votes"
		}
		for k := range x {
			if ids[k] {
				return "keyed by " + k
			}
		}
		if _, ok := x["choice"]; ok {
			for k, val := range x {
				if s, ok := val.(string); ok && k != "text" && (ids[s] || k == "name" || k == "id") {
					return k
				}
			}
		}
		for _, val := range x {
			if w := tiesVoterToChoice(val, ids); w != "" {
				return w
			}
		}
	case []any:
		for _, val := range x {
			if w := tiesVoterToChoice(val, ids); w != "" {
				return w
			}
		}
	}
	return ""
}

func TestLeakDetectorCatchesLeaks(t *testing.T) {
	ids := map[string]bool{"p1": true}
	for _, leak := range []string{
		`{"result":{"votes":[]}}`,
		`{"proposal":{"ballots":{"p1":2}}}`,
		`{"x":[{"voter":"p1","choice":0}]}`,
		`{"x":[{"name":"Ana","choice":0}]}`,
	} {
		var v any
		_ = json.Unmarshal([]byte(leak), &v)
		if tiesVoterToChoice(v, ids) == "" {
			t.Errorf("%s not caught", leak)
		}
	}
	var v any
	_ = json.Unmarshal([]byte(`{"voters":["p1"],"result":{"totals":[1],"reasons":[{"choice":2,"text":"no"}]}}`), &v)
	if w := tiesVoterToChoice(v, ids); w != "" {
		t.Errorf("a secret result flagged: %s", w)
	}
}

func TestBlockWithoutReasonIsRefused(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ana")
	ana := o[0]
	must(t, fac.OpenProposal("Adopt the agenda?", assembly.Consent, nil, false))
	proposalAt(t, ana, 1, "Ana sees the round", func(p assembly.ProposalState) bool { return p.Open })
	must(t, ana.Vote(1, assembly.ConsentBlock, "   "))
	refusedWith(t, ana, "vote", "reason-required")
	must(t, ana.Ping())
	if p, _ := fac.Proposal(1); len(p.Voters) != 0 {
		t.Fatalf("a block without a reason counted: voters %v", p.Voters)
	}
	must(t, ana.Vote(1, assembly.ConsentBlock, "item 3 is missing"))
	proposalAt(t, fac, 1, "Ana's block counted", func(p assembly.ProposalState) bool { return len(p.Voters) == 1 })
	if err := ana.Err(); err != nil {
		t.Fatalf("a refusal ended the session: %v", err)
	}
}

func TestViewerCannotVoteNorRaiseAHand(t *testing.T) {
	s := startAccess(t, nil)
	fac, _ := assemblyRoom(t, s, "assembly")
	vic := s.dial(t, client.Config{Room: "assembly", Name: "Vic", Token: s.link(t, "assembly", "viewer", "")})
	must(t, fac.OpenProposal("Adopt?", assembly.YesNo, nil, false))
	proposalAt(t, vic, 1, "the viewer sees the proposal", func(p assembly.ProposalState) bool { return p.Open })
	must(t, vic.Vote(1, 0, ""))
	refusedWith(t, vic, "vote", "viewer")
	must(t, vic.RaiseHand(true, false))
	refusedWith(t, vic, "hand", "viewer")
	must(t, fac.CloseProposal(1))
	p := proposalAt(t, vic, 1, "the viewer sees the result", isClosed)
	if p.Result.Ballots != 0 || len(p.Voters) != 0 || len(vic.Queue().Entries) != 0 {
		t.Fatalf("the viewer's ballot or hand counted: %+v, queue %+v", p, vic.Queue())
	}
}

func TestMinutesExportHoldsTheDecisions(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ana", "Ben")
	ana, ben := o[0], o[1]
	must(t, ana.RaiseHand(true, false))
	seeQueue(t, []string{ana.ID()}, fac)
	must(t, fac.QueueAct("queue-next", ""))
	must(t, fac.OpenProposal("Meet on Tuesdays or Thursdays?", assembly.Choice, []string{"Tuesday", "Thursday"}, false))
	proposalAt(t, ben, 1, "Ben sees the choice", func(p assembly.ProposalState) bool { return p.Open })
	must(t, ana.Vote(1, 1, ""))
	must(t, ben.Vote(1, 1, ""))
	proposalAt(t, fac, 1, "two voters", func(p assembly.ProposalState) bool { return len(p.Voters) == 2 })
	must(t, fac.CloseProposal(1))
	must(t, fac.OpenProposal("Adopt the minutes of March?", assembly.Consent, nil, true))
	proposalAt(t, fac, 2, "the second proposal", func(p assembly.ProposalState) bool { return p.Open })
	must(t, ana.Vote(2, assembly.ConsentAgree, ""))
	proposalAt(t, fac, 2, "one voter", func(p assembly.ProposalState) bool { return len(p.Voters) == 1 })
	must(t, fac.CloseProposal(2))
	must(t, fac.OpenProposal("Still open", assembly.YesNo, nil, false))

	must(t, ana.RequestMinutes())
	refusedWith(t, ana, "minutes", "forbidden")
	must(t, fac.RequestMinutes())
	waitFor(t, "minutes", func() bool { return len(fac.Minutes()) == 1 })
	m := fac.Minutes()[0]
	if len(m.Decisions) != 2 {
		t.Fatalf("decisions %+v, want the two closed ones", m.Decisions)
	}
	d := m.Decisions[0]
	if d.Question != "Meet on Tuesdays or Thursdays?" || d.Kind != assembly.Choice || d.Result.Outcome != assembly.OutcomeChosen ||
		d.Result.Winner != 1 || !slices.Equal(d.Result.Totals, []int{0, 2}) || d.Opened.IsZero() || d.Closed.IsZero() {
		t.Fatalf("first decision %+v %+v", d, d.Result)
	}
	if d := m.Decisions[1]; d.Result.Outcome != assembly.OutcomeConsented || !d.Secret || d.Result.Votes != nil {
		t.Fatalf("second decision %+v %+v", d, d.Result)
	}
	if len(m.Turns) != 1 || m.Turns[0].Name != "Ana" {
		t.Fatalf("speaking order %+v", m.Turns)
	}
}

func TestRequestsForTheMinutesAreLimitedButTheSessionGoesOn(t *testing.T) {
	s := startAccess(t, nil)
	fac, _ := assemblyRoom(t, s, "assembly")
	const sent = 10
	for range sent {
		must(t, fac.RequestMinutes())
	}
	// Two in a row are answered, then one every five seconds.
	refusedPastTheBurst(t, fac, signaling.TypeMinutes, sent-3)
	if n := len(fac.Minutes()); n < 1 || n > 3 {
		t.Fatalf("%d requests for the minutes answered of %d sent at once", n, sent)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// anaOnTwoDevices joins a facilitator, then Ana with her personal link
// (one that names her) on her phone and her laptop, and puts proposal 1,
// a yes-no one, that both devices see open.
func anaOnTwoDevices(t *testing.T) (fac, phone, laptop *client.Client) {
	t.Helper()
	s := startAccess(t, nil)
	fac, _ = assemblyRoom(t, s, "assembly")
	link := s.link(t, "assembly", "participant", "Ana")
	phone = s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	laptop = s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	must(t, fac.OpenProposal("Strike on Monday?", assembly.YesNo, nil, false))
	for _, c := range []*client.Client{phone, laptop} {
		proposalAt(t, c, 1, c.ID()+" sees the proposal", func(p assembly.ProposalState) bool { return p.Open })
	}
	return fac, phone, laptop
}

// A personal link (one that names its holder) is one person however many
// devices it joins from: one ballot, the last cast, and one entry in the
// voters and in who chose what, under the device that first cast it.
// Cast again from the laptop, it stays as it was for everyone else,
// who is told nothing: the entry went over to the laptop, telling the
// room that Ana had changed her ballot, and that the laptop and the
// phone were one person.
func TestAPersonalLinkOnTwoDevicesHasOneBallot(t *testing.T) {
	fac, phone, laptop := anaOnTwoDevices(t)
	must(t, phone.Vote(1, 0, ""))
	proposalAt(t, fac, 1, "the phone's ballot", func(p assembly.ProposalState) bool { return slices.Equal(p.Voters, []string{phone.ID()}) })
	told := len(proposalsRecorded(t, fac))

	must(t, laptop.Vote(1, 1, ""))
	proposalAt(t, phone, 1, "the laptop's ballot, Ana's, at the phone", hasMine(assembly.MyBallot{Choice: 1}))
	must(t, fac.Ping()) // anything the room was sent of it is in before the pong
	if got := proposalsRecorded(t, fac)[told:]; len(got) != 0 {
		t.Errorf("the facilitator was told of Ana's ballot cast again on her laptop: %+v", got)
	}
	// The phone leaves: the laptop's ballot, the person's, stays.
	phone.Close()
	time.Sleep(300 * time.Millisecond)
	must(t, fac.CloseProposal(1))
	p := proposalAt(t, fac, 1, "the result", isClosed)
	if p.Result.Ballots != 1 || p.Result.Totals[1] != 1 {
		t.Fatalf("one person on two devices: %d ballots, totals %v; want one, the last (no)", p.Result.Ballots, p.Result.Totals)
	}
	if want := []assembly.Ballot{{ID: phone.ID(), Name: "Ana", Choice: 1}}; !slices.Equal(p.Result.Votes, want) || !slices.Equal(p.Voters, []string{phone.ID()}) {
		t.Fatalf("votes %+v, voters %v; want %+v", p.Result.Votes, p.Voters, want)
	}
}

// proposalsRecorded lists the proposals c was sent, in order.
func proposalsRecorded(t *testing.T, c *client.Client) []assembly.ProposalState {
	t.Helper()
	var out []assembly.ProposalState
	for _, msg := range c.Recorded() {
		if msg.Type == "proposal" {
			var m struct{ Proposal assembly.ProposalState }
			must(t, json.Unmarshal(msg.Raw, &m))
			out = append(out, m.Proposal)
		}
	}
	return out
}

// A chair who has put the queue in an order of their own (a point of
// order moved up) and then changes the speaking time keeps that order:
// only a change of who goes first (notYetSpokenFirst) sorts the queue
// again.
func TestChangingTheSpeakingTimeKeepsTheFacilitatorsOrder(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ana", "Ben", "Cleo")
	ana, ben, cleo := o[0], o[1], o[2]
	all := []*client.Client{fac, ana, ben, cleo}
	raiseHands(t, all, ana, ben, cleo)
	must(t, fac.MoveInQueue(cleo.ID(), 0))
	seeQueue(t, []string{cleo.ID(), ana.ID(), ben.ID()}, all...)

	must(t, fac.SetQueueRules(false, 2*time.Minute))
	waitFor(t, "the new speaking time", func() bool { return ana.Queue().Seconds == 120 })
	if got, want := queueIDs(ana), []string{cleo.ID(), ana.ID(), ben.ID()}; !slices.Equal(got, want) {
		t.Fatalf("after a new speaking time the queue is %v, want the facilitator's order %v", got, want)
	}

	// Changing who goes first does sort it again: nobody has spoken, so
	// by arrival.
	must(t, fac.SetQueueRules(true, 2*time.Minute))
	seeQueue(t, []string{ana.ID(), ben.ID(), cleo.ID()}, all...)
}

// A person on two devices with a personal link votes from the phone,
// then the phone leaves: the person is still in the meeting, on the
// laptop, and their ballot stays, the laptop's now. Dropping it would
// lose the vote of someone present, who sees nothing of it on the
// laptop (the ballot was cast elsewhere).
func TestAPersonsBallotStaysWhenTheDeviceThatCastItLeaves(t *testing.T) {
	fac, phone, laptop := anaOnTwoDevices(t)
	must(t, laptop.Vote(1, 1, ""))
	proposalAt(t, fac, 1, "the laptop's ballot", func(p assembly.ProposalState) bool { return slices.Equal(p.Voters, []string{laptop.ID()}) })
	must(t, phone.Vote(1, 0, "")) // changed her mind, on the phone: yes
	proposalAt(t, laptop, 1, "the phone's ballot in its place", hasMine(assembly.MyBallot{Choice: 0}))

	phone.Leave()
	waitFor(t, "the phone has left", func() bool { return slices.Contains(fac.Departures(), phone.ID()) })
	must(t, fac.CloseProposal(1))
	p := proposalAt(t, fac, 1, "the result", isClosed)
	if p.Result.Ballots != 1 || !slices.Equal(p.Result.Totals, []int{1, 0, 0}) || !slices.Equal(p.Voters, []string{laptop.ID()}) {
		t.Fatalf("after the phone left: %d ballots, totals %v, voters %v; want Ana's last ballot (yes), shown as cast first, on the laptop",
			p.Result.Ballots, p.Result.Totals, p.Voters)
	}
}

// The same person's phone is made a viewer (it echoed, say) after it
// cast her ballot: she may still vote, on the laptop, so her ballot
// stays, the laptop's now (the voters still show it as cast), as when
// the phone leaves.
func TestAPersonsBallotStaysWhenTheDeviceThatCastItIsMadeViewer(t *testing.T) {
	fac, phone, laptop := anaOnTwoDevices(t)
	must(t, phone.Vote(1, 0, ""))
	proposalAt(t, fac, 1, "the phone's ballot", func(p assembly.ProposalState) bool { return slices.Equal(p.Voters, []string{phone.ID()}) })

	must(t, fac.SetRole(phone.ID(), sfu.RoleViewer))
	waitFor(t, "the phone is a viewer", func() bool { return phone.Role() == sfu.RoleViewer })
	proposalAt(t, laptop, 1, "Ana's ballot, at the laptop", hasMine(assembly.MyBallot{Choice: 0}))
	must(t, fac.CloseProposal(1))
	p := proposalAt(t, fac, 1, "the result", isClosed)
	if p.Result.Ballots != 1 || !slices.Equal(p.Result.Totals, []int{1, 0, 0}) || !slices.Equal(p.Voters, []string{phone.ID()}) {
		t.Fatalf("after the phone was made viewer: %d ballots, totals %v, voters %v; want Ana's ballot (yes), the laptop's, shown as cast",
			p.Result.Ballots, p.Result.Totals, p.Voters)
	}
}

// A person on two devices with a personal link raises her hand on the
// phone, which then leaves (its battery dies): she is still in the
// meeting, on the laptop, and keeps her place in the queue, the
// laptop's now. It went with the phone, and she was put back behind
// everyone who asked after her. So with the floor: the device that has
// it leaving does not end the person's turn.
func TestAPersonKeepsTheirPlaceWhenTheDeviceThatAskedLeaves(t *testing.T) {
	s, fac, ben, link, phone, laptop := benAndAnaOnTwoDevices(t)
	raiseHands(t, []*client.Client{fac, ben, laptop}, phone, ben)

	phone.Leave()
	seeQueue(t, []string{laptop.ID(), ben.ID()}, fac, ben, laptop)

	tablet := s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	must(t, fac.QueueAct("queue-next", ""))
	waitFor(t, "Ana has the floor, on the laptop", func() bool { sp := fac.Queue().Speaker; return sp != nil && sp.ID == laptop.ID() })
	laptop.Leave()
	waitFor(t, "Ana keeps the floor, on the tablet", func() bool { sp := fac.Queue().Speaker; return sp != nil && sp.ID == tablet.ID() })
	seeQueue(t, []string{ben.ID()}, fac, ben, tablet)
}
