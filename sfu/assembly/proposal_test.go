package assembly

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, a *Assembly, d Draft) int {
	t.Helper()
	id, err := a.OpenProposal(fac, d, t0)
	must(t, err)
	return id
}

func closed(t *testing.T, a *Assembly, id int) ProposalState {
	t.Helper()
	must(t, a.CloseProposal(fac, id, t0.Add(time.Minute)))
	_, _, ps, _ := a.Changes(t0)
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("closing proposal %d reported no change", id)
	return ProposalState{}
}

func TestOutcomes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		draft   Draft
		choices []int
		outcome string
		totals  []int
		winner  int
	}{
		{"yes wins", Draft{Question: "Q", Kind: YesNo}, []int{0, 0, 1, 2}, OutcomeAdopted, []int{2, 1, 1}, -1},
		{"tie rejects", Draft{Question: "Q", Kind: YesNo}, []int{0, 1, 2}, OutcomeRejected, []int{1, 1, 1}, -1},
		{"nobody", Draft{Question: "Q", Kind: YesNo}, nil, OutcomeNone, []int{0, 0, 0}, -1},
		{"consent", Draft{Question: "Q", Kind: Consent}, []int{0, 1, 0}, OutcomeConsented, []int{2, 1, 0}, -1},
		{"choice", Draft{Question: "Q", Kind: Choice, Options: []string{"x", "y", "z"}}, []int{2, 1, 2}, OutcomeChosen, []int{0, 1, 2}, 2},
		{"choice tie", Draft{Question: "Q", Kind: Choice, Options: []string{"x", "y"}}, []int{0, 1}, OutcomeTie, []int{1, 1}, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var a Assembly
			id := open(t, &a, tt.draft)
			for i, c := range tt.choices {
				must(t, a.Vote(Member{ID: string(rune('a' + i)), Name: "x"}, id, c, ""))
			}
			r := closed(t, &a, id).Result
			if r.Outcome != tt.outcome || !slices.Equal(r.Totals, tt.totals) || r.Winner != tt.winner || r.Ballots != len(tt.choices) {
				t.Fatalf("result %+v, want %s %v winner %d", r, tt.outcome, tt.totals, tt.winner)
			}
		})
	}
}

func TestOneBallotPerParticipantChangeableUntilClose(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Buy a kettle?", Kind: YesNo})
	must(t, a.Vote(ana, id, 0, ""))
	must(t, a.Vote(ana, id, 0, "")) // again: still one ballot
	must(t, a.Vote(ana, id, 1, "")) // changed her mind
	must(t, a.Vote(ben, id, 1, ""))
	p := closed(t, &a, id)
	if !slices.Equal(p.Voters, []string{"a", "b"}) || !slices.Equal(p.Result.Totals, []int{0, 2, 0}) || p.Result.Ballots != 2 {
		t.Fatalf("voters %v, result %+v", p.Voters, p.Result)
	}
	if got := p.Result.Votes; len(got) != 2 || got[0].Name != "Ana" || got[0].Choice != 1 {
		t.Fatalf("open ballots %+v", got)
	}
	if err := a.Vote(ana, id, 0, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("vote after close: %v", err)
	}
	if err := a.CloseProposal(fac, id, t0); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
}

func TestConsentBlockNeedsAReason(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Adopt the budget?", Kind: Consent, Secret: true})
	for _, reason := range []string{"", "   ", "\u200b", "\u3164\u0301"} {
		if err := a.Vote(ana, id, ConsentBlock, reason); !errors.Is(err, ErrReasonRequired) {
			t.Fatalf("block with reason %q: %v", reason, err)
		}
	}
	must(t, a.Vote(ana, id, ConsentBlock, " breaks our statutes "))
	must(t, a.Vote(ben, id, ConsentStandAside, "not my field"))
	must(t, a.Vote(cleo, id, ConsentAgree, "ignored? no: kept"))
	r := closed(t, &a, id).Result
	if r.Outcome != OutcomeBlocked || !slices.Equal(r.Totals, []int{1, 1, 1}) {
		t.Fatalf("result %+v", r)
	}
	want := []Reason{{ConsentBlock, "breaks our statutes"}, {ConsentStandAside, "not my field"}, {ConsentAgree, "ignored? no: kept"}}
	if !slices.Equal(r.Reasons, want) {
		t.Fatalf("reasons %+v, want %+v", r.Reasons, want)
	}
}

