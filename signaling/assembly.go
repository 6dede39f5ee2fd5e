package signaling

import (
	"errors"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/sfu/looks"
)

// Deciding together: the speaking queue, votes and minutes. The rules
// are package assembly's, run under the room lock by the SFU; this file
// only validates the messages and translates them into calls.
//
// What the rules refuse (a vote on a closed proposal, a block without a
// reason, a participant calling the next speaker) does not end the
// session, unlike the moderation messages: the assembly's state changes
// under everyone's feet (a vote closes while a ballot is on its way, a
// role changes), and nobody should be thrown out of the meeting for it.
// The sender gets `refused`. Malformed messages still end the session.

// Client message types of the assembly.
const (
	TypeHand          = "hand"
	TypeQueueNext     = "queue-next"
	TypeQueueCall     = "queue-call"
	TypeQueueMove     = "queue-move"
	TypeQueueRemove   = "queue-remove"
	TypeQueueFinish   = "queue-finish"
	TypeQueueRules    = "queue-rules"
	TypeProposalOpen  = "proposal-open"
	TypeVote          = "vote"
	TypeProposalClose = "proposal-close"
	TypeMinutes       = "minutes" // also the server's answer
)

// Server message types of the assembly.
const (
	TypeQueue    = "queue"
	TypeProposal = "proposal"
)

// Field limits of the assembly's messages.
const (
	maxQuestionRunes = 300
	maxOptionRunes   = 100
	maxReasonRunes   = 500
	maxQueuePosition = 10000
)

var assemblyTypes = map[string]bool{
	TypeHand: true, TypeQueueNext: true, TypeQueueCall: true, TypeQueueMove: true, TypeQueueRemove: true,
	TypeQueueFinish: true, TypeQueueRules: true, TypeProposalOpen: true, TypeVote: true,
	TypeProposalClose: true, TypeMinutes: true,
}

// assemblyFields are the ClientMessage fields of the assembly's messages.
type assemblyFields struct {
	// Raised and Direct raise or lower one's hand, as a direct response
	// or not (hand).
	Raised *bool `json:"raised,omitempty"`
	Direct *bool `json:"direct,omitempty"`
	// Position is where to move a queue entry, 0 the head (queue-move).
	Position *int `json:"position,omitempty"`
	// NotYetSpokenFirst and Seconds are the queue's rules (queue-rules).
	NotYetSpokenFirst *bool `json:"notYetSpokenFirst,omitempty"`
	Seconds           *int  `json:"seconds,omitempty"`
	// Question, Kind, Options and Secret put a proposal (proposal-open).
	Question string   `json:"question,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Options  []string `json:"options,omitempty"`
	Secret   *bool    `json:"secret,omitempty"`
	// Proposal names a proposal (vote, proposal-close); Choice and
	// Reason are a ballot (vote).
	Proposal *int   `json:"proposal,omitempty"`
	Choice   *int   `json:"choice,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// From is the decision a page of the minutes starts at (minutes;
	// see minutes.go).
	From *int `json:"from,omitempty"`
}

// validText reports whether s is valid UTF-8 of at most max characters
// and none of them a control character or a bidirectional control.
func validText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || looks.BidiControl(r) {
			return false
		}
	}
	return true
}

func (m *ClientMessage) validateAssembly() *Error {
	bad := func(format string, args ...any) *Error { return protocolError(CodeBadMessage, format, args...) }
	switch m.Type {
	case TypeHand:
		if m.Raised == nil {
			return bad("hand needs raised")
		}
	case TypeQueueCall, TypeQueueRemove, TypeQueueMove:
		if m.Participant == "" || len(m.Participant) > maxIDBytes {
			return bad("%s needs a participant", m.Type)
		}
		if m.Type == TypeQueueMove && (m.Position == nil || *m.Position < 0 || *m.Position > maxQueuePosition) {
			return bad("queue-move needs a position from 0 to %d", maxQueuePosition)
		}
	case TypeQueueRules:
		if m.NotYetSpokenFirst == nil && m.Seconds == nil {
			return bad("queue-rules changes nothing")
		}
		if m.Seconds != nil && (*m.Seconds < 0 || *m.Seconds > assembly.MaxTurnSeconds) {
			return bad("seconds from 0 to %d", assembly.MaxTurnSeconds)
		}
	case TypeProposalOpen:
		switch assembly.Kind(m.Kind) {
		case assembly.YesNo, assembly.Choice, assembly.Consent:
		default:
			return bad("kind is yes-no, choice or consent")
		}
		if looks.Blank(m.Question) || !validText(m.Question, maxQuestionRunes) {
			return refuseText(CodeBadMessage, m.Question, "a question has 1 to %d printable characters", maxQuestionRunes)
		}
		if len(m.Options) > assembly.MaxOptions {
			return bad("at most %d options", assembly.MaxOptions)
		}
		for _, o := range m.Options {
			if looks.Blank(o) || !validText(o, maxOptionRunes) {
				return refuseText(CodeBadMessage, o, "an option has 1 to %d printable characters", maxOptionRunes)
			}
		}
	case TypeVote, TypeProposalClose:
		if m.Proposal == nil || *m.Proposal < 1 || *m.Proposal > assembly.MaxProposals {
			return bad("%s needs a proposal", m.Type)
		}
		if m.Type == TypeVote && (m.Choice == nil || *m.Choice < 0 || *m.Choice >= assembly.MaxOptions) {
			return bad("vote needs a choice")
		}
		if !validText(m.Reason, maxReasonRunes) {
			return refuseText(CodeBadMessage, m.Reason, "a reason has at most %d printable characters", maxReasonRunes)
		}
	case TypeMinutes:
		if m.From != nil && (*m.From < 0 || *m.From > assembly.MaxProposals) {
			return bad("from is 0 to %d", assembly.MaxProposals)
		}
	}
	return nil
}

