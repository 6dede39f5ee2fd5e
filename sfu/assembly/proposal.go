package assembly

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plenum-meet/plenum/sfu/looks"
)

// Kind is how a proposal is decided.
type Kind string

// The kinds of proposal.
const (
	// YesNo asks yes, no or abstain: adopted when the yeses outnumber
	// the noes (abstentions count for neither).
	YesNo Kind = "yes-no"
	// Choice asks which of 2 to 10 options: the option with the most
	// ballots is chosen; a tie at the top chooses none.
	Choice Kind = "choice"
	// Consent asks for consent: agree, stand aside or block (a block
	// needs a reason). One block blocks the proposal.
	Consent Kind = "consent"
)

// The fixed options of YesNo and Consent, in ballot order: a ballot's
// choice is an index into a proposal's options. Clients translate them.
var (
	yesNoOptions   = []string{"yes", "no", "abstain"}
	consentOptions = []string{"agree", "stand-aside", "block"}
)

// The choices of a consent round.
const (
	ConsentAgree = iota
	ConsentStandAside
	ConsentBlock
)

// Limits of a proposal.
const (
	MinOptions = 2
	MaxOptions = 10
	// MaxProposals bounds the proposals of one meeting.
	MaxProposals = 100
)

// Outcomes of a closed proposal.
const (
	OutcomeNone      = "none" // nobody voted
	OutcomeAdopted   = "adopted"
	OutcomeRejected  = "rejected"
	OutcomeConsented = "consented"
	OutcomeBlocked   = "blocked"
	OutcomeChosen    = "chosen" // see Result.Winner
	OutcomeTie       = "tie"
)

// Draft is a proposal as the facilitator puts it.
type Draft struct {
	Question string
	Kind     Kind
	// Options are the choices of a Choice proposal; the others have
	// fixed options and must give none.
	Options []string
	// Secret ballots are counted but never shown: the result gives
	// totals only. Open ballots show who chose what once closed.
	Secret bool
}

// Reason is a reason given with a ballot (a consent round's block or
// stand-aside), shown without a name.
type Reason struct {
	Choice int    `json:"choice"`
	Text   string `json:"text"`
}

// Ballot is one open ballot, shown with the voter's name once closed. Its
// reason is not: reasons go out without names (Result.Reasons), even
// when the choices beside them are public.
type Ballot struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Choice int    `json:"choice"`
}

// Result is a closed proposal's result.
type Result struct {
	// Totals counts the ballots for each option, in options order.
	Totals []int `json:"totals"`
	// Ballots is how many were cast.
	Ballots int    `json:"ballots"`
	Outcome string `json:"outcome"`
	// Winner is the chosen option's index (OutcomeChosen), else -1.
	Winner int `json:"winner"`
	// Reasons are the reasons given, sorted so that their order tells
	// nothing of who gave them.
	Reasons []Reason `json:"reasons"`
	// Votes lists every ballot of an open vote, in the order cast; a
	// secret vote has none.
	Votes []Ballot `json:"votes,omitempty"`
}

// ProposalState is a proposal as everybody may see it. It never holds a
// secret ballot's choice: those stay in the server's memory only (so
// that a voter may change their mind until close), and leave it only as
// totals, and as Mine to the voter's own devices.
type ProposalState struct {
	ID       int       `json:"id"`
	Question string    `json:"question"`
	Kind     Kind      `json:"kind"`
	Options  []string  `json:"options"`
	Secret   bool      `json:"secret"`
	Open     bool      `json:"open"`
	Opened   time.Time `json:"opened"`
	Closed   time.Time `json:"closed,omitzero"`
	// Voters lists who has cast a ballot (not how), in the order they
	// first did.
	Voters []string `json:"voters"`
	Result *Result  `json:"result,omitempty"`
	// Summary is set on a closed proposal told without its detail (see
	// Greeting): Voters is empty, and Result has totals and outcome but
	// neither reasons nor ballots. The minutes hold the detail.
	Summary bool `json:"summary,omitempty"`
	// Mine is, in the state one member is sent (Assembly.ProposalsFor),
	// their person's ballot while the vote is open, whichever of their
	// devices cast it, so that each of them shows it; nobody else is
	// sent it, not even the facilitator.
	Mine *MyBallot `json:"mine,omitempty"`
}