func TestSecretBallotShowsTotalsOnly(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Elect the treasurer?", Kind: YesNo, Secret: true})
	must(t, a.Vote(ana, id, 0, ""))
	must(t, a.Vote(ben, id, 1, ""))
	must(t, a.Vote(ben, id, 2, "")) // a change shows nothing to anybody
	if _, _, ps, _ := a.Changes(t0); len(ps) != 1 || !slices.Equal(ps[0].Voters, []string{"a", "b"}) || ps[0].Result != nil {
		t.Fatalf("open secret vote shows %+v", ps)
	}
	p := closed(t, &a, id)
	if p.Result.Votes != nil {
		t.Fatalf("secret ballot shows votes %+v", p.Result.Votes)
	}
	data, _ := json.Marshal(p)
	for _, leak := range []string{"Ana", "Ben", `"choice"`} {
		if strings.Contains(string(data), leak) {
			t.Fatalf("secret result %s holds %s", data, leak)
		}
	}
	if a.proposals[0].ballots != nil {
		t.Fatal("choices kept after the count")
	}
}

func TestProposalRules(t *testing.T) {
	var a Assembly
	for _, d := range []Draft{
		{Question: " ", Kind: YesNo},
		{Question: "Q", Kind: "ranked"},
		{Question: "Q", Kind: YesNo, Options: []string{"a", "b"}},
		{Question: "Q", Kind: Choice, Options: []string{"a"}},
		{Question: "Q", Kind: Choice, Options: []string{"a", " a"}},
		{Question: "Q", Kind: Choice, Options: []string{"a", ""}},
		{Question: "Q", Kind: Choice, Options: strings.Split("a b c d e f g h i j k", " ")},
	} {
		if _, err := a.OpenProposal(fac, d, t0); !errors.Is(err, ErrBadProposal) {
			t.Errorf("draft %+v: %v, want bad-proposal", d, err)
		}
	}
	if _, err := a.OpenProposal(ana, Draft{Question: "Q", Kind: YesNo}, t0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("participant opens: %v", err)
	}
	id := open(t, &a, Draft{Question: "Q", Kind: Choice, Options: []string{" x ", "y"}})
	if _, err := a.OpenProposal(fac, Draft{Question: "R", Kind: YesNo}, t0); !errors.Is(err, ErrAlreadyOpen) {
		t.Fatalf("second open proposal: %v", err)
	}
	for _, tt := range []struct {
		m      Member
		id, c  int
		reason string
		want   error
	}{
		{vic, id, 0, "", ErrViewer},
		{ana, id, 2, "", ErrBadChoice},
		{ana, id, -1, "", ErrBadChoice},
		{ana, id + 1, 0, "", ErrNoProposal},
		{ana, 0, 0, "", ErrNoProposal},
	} {
		if err := a.Vote(tt.m, tt.id, tt.c, tt.reason); !errors.Is(err, tt.want) {
			t.Errorf("vote %+v: %v, want %v", tt, err, tt.want)
		}
	}
	if err := a.CloseProposal(ana, id, t0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("participant closes: %v", err)
	}
	p := closed(t, &a, id)
	if p.Options[0] != "x" || p.Result.Outcome != OutcomeNone {
		t.Fatalf("closed %+v", p)
	}
	for range MaxProposals - 1 {
		id := open(t, &a, Draft{Question: "Q", Kind: YesNo})
		must(t, a.CloseProposal(fac, id, t0))
	}
	if _, err := a.OpenProposal(fac, Draft{Question: "Q", Kind: YesNo}, t0); !errors.Is(err, ErrTooMany) {
		t.Fatalf("proposal past the limit: %v", err)
	}
}

func TestLeavingDropsOpenBallots(t *testing.T) {
	var a Assembly
	first := open(t, &a, Draft{Question: "Q", Kind: YesNo})
	must(t, a.Vote(ana, first, 0, ""))
	closed(t, &a, first)
	second := open(t, &a, Draft{Question: "R", Kind: YesNo})
	must(t, a.Vote(ana, second, 0, ""))
	must(t, a.Vote(ben, second, 1, ""))
	a.Left(ana, "", false, t0)
	ps := a.Proposals()
	if ps[0].Result.Ballots != 1 || !slices.Equal(ps[1].Voters, []string{"b"}) {
		t.Fatalf("after Ana left: %+v", ps)
	}
}