// A participant may ask for the minutes minutesBurst times in a row,
// then once every minutesEvery: a facilitator exports them now and
// then, and each export is the whole meeting's record (every closed
// proposal with its ballots and reasons, up to maxTurns turns), tens of
// megabytes in a meeting stuffed for it, built and encoded anew for
// each. The pages after an export's first (minutes.go) are not counted:
// they come from the record built for the first.
const (
	minutesEvery = 5 * time.Second
	minutesBurst = 2
)

// assemble handles the assembly's messages of participant p; a refusal
// by the rules is answered with refused.
func (s *session) assemble(p *sfu.Participant, m *ClientMessage) error {
	from := 0
	if m.From != nil {
		from = *m.From
	}
	if m.Type == TypeMinutes {
		lim := s.getLine().limits
		// A facilitator made participant since the first page gets no
		// more of it: the request goes on as a new export, refused.
		if rec, ok := lim.export.continued(from); ok && p.Role() == sfu.RoleModerator {
			s.sendMinutes(rec, from)
			return nil
		}
		if !lim.minutes.Allow() {
			s.refuse(m.Type, CodeRateLimit, "too many requests for the minutes: wait a moment")
			return nil
		}
	}
	var minutes *assembly.Minutes
	act := func(a *assembly.Assembly, me assembly.Member, now time.Time) error {
		switch m.Type {
		case TypeHand:
			if !*m.Raised {
				a.LowerHand(me)
				return nil
			}
			return a.RaiseHand(me, isTrue(m.Direct))
		case TypeQueueNext:
			return a.CallNext(me, now)
		case TypeQueueFinish:
			return a.FinishTurn(me, now)
		case TypeQueueRules:
			rules := a.Queue(now).Rules
			if m.NotYetSpokenFirst != nil {
				rules.NotYetSpokenFirst = *m.NotYetSpokenFirst
			}
			if m.Seconds != nil {
				rules.Seconds = *m.Seconds
			}
			return a.SetRules(me, rules)
		case TypeProposalOpen:
			_, err := a.OpenProposal(me, assembly.Draft{
				Question: m.Question, Kind: assembly.Kind(m.Kind), Options: m.Options, Secret: isTrue(m.Secret),
			}, now)
			return err
		case TypeVote:
			return a.Vote(me, *m.Proposal, *m.Choice, m.Reason)
		case TypeProposalClose:
			return a.CloseProposal(me, *m.Proposal, now)
		case TypeMinutes:
			rec, err := a.Minutes(me, now)
			minutes = &rec
			return err
		}
		return nil
	}
	var err error
	switch m.Type {
	case TypeQueueCall, TypeQueueMove, TypeQueueRemove:
		// The room looks up the one named: anyone present may be given
		// the floor, not only those who asked, and a hand is a person's,
		// whichever of their devices is named.
		err = p.AssemblyOn(m.Participant, func(a *assembly.Assembly, me, them assembly.Member, now time.Time) error {
			switch m.Type {
			case TypeQueueMove:
				return a.MoveInQueue(me, them, *m.Position)
			case TypeQueueRemove:
				return a.RemoveFromQueue(me, them)
			}
			return a.Call(me, them, now)
		})
		if m.Type != TypeQueueCall && errors.Is(err, assembly.ErrNotPresent) {
			err = assembly.ErrNotInQueue // nobody gone has a hand up
		}
	default:
		err = p.Assembly(act)
	}
	var refusal *assembly.Error
	switch {
	case errors.As(err, &refusal):
		s.refuse(m.Type, refusal.Code, refusal.Text)
		return nil
	case err != nil:
		return err
	case minutes != nil:
		s.sendMinutes(minutes, from)
	}
	return nil
}

type queueMessage struct {
	Type string `json:"type"`
	assembly.QueueState
}

type proposalMessage struct {
	Type     string                 `json:"type"`
	Proposal assembly.ProposalState `json:"proposal"`
}

// The sfu.AssemblySignaler methods: each only queues a message.

func (s *session) QueueChanged(q *sfu.Shared[assembly.QueueState]) {
	sendShared(s, q, func(q assembly.QueueState) any { return queueMessage{Type: TypeQueue, QueueState: q} })
}

func (s *session) ProposalChanged(p *sfu.Shared[assembly.ProposalState]) {
	sendShared(s, p, func(p assembly.ProposalState) any { return proposalMessage{Type: TypeProposal, Proposal: p} })
}