// MyBallot is a ballot as its voter's own devices are sent it.
type MyBallot struct {
	Choice int    `json:"choice"`
	Reason string `json:"reason,omitempty"`
}

type ballot struct {
	by string // the participant who holds it: it goes when they leave
	// shown is the participant the voters name for it: the one who
	// first cast it. Cast again from another device of the person, or
	// held by another once that one left, it stays: the others would
	// else learn that the person changed their ballot, and which
	// devices are one person.
	shown  string
	name   string
	choice int
	reason string
}

type proposal struct {
	id      int
	draft   Draft
	opened  time.Time
	closed  time.Time
	ballots map[string]ballot // person (Member.Ballot) -> ballot; in memory only
	voters  []string          // the ballots' shown voters, in the order first cast
	result  *Result
}

// normalize checks a draft and returns it with its options trimmed and,
// for fixed kinds, filled in.
func (d Draft) normalize() (Draft, error) {
	d.Question = strings.TrimSpace(d.Question)
	if !utf8.ValidString(d.Question) || looks.Blank(d.Question) {
		return d, ErrBadProposal
	}
	switch d.Kind {
	case YesNo, Consent:
		if len(d.Options) > 0 {
			return d, ErrBadProposal
		}
		d.Options = yesNoOptions
		if d.Kind == Consent {
			d.Options = consentOptions
		}
	case Choice:
		if len(d.Options) < MinOptions || len(d.Options) > MaxOptions {
			return d, ErrBadProposal
		}
		opts := make([]string, len(d.Options))
		seen := make([]string, 0, len(d.Options))
		for i, o := range d.Options {
			o = strings.TrimSpace(o)
			key := looks.Key(o)
			if !utf8.ValidString(o) || looks.Blank(o) || slices.Contains(seen, key) {
				return d, ErrBadProposal
			}
			opts[i] = o
			seen = append(seen, key)
		}
		d.Options = opts
	default:
		return d, ErrBadProposal
	}
	return d, nil
}

// OpenProposal is the facilitator putting a proposal to the vote. One
// proposal is open at a time.
func (a *Assembly) OpenProposal(by Member, d Draft, now time.Time) (id int, err error) {
	if err := facilitator(by); err != nil {
		return 0, err
	}
	if d, err = d.normalize(); err != nil {
		return 0, err
	}
	if slices.ContainsFunc(a.proposals, func(p *proposal) bool { return p.closed.IsZero() }) {
		return 0, ErrAlreadyOpen
	}
	if len(a.proposals) >= MaxProposals {
		return 0, ErrTooMany
	}
	p := &proposal{id: len(a.proposals) + 1, draft: d, opened: now, ballots: map[string]ballot{}}
	a.proposals = append(a.proposals, p)
	a.markChanged(p)
	return p.id, nil
}

func (a *Assembly) proposal(id int) *proposal {
	if id < 1 || id > len(a.proposals) {
		return nil
	}
	return a.proposals[id-1]
}

// Vote casts m's ballot on proposal id, or replaces the one m cast:
// each member (or person: Member.Ballot) has one ballot per proposal,
// which they may change until the vote closes. A consent round's block
// needs a reason, one that does not look blank; a reason is kept only in
// a consent round.
func (a *Assembly) Vote(m Member, id, choice int, reason string) error {
	if m.Viewer {
		return ErrViewer
	}
	p := a.proposal(id)
	if p == nil {
		return ErrNoProposal
	}
	if !p.closed.IsZero() {
		return ErrClosed
	}
	if choice < 0 || choice >= len(p.draft.Options) {
		return ErrBadChoice
	}
	reason = strings.TrimSpace(reason)
	if p.draft.Kind != Consent || looks.Blank(reason) {
		reason = "" // a reason that shows nothing is none
	}
	if p.draft.Kind == Consent && choice == ConsentBlock && reason == "" {
		return ErrReasonRequired
	}
	key := m.person()
	shown := m.ID
	if old, voted := p.ballots[key]; voted {
		shown = old.shown // a changed ballot shows nothing, from whichever device
	} else {
		p.voters = append(p.voters, shown)
		a.markChanged(p) // the voters changed
	}
	p.ballots[key] = ballot{by: m.ID, shown: shown, name: m.Name, choice: choice, reason: reason}
	// The person's devices are sent it (ProposalsFor), changed or not:
	// the one that cast it may have shown another meanwhile.
	if a.voted == nil {
		a.voted = Voted{}
	}
	a.voted[key] = p
	return nil
}

