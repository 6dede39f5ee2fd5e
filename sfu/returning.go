package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// Returning: a client that goes away saying it comes back at once (a web
// page that reloads: it cannot tell a reload from a close as it unloads)
// is kept for the return hold, a short while, instead of leaving. Its
// peer connections go with the page, so the participant's go too: its
// tracks leave the room, and a new, empty down connection waits for the
// client. Coming back within the hold (a resume, Attach), the client
// gets the room's tracks on the new down connection and publishes anew
// on a new up connection; the participant never left, so it keeps its
// id, role, place in the speaking queue, ballots and chair. Not coming
// back, it leaves when the hold ends, as it would have at once: a closed
// tab frees its seat within the hold, not the whole resume grace.

// DefaultReturnHold is how long a participant whose client left saying
// it returns is kept. A reload takes a second or two, more on a slow
// machine or network; the hold is also how late a closed tab leaves
// (the moderation passes on, others see it go), and should not be much
// longer than that.
const DefaultReturnHold = 10 * time.Second

// SetReturnHold sets how long a participant whose client left saying it
// returns is kept (DefaultReturnHold unless set; tests shorten it).
func (m *Manager) SetReturnHold(d time.Duration) { m.returnHold.set(d) }

// ReturnHold is how long a participant whose client left saying it
// returns is kept.
func (m *Manager) ReturnHold() time.Duration { return m.returnHold.or(DefaultReturnHold) }

// ExpectReturn keeps the participant for the return hold: its client
// leaves, saying it comes back at once with new peer connections. Its
// peer connections are closed now (its tracks leave the room) and
// replaced by a new down connection; the participant leaves when the
// hold ends unless its client resumes first (Attach). Its signaler is
// expected to be detached (Detach) as its connection ends. It reports
// whether the participant is kept: not when it has left, nor when its
// client left to return MaxReturnsPerMinute times in the last minute
// already; the caller lets it leave then, as after a plain leave.
func (p *Participant) ExpectReturn() bool {
	p.mu.Lock()
	allowed := p.returns.allow(time.Now())
	p.mu.Unlock()
	if !allowed {
		p.log.Info("client leaves to return too often: not kept", "limit", MaxReturnsPerMinute)
		return false
	}
	down, bwe, err := p.newPeerConnection(Down)
	if err != nil {
		p.log.Warn("cannot keep a returning participant: leaving", "err", err)
		p.Leave()
		return false
	}
	p.negMu.Lock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.negMu.Unlock()
		_ = down.Close()
		return false
	}
	up, oldDown, subs := p.up, p.down, p.subs
	p.up, p.down = nil, down
	p.subs = map[*UpTrack]*DownTrack{}
	p.loss.failed = nil
	p.loss.returning = true
	if p.loss.timer != nil {
		p.loss.timer.Stop() // a grace already running: the hold replaces it
	}
	p.loss.timer = time.AfterFunc(p.room.manager.ReturnHold(), p.graceOver)
	p.stopAnswerDeadlineLocked()
	p.mu.Unlock()
	p.awaitingAnswer, p.renegotiate, p.iceRestart = false, false, false
	if p.alloc != nil && bwe != nil {
		p.alloc.setEstimate(bwe)
	}
	p.negMu.Unlock()

	for t, d := range subs {
		t.removeDown(d)
	}
	p.closeMu.Lock()
	for _, pc := range []*webrtc.PeerConnection{up, oldDown} {
		if pc != nil {
			_ = pc.Close() // its up tracks end, and leave the room
		}
	}
	p.closeMu.Unlock()
	p.log.Info("client leaves to return: kept for the hold", "hold", p.room.manager.ReturnHold())
	return true
}

// subscribeFresh subscribes a participant back from the return hold to
// tracks, the room's, and reports whether it receives anything.
// Tracks published during the hold may be subscribed already. p.negMu
// held (Attach): subscribe does not take it.
func (p *Participant) subscribeFresh(tracks []*UpTrack) bool {
	for _, t := range tracks {
		if t.publisherID != p.id { // its own, from before the hold, are ending
			p.subscribe(t)
		}
	}
	return len(p.down.GetTransceivers()) > 0
}

// offerFreshLocked offers the new down connection of a participant back
// from the return hold. An offer made during the hold, for tracks
// published meanwhile, is sent again, and a new one follows its answer
// with what was subscribed since. p.negMu held.
func (p *Participant) offerFreshLocked() {
	if p.awaitingAnswer {
		p.renegotiate = true
	}
	if err := p.offerDownLocked(false); err != nil {
		go p.fail(err) // not with negMu held (negotiate)
	}
	p.log.Info("session resumed with new peer connections")
}
