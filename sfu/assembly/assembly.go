// Package assembly holds the rules by which a meeting decides together:
// the speaking queue (raised hands, direct responses, the current
// speaker and their timer), proposals put to a vote (yes/no/abstain,
// multiple choice, consent rounds; open or secret ballots), and the
// record the minutes are made of.
//
// It is pure: no network, no goroutine, no clock of its own (every call
// that needs the time takes it). Its caller serializes the calls (the
// room's lock) and tells everybody what Changes reports. Nothing here is
// written anywhere: the record lives as long as the meeting.
package assembly

import "time"

// Member is the participant acting, as its room knows it at that moment.
type Member struct {
	ID, Name string
	// Ballot names the member's person, when several members are one
	// (the holders of one personal link, on two devices): they have one
	// ballot between them, the last cast, one place in the queue, and
	// have spoken if any of them did; a hand or turn of one device stays
	// the person's when it leaves. "" means ID: each device is a person.
	Ballot string
	// Facilitator may run the queue and the votes and export the
	// minutes: the room's moderators.
	Facilitator bool
	// Viewer only receives: it may neither ask for the floor nor vote.
	Viewer bool
}

// Error is a refusal by the rules: Code names it for clients (PROTOCOL.md
// lists the codes), the text says it in English.
type Error struct {
	Code, Text string
}

func (e *Error) Error() string { return e.Text }

// The refusals (each one is in Refusals too).
var (
	ErrForbidden      = &Error{"forbidden", "only a facilitator (a moderator) may do this"}
	ErrViewer         = &Error{"viewer", "viewers may neither ask for the floor nor vote"}
	ErrNotInQueue     = &Error{"not-in-queue", "this participant is not in the queue"}
	ErrNotPresent     = &Error{"not-present", "this participant is not in the meeting"}
	ErrNotSpeaking    = &Error{"not-speaking", "only the facilitator or the current speaker may end the turn"}
	ErrNoProposal     = &Error{"no-proposal", "there is no such proposal"}
	ErrClosed         = &Error{"proposal-closed", "the vote on this proposal is closed"}
	ErrAlreadyOpen    = &Error{"proposal-open", "another proposal is still open: close it first"}
	ErrBadProposal    = &Error{"bad-proposal", "a proposal needs a question, and a multiple choice 2 to 10 distinct options"}
	ErrBadChoice      = &Error{"bad-choice", "no such choice for this proposal"}
	ErrReasonRequired = &Error{"reason-required", "a block needs a reason"}
	ErrTooMany        = &Error{"too-many", "this meeting has reached its limit of proposals"}
)

// Refusals lists every refusal, for clients that name each by its code.
var Refusals = []*Error{ErrForbidden, ErrViewer, ErrNotInQueue, ErrNotPresent, ErrNotSpeaking, ErrNoProposal, ErrClosed,
	ErrAlreadyOpen, ErrBadProposal, ErrBadChoice, ErrReasonRequired, ErrTooMany}

// Assembly is one meeting's queue, proposals and record. The zero value
// is ready: an empty queue, no rules, no proposal.
type Assembly struct {
	queue     queue
	proposals []*proposal

	queueChanged bool
	changed      []*proposal // proposals changed since the last Changes
	voted        Voted       // who cast a ballot since the last Changes
}

// Changes reports what changed since it was last called: whether the
// queue did (then its state is queue), the proposals that did, as
// everybody may see them, and who cast a ballot (for ProposalsFor).
func (a *Assembly) Changes(now time.Time) (queueChanged bool, queue QueueState, proposals []ProposalState, voted Voted) {
	voted, a.voted = a.voted, nil
	queueChanged, a.queueChanged = a.queueChanged, false
	if queueChanged {
		queue = a.queue.state(now)
	}
	for _, p := range a.changed {
		proposals = append(proposals, p.state())
	}
	a.changed = a.changed[:0]
	return queueChanged, queue, proposals, voted
}

// Changed reports whether Changes has anything to report.
func (a *Assembly) Changed() bool { return a.queueChanged || len(a.changed) > 0 || len(a.voted) > 0 }

// Queue is the queue's state as everybody may see it.
func (a *Assembly) Queue(now time.Time) QueueState { return a.queue.state(now) }

// Proposals lists every proposal of the meeting, oldest first, as
// everybody may see them (for a newcomer).
func (a *Assembly) Proposals() []ProposalState {
	out := make([]ProposalState, 0, len(a.proposals))
	for _, p := range a.proposals {
		out = append(out, p.state())
	}
	return out
}

// GreetingDetailed is how many closed proposals, the latest, a newcomer
// is told of in full (Greeting): as many as the web client shows with
// their reasons and ballots.
const GreetingDetailed = 5

// Greeting lists every proposal of the meeting, oldest first, as a
// newcomer (or a participant that resumes) is told of them: the open
// one and the GreetingDetailed latest closed in full, the older closed
// ones in summary (ProposalState.Summary). In full, each closed one of
// an open vote lists every ballot with its voter's name and every
// reason: the greeting of a meeting of 300 that decided 100 was 5.5 MiB,
// sent to every newcomer and again at each resume.
func (a *Assembly) Greeting() []ProposalState {
	out := make([]ProposalState, len(a.proposals))
	full := 0
	for i := len(a.proposals) - 1; i >= 0; i-- {
		p := a.proposals[i]
		switch {
		case p.closed.IsZero():
			out[i] = p.state()
		case full < GreetingDetailed:
			full++
			out[i] = p.state()
		default:
			out[i] = p.summary()
		}
	}
	return out
}

// Left forgets a participant who left the meeting, m as the room knew
// it: their hand is lowered, their turn ends, and their ballots in open
// votes are dropped, so that someone who comes back as a new
// participant votes only once. heir, if not "", is a member still there
// who is the same person (Member.Ballot) and may vote: the person has
// not left, so their ballots, their place in the queue and their turn
// stay, heir's now. stays tells whether the person is still there on
// any other device, heir or a viewer. Once they are not, whether they
// spoke is forgotten, unless they hold a personal link: such a person
// who comes back in the same meeting, under a new id, has still spoken
// (of those gone, the maxSpokenGone who left last are remembered).
func (a *Assembly) Left(m Member, heir string, stays bool, now time.Time) {
	a.Demoted(m.ID, heir, now)
	if !stays {
		a.queue.left(m)
	}
}

// Arrived tells that m, a device that joins, is in the meeting: their
// person, if they spoke before leaving on every device, is remembered
// as having spoken for as long as they stay (Left).
func (a *Assembly) Arrived(m Member) {
	if m.Ballot != "" {
		a.queue.arrived(m.Ballot)
	}
}

// Demoted treats a participant made viewer as one who left: a viewer
// neither speaks nor votes, so their hand is lowered, their turn ends and
// their ballots in open votes are dropped (made participant again, they
// may vote again), or go to heir, the same person on another device,
// with their hand and turn. Whether they spoke is kept.
func (a *Assembly) Demoted(id, heir string, now time.Time) {
	if a.queue.leave(id, heir, now) {
		a.queueChanged = true
	}
	for _, p := range a.proposals {
		if p.closed.IsZero() && p.drop(id, heir) {
			a.markChanged(p)
		}
	}
}

// person is what m's ballots and place in the queue go by.
func (m Member) person() string {
	if m.Ballot != "" {
		return m.Ballot
	}
	return m.ID
}

func (a *Assembly) markChanged(p *proposal) {
	for _, c := range a.changed {
		if c == p {
			return
		}
	}
	a.changed = append(a.changed, p)
}

func facilitator(m Member) error {
	if !m.Facilitator {
		return ErrForbidden
	}
	return nil
}
