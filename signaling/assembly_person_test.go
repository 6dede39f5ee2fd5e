package signaling_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/signaling/client"
)

// benAndAnaOnTwoDevices joins a facilitator, Ben, then Ana with her
// personal link (one that names her) on her phone and her laptop; link
// lets her come on more.
func benAndAnaOnTwoDevices(t *testing.T) (s *accessServer, fac, ben *client.Client, link string, phone, laptop *client.Client) {
	t.Helper()
	s = startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ben")
	link = s.link(t, "assembly", "participant", "Ana")
	phone = s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	laptop = s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	return s, fac, o[0], link, phone, laptop
}

// mineAt reports which entries of the queue c was last sent are marked
// its own, and whether the floor is.
func mineAt(c *client.Client) (entries []bool, floor bool) {
	q := c.Queue()
	for _, e := range q.Entries {
		entries = append(entries, e.Mine)
	}
	return entries, q.Speaker != nil && q.Speaker.Mine
}

// Ana on her phone and her laptop, with her personal link, is one person
// in the speaking queue: her second hand is her first one's place, which
// both devices are sent as their own, the device that asked last gets
// the floor, either device ends her turn, and either lowers her hand.
// The queue went by connection: she held two places, one ahead of Ben
// and one behind him, and the laptop showed her hand as not raised.
func TestTwoSessionsOfAPersonHoldOnePlaceInTheQueue(t *testing.T) {
	_, fac, ben, _, phone, laptop := benAndAnaOnTwoDevices(t)
	all := []*client.Client{fac, ben, phone, laptop}
	raiseHands(t, all, phone, ben)

	must(t, laptop.RaiseHand(true, false))
	seeQueue(t, []string{laptop.ID(), ben.ID()}, all...)
	for _, tc := range []struct {
		c    *client.Client
		mine []bool
	}{{phone, []bool{true, false}}, {laptop, []bool{true, false}}, {ben, []bool{false, true}}, {fac, []bool{false, false}}} {
		if mine, _ := mineAt(tc.c); !slices.Equal(mine, tc.mine) {
			t.Errorf("%s sees as its own %v, want %v", tc.c.ID(), mine, tc.mine)
		}
	}

	must(t, fac.QueueAct("queue-next", ""))
	waitFor(t, "Ana has the floor on the laptop, hers on the phone too", func() bool {
		sp := ben.Queue().Speaker
		_, phoneFloor := mineAt(phone)
		return sp != nil && sp.ID == laptop.ID() && phoneFloor
	})
	must(t, phone.QueueAct("queue-finish", ""))
	waitFor(t, "Ana ended her turn from the phone", func() bool { return fac.Queue().Speaker == nil })

	must(t, phone.RaiseHand(true, false))
	seeQueue(t, []string{ben.ID(), phone.ID()}, all...)
	if q := ben.Queue(); !q.Entries[1].Spoken {
		t.Errorf("Ana, who spoke on the laptop, is not known to have spoken on the phone: %+v", q.Entries)
	}
	must(t, laptop.RaiseHand(false, false))
	seeQueue(t, []string{ben.ID()}, all...)
	for _, c := range all {
		if err := c.Err(); err != nil {
			t.Fatalf("%s's session ended: %v", c.ID(), err)
		}
	}
}

