package sfu

import "time"

// paced sends one kind of a room's news at once after a quiet spell, and
// the news of a burst together, at most every so often, as it stands
// then: else each change of a burst would cost every client a message.
// Its fields are guarded by the room's mu.
type paced struct {
	sent time.Time // when news last went out
	due  bool      // a sending is scheduled
}

// sendLocked calls send now, or, if news went out less than every ago,
// once that long has passed, once for all the news meanwhile. r.mu must
// be held, and is when send is called.
func (p *paced) sendLocked(r *Room, every time.Duration, now time.Time, send func(now time.Time)) {
	if p.due {
		return // a sending to come will tell it
	}
	if wait := every - now.Sub(p.sent); wait > 0 {
		p.due = true
		time.AfterFunc(wait, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			p.due = false
			now := time.Now()
			p.sent = now
			send(now)
		})
		return
	}
	p.sent = now
	send(now)
}