// CloseProposal is the facilitator closing the vote: the result is
// counted and shown to all.
func (a *Assembly) CloseProposal(by Member, id int, now time.Time) error {
	if err := facilitator(by); err != nil {
		return err
	}
	p := a.proposal(id)
	if p == nil {
		return ErrNoProposal
	}
	if !p.closed.IsZero() {
		return ErrClosed
	}
	p.closed = now
	p.result = p.count()
	if p.draft.Secret {
		p.ballots = nil // counted: nothing needs the choices any more
	}
	a.markChanged(p)
	return nil
}

// drop takes the ballot participant id holds out of an open vote (one
// cast since from another device by the same person stays, that
// device's), or, if heir is not "", hands it to heir, the same person
// on another device, under the voter it was shown as. It reports
// whether the proposal's state changed.
func (p *proposal) drop(id, heir string) bool {
	for key, b := range p.ballots {
		if b.by != id {
			continue
		}
		if heir != "" {
			b.by = heir
			p.ballots[key] = b
			return false // nothing shows it
		}
		delete(p.ballots, key)
		p.voters = slices.DeleteFunc(p.voters, func(v string) bool { return v == b.shown })
		return true // one ballot a participant at most
	}
	return false
}

func (p *proposal) count() *Result {
	r := &Result{Totals: make([]int, len(p.draft.Options)), Winner: -1, Reasons: []Reason{}}
	byVoter := make(map[string]ballot, len(p.ballots))
	for _, b := range p.ballots {
		byVoter[b.shown] = b
	}
	for _, id := range p.voters {
		b := byVoter[id]
		r.Totals[b.choice]++
		r.Ballots++
		if b.reason != "" {
			r.Reasons = append(r.Reasons, Reason{Choice: b.choice, Text: b.reason})
		}
		if !p.draft.Secret {
			r.Votes = append(r.Votes, Ballot{ID: b.shown, Name: b.name, Choice: b.choice})
		}
	}
	slices.SortFunc(r.Reasons, func(x, y Reason) int {
		if x.Choice != y.Choice {
			return y.Choice - x.Choice // blocks first
		}
		return strings.Compare(x.Text, y.Text)
	})
	r.Outcome = outcome(p.draft.Kind, r)
	return r
}

func outcome(kind Kind, r *Result) string {
	if r.Ballots == 0 {
		return OutcomeNone
	}
	switch kind {
	case YesNo:
		if r.Totals[0] > r.Totals[1] {
			return OutcomeAdopted
		}
		return OutcomeRejected
	case Consent:
		if r.Totals[ConsentBlock] > 0 {
			return OutcomeBlocked
		}
		return OutcomeConsented
	}
	best, tie := 0, false
	for i, n := range r.Totals {
		switch {
		case n > r.Totals[best]:
			best, tie = i, false
		case i != best && n == r.Totals[best]:
			tie = true
		}
	}
	if tie {
		return OutcomeTie
	}
	r.Winner = best
	return OutcomeChosen
}

func (p *proposal) state() ProposalState {
	return ProposalState{
		ID: p.id, Question: p.draft.Question, Kind: p.draft.Kind, Options: slices.Clone(p.draft.Options),
		Secret: p.draft.Secret, Open: p.closed.IsZero(), Opened: p.opened, Closed: p.closed,
		Voters: append([]string{}, p.voters...), Result: p.result,
	}
}

// summary is the state of a closed proposal without its detail
// (ProposalState.Summary): what a newcomer is told of an older one.
func (p *proposal) summary() ProposalState {
	s := ProposalState{
		ID: p.id, Question: p.draft.Question, Kind: p.draft.Kind, Options: slices.Clone(p.draft.Options),
		Secret: p.draft.Secret, Opened: p.opened, Closed: p.closed, Voters: []string{}, Summary: true,
	}
	if p.result != nil {
		r := *p.result
		r.Reasons, r.Votes = []Reason{}, nil
		s.Result = &r
	}
	return s
}