// Ana casts a secret ballot on her phone: her laptop is sent it (mine,
// choice and reason) and shows it, changed when she changes it there;
// a tablet she joins with later finds it too. Nobody else is sent
// anything of it, the facilitator included, and after the close nobody
// is, Ana neither: Ben, who did not vote, is sent no ballot at all, and
// the facilitator only her own. Ballots were sent to nobody, so the
// laptop knew nothing of the ballot its person had cast.
func TestEachDeviceOfAPersonIsSentTheirBallotAndNobodyElse(t *testing.T) {
	s, fac, ben, link, phone, laptop := benAndAnaOnTwoDevices(t)
	must(t, fac.OpenProposal("Adopt the budget?", assembly.Consent, nil, true))
	proposalAt(t, laptop, 1, "the laptop sees the round", func(p assembly.ProposalState) bool { return p.Open })
	must(t, fac.Vote(1, assembly.ConsentAgree, ""))
	must(t, phone.Vote(1, assembly.ConsentBlock, "no reserve"))
	block := assembly.MyBallot{Choice: assembly.ConsentBlock, Reason: "no reserve"}
	for _, c := range []*client.Client{phone, laptop} {
		proposalAt(t, c, 1, "Ana's block at "+c.ID(), hasMine(block))
	}
	tablet := s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	proposalAt(t, tablet, 1, "Ana's block at the tablet she came with", hasMine(block))

	must(t, phone.Vote(1, assembly.ConsentStandAside, "")) // a changed ballot: no new voter
	aside := assembly.MyBallot{Choice: assembly.ConsentStandAside}
	for _, c := range []*client.Client{phone, laptop, tablet} {
		proposalAt(t, c, 1, "Ana's changed ballot at "+c.ID(), hasMine(aside))
	}
	must(t, fac.CloseProposal(1))
	for _, c := range []*client.Client{phone, laptop, tablet} {
		if p := proposalAt(t, c, 1, "the result at "+c.ID(), isClosed); p.Mine != nil {
			t.Errorf("%s is sent Ana's secret ballot after the close: %+v", c.ID(), p.Mine)
		}
	}
	must(t, ben.Ping())
	must(t, fac.Ping())
	for _, c := range []*client.Client{fac, ben} {
		for _, msg := range c.Recorded() {
			if msg.Type != "proposal" {
				continue
			}
			var m struct{ Proposal assembly.ProposalState }
			must(t, json.Unmarshal(msg.Raw, &m))
			if mine := m.Proposal.Mine; mine != nil && (c == ben || *mine != assembly.MyBallot{Choice: assembly.ConsentAgree}) {
				t.Errorf("%s was sent a ballot not its own: %s", c.ID(), msg.Raw)
			}
		}
	}
	if p, _ := laptop.Proposal(1); !slices.Equal(p.Result.Totals, []int{1, 1, 0}) {
		t.Fatalf("result %+v: want Fay's agree and Ana's stand aside", p.Result)
	}
}

// hasMine tells a proposal that is open with want as the ballot of the
// one it is sent to.
func hasMine(want assembly.MyBallot) func(assembly.ProposalState) bool {
	return func(p assembly.ProposalState) bool { return p.Open && p.Mine != nil && *p.Mine == want }
}

// Ana, with her personal link, has the floor on her phone, then leaves
// (the phone was her only device) and comes back on her laptop in the
// same meeting: she has spoken, so with priority to those who have not
// she goes after Ben, who raised his hand after her. She counted as a
// first-time speaker again: who had spoken was forgotten with the
// person's last device.
func TestAPersonWhoSpokeAndComesBackHasSpoken(t *testing.T) {
	s := startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ben")
	ben := o[0]
	link := s.link(t, "assembly", "participant", "Ana")
	phone := s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	must(t, phone.RaiseHand(true, false))
	seeQueue(t, []string{phone.ID()}, fac)
	must(t, fac.QueueAct("queue-next", ""))
	waitFor(t, "Ana has the floor", func() bool { sp := fac.Queue().Speaker; return sp != nil && sp.ID == phone.ID() })
	phone.Leave()
	waitFor(t, "Ana has left", func() bool { return slices.Contains(fac.Departures(), phone.ID()) })

	laptop := s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	must(t, fac.SetQueueRules(true, 0))
	waitFor(t, "the rule is on", func() bool { return ben.Queue().NotYetSpokenFirst })
	all := []*client.Client{fac, ben, laptop}
	raiseHands(t, all, laptop)
	must(t, ben.RaiseHand(true, false))
	seeQueue(t, []string{ben.ID(), laptop.ID()}, all...)
	if q := fac.Queue(); !q.Entries[1].Spoken || q.Entries[0].Spoken {
		t.Fatalf("entries %+v: want Ana known to have spoken, Ben not", q.Entries)
	}
}
