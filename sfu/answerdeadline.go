package sfu

import (
	"errors"
	"time"
)

// DefaultAnswerTimeout is how long the client has to answer the
// server's down offer before its session ends (ErrAnswerTimeout): a
// client that never answers, broken or hostile, would otherwise hold its
// participant, the pending offer and the down connection for as long as
// its socket stays open, receiving nothing. Longer than the signaling's
// read timeout (30 s, three missed pings), so that a client whose
// network went away as the offer left is first found lost, and kept for
// a resume, rather than ended for not answering; and far longer than an
// answer takes, even from a client slow to gather its ICE candidates
// (the Go client gives up gathering after 20 s) or a page the browser
// throttles while hidden, which still answers the socket's pings: a
// meeting should not lose someone for a slow laptop, and two minutes of
// a participant that receives nothing cost the server little.
const DefaultAnswerTimeout = 2 * time.Minute

// ErrAnswerTimeout ends a participant whose client did not answer the
// server's down offer within the answer timeout.
var ErrAnswerTimeout = errors.New("the client did not answer the server's offer in time")

// answerTimeout is how long a client has to answer a down offer.
func (m *Manager) answerTimeout() time.Duration {
	if d := m.limits.AnswerTimeout; d > 0 {
		return d
	}
	return DefaultAnswerTimeout
}

// awaitAnswerLocked starts the deadline of the down offer just sent,
// or sent again, in place of any earlier one's. An offer sent again
// after a resume gets a whole new deadline: its client may never have
// seen it. p.negMu held.
func (p *Participant) awaitAnswerLocked() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopAnswerDeadlineLocked()
	p.offers++
	n := p.offers
	p.answerBy = time.AfterFunc(p.room.manager.answerTimeout(), func() { p.answerOverdue(n) })
}

// stopAnswerDeadlineLocked stops the deadline of the offer in flight,
// answered or the participant gone. p.mu held.
func (p *Participant) stopAnswerDeadlineLocked() {
	if p.answerBy != nil {
		p.answerBy.Stop()
		p.answerBy = nil
	}
}

// answerOverdue ends the participant if offer n is still unanswered.
// A client away for a resume is let be: the grace decides its fate, and
// a resume sends the offer again with a new deadline (Attach).
func (p *Participant) answerOverdue(n int) {
	p.negMu.Lock()
	p.mu.Lock()
	overdue := p.awaitingAnswer && p.offers == n && !p.closed && !p.loss.detached
	if p.offers == n {
		p.answerBy = nil
	}
	p.mu.Unlock()
	p.negMu.Unlock()
	if overdue {
		p.fail(ErrAnswerTimeout) // not with negMu held (offerDown)
	}
}
