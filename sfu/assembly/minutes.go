package assembly

import (
	"slices"
	"time"
)

// Minutes is the meeting's record: what it decided and who spoke when.
// Clients render it (as Markdown, in their own language).
type Minutes struct {
	// Exported is when the record was taken.
	Exported time.Time `json:"exported"`
	// Decisions are the closed proposals, oldest first, with their
	// results (totals only for secret ballots).
	Decisions []ProposalState `json:"decisions"`
	// Turns is the speaking order, oldest first, each with its person's
	// number (Turn.Speaker).
	Turns []Turn `json:"turns"`
}

// Minutes returns the record for the facilitator to export.
func (a *Assembly) Minutes(by Member, now time.Time) (Minutes, error) {
	if err := facilitator(by); err != nil {
		return Minutes{}, err
	}
	m := Minutes{Exported: now, Decisions: []ProposalState{}, Turns: slices.Clone(a.queue.turns)}
	if m.Turns == nil {
		m.Turns = []Turn{}
	}
	// A number, not the person's key: it tells the turns of one person
	// apart from the others' and nothing of their link.
	speakers := map[string]int{}
	for i := range m.Turns {
		t := &m.Turns[i]
		if speakers[t.person] == 0 {
			speakers[t.person] = len(speakers) + 1
		}
		t.Speaker = speakers[t.person]
	}
	for _, p := range a.proposals {
		if !p.closed.IsZero() {
			m.Decisions = append(m.Decisions, p.state())
		}
	}
	return m, nil
}