func TestMinutesHoldTheDecisions(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Adopt the agenda?", Kind: Consent})
	must(t, a.Vote(ana, id, ConsentAgree, ""))
	closed(t, &a, id)
	open(t, &a, Draft{Question: "Still open", Kind: YesNo})
	must(t, a.RaiseHand(ben, false))
	must(t, a.CallNext(fac, t0))
	m, err := a.Minutes(fac, t0.Add(time.Hour))
	must(t, err)
	if len(m.Decisions) != 1 || m.Decisions[0].Question != "Adopt the agenda?" || m.Decisions[0].Result.Outcome != OutcomeConsented {
		t.Fatalf("decisions %+v", m.Decisions)
	}
	if len(m.Turns) != 1 || m.Turns[0].Name != "Ben" || !m.Turns[0].End.IsZero() {
		t.Fatalf("turns %+v", m.Turns)
	}
}

func TestABallotCastBeforeTheVoterIsMadeViewerIsNotCounted(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Strike?", Kind: YesNo})
	must(t, a.Vote(ana, id, 0, ""))
	must(t, a.Vote(ben, id, 1, ""))
	a.Demoted(ana.ID, "", t0)
	p := closed(t, &a, id)
	if p.Result.Ballots != 1 || slices.Contains(p.Voters, ana.ID) {
		t.Fatalf("a viewer's ballot was counted: voters %v, result %+v", p.Voters, p.Result)
	}
}

func TestReasonsGoOutWithoutNamesEvenInAnOpenRound(t *testing.T) {
	var a Assembly
	id := open(t, &a, Draft{Question: "Merge the locals?", Kind: Consent})
	must(t, a.Vote(ana, id, ConsentBlock, "the dues"))
	must(t, a.Vote(ben, id, ConsentBlock, "the by-laws"))
	p := closed(t, &a, id)
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Result.Reasons) != 2 {
		t.Fatalf("reasons %+v, want both", p.Result.Reasons)
	}
	var wire struct {
		Result struct{ Votes []map[string]any } `json:"result"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		t.Fatal(err)
	}
	for _, v := range wire.Result.Votes {
		if _, ok := v["reason"]; ok {
			t.Fatalf("a reason goes out beside its author's name: %v", v)
		}
	}
}

func TestABlankQuestionOrOptionsThatLookAlikeAreRefused(t *testing.T) {
	for _, d := range []Draft{
		{Question: "\u200b", Kind: YesNo},
		{Question: " \ufeff\u2060 ", Kind: Consent},
		{Question: "Which?", Kind: Choice, Options: []string{"Yes", "Yes\u200b"}},
		{Question: "Which?", Kind: Choice, Options: []string{"Oak", "oak"}},
		{Question: "Which?", Kind: Choice, Options: []string{"Oak", "\u200b"}},
		{Question: "\u0301\u3164", Kind: YesNo},
		{Question: "Which?", Kind: Choice, Options: []string{"Oak", "\u2800"}},
		{Question: "Which?", Kind: Choice, Options: []string{"Oak", "Oak\u3164"}},
	} {
		var a Assembly
		if _, err := a.OpenProposal(fac, d, t0); !errors.Is(err, ErrBadProposal) {
			t.Errorf("%q with options %q accepted (%v)", d.Question, d.Options, err)
		}
	}
	var a Assembly
	if _, err := a.OpenProposal(fac, Draft{Question: "Quelle salle ?", Kind: Choice, Options: []string{"Salle des fêtes", "Salle de sport", "مكتبة\u200c"}}, t0); err != nil {
		t.Fatalf("options that differ were refused: %v", err)
	}
}

func TestMembersWhoAreOnePersonShareOneBallot(t *testing.T) {
	var a Assembly
	phone := Member{ID: "p1", Name: "Ana", Ballot: "link:x"}
	laptop := Member{ID: "p2", Name: "Ana", Ballot: "link:x"}
	id := open(t, &a, Draft{Question: "Strike?", Kind: YesNo, Secret: true})
	must(t, a.Vote(phone, id, 0, ""))
	must(t, a.Vote(laptop, id, 1, ""))
	must(t, a.Vote(ben, id, 1, ""))
	a.Left(phone, "", true, t0) // the ballot is the laptop's now: it stays
	p := closed(t, &a, id)
	if p.Result.Ballots != 2 || p.Result.Totals[1] != 2 || !slices.Equal(p.Voters, []string{phone.ID, ben.ID}) {
		t.Fatalf("voters %v, totals %v: want Ana's last ballot, under the phone that cast her first, and Ben's", p.Voters, p.Result.Totals)
	}
}
