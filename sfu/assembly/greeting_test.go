package assembly

import (
	"slices"
	"testing"
)

// A newcomer is told of the open proposal and of the latest closed ones
// in full, of older closed ones in summary: outcome and totals, no
// voter, ballot nor reason, which the minutes keep. Each closed one in
// full made the greeting of a big meeting 5.5 MiB.
func TestANewcomerIsToldOfOlderDecisionsInSummary(t *testing.T) {
	var a Assembly
	const decided = GreetingDetailed + 2
	for range decided {
		id := open(t, &a, Draft{Question: "Agree?", Kind: Consent})
		must(t, a.Vote(ana, id, ConsentAgree, ""))
		must(t, a.Vote(ben, id, ConsentStandAside, "Not my field"))
		closed(t, &a, id)
	}
	openID := open(t, &a, Draft{Question: "Still open", Kind: YesNo})
	must(t, a.Vote(cleo, openID, 0, ""))

	full := a.Proposals()
	told := a.Greeting()
	if len(told) != decided+1 {
		t.Fatalf("told of %d proposals, want %d", len(told), decided+1)
	}
	for i, p := range told {
		summary := i < decided-GreetingDetailed
		if p.Summary != summary {
			t.Fatalf("proposal %d: summary %v, want %v", p.ID, p.Summary, summary)
		}
		if !summary {
			if !slices.Equal(p.Voters, full[i].Voters) || len(p.Voters) == 0 {
				t.Fatalf("proposal %d told without its voters: %+v", p.ID, p)
			}
			continue
		}
		r, want := p.Result, full[i].Result
		if len(p.Voters) != 0 || len(r.Votes) != 0 || len(r.Reasons) != 0 {
			t.Fatalf("proposal %d in summary has detail: voters %v, result %+v", p.ID, p.Voters, r)
		}
		if r.Outcome != want.Outcome || r.Ballots != want.Ballots || !slices.Equal(r.Totals, want.Totals) ||
			p.Question != full[i].Question || p.Open || p.Closed != full[i].Closed {
			t.Fatalf("proposal %d in summary: %+v %+v, want %+v %+v", p.ID, p, r, full[i], want)
		}
	}
	// The record keeps the detail; a summary shares none of it.
	m, err := a.Minutes(fac, t0)
	must(t, err)
	if len(m.Decisions[0].Result.Votes) != 2 || len(m.Decisions[0].Result.Reasons) != 1 {
		t.Fatalf("the minutes lost the detail: %+v", m.Decisions[0].Result)
	}
}
