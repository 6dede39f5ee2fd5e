package assembly

import "slices"

// Voted names the people (Member.Ballot) who cast or changed a ballot
// since Changes was last called, each with the proposal: their own
// devices are sent it again with the ballot (ProposalsFor). Nobody else
// is: a changed ballot shows nothing to the others.
type Voted map[string]*proposal

// ProposalsFor is what m is sent of the proposals changed (as Changes
// or Proposals gave them), voted being who cast a ballot meanwhile (nil
// for none): each as everybody sees it, with m's person's ballot as
// Mine on the open one, whichever of their devices cast it, and the
// open proposal their person cast a ballot on, if not among changed.
// changed is not modified.
func (a *Assembly) ProposalsFor(m Member, changed []ProposalState, voted Voted) []ProposalState {
	person := m.person()
	extra := voted[person]
	out, cloned := changed, false
	for i, s := range changed {
		if extra != nil && s.ID == extra.id {
			extra = nil
		}
		if b := a.ballotOf(s.ID, person); b != nil {
			if !cloned {
				out, cloned = slices.Clone(changed), true
			}
			out[i].Mine = b
		}
	}
	if extra != nil && extra.closed.IsZero() {
		s := extra.state()
		s.Mine = a.ballotOf(s.ID, person)
		out = append(slices.Clip(out), s)
	}
	return out
}

// ballotOf is person's ballot in the open vote on proposal id, or nil.
func (a *Assembly) ballotOf(id int, person string) *MyBallot {
	p := a.proposal(id)
	if p == nil || !p.closed.IsZero() {
		return nil
	}
	b, ok := p.ballots[person]
	if !ok {
		return nil
	}
	return &MyBallot{Choice: b.choice, Reason: b.reason}
}
