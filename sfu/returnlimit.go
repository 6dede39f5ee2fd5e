package sfu

import "time"

// MaxReturnsPerMinute bounds how often one participant's client may
// leave to return (ExpectReturn) within returnWindow. Each return has
// the server build a new down connection, and the resume that follows
// a new up connection, with their ICE agents, DTLS handshakes and
// offers: unbounded, a client looping leave and resume had the server
// build connections as fast as it asked. A person reloading a page
// reloads it a few times a minute at most; past the bound, a leave
// that says it returns is a plain leave (the page, refused its resume,
// joins afresh).
const MaxReturnsPerMinute = 10

// returnWindow is the span MaxReturnsPerMinute counts in.
const returnWindow = time.Minute

// returnLog holds when a participant's latest returns were kept, at most
// MaxReturnsPerMinute of them, guarded by Participant.mu.
type returnLog []time.Time

// allow reports whether a return at now is within the bound, and
// records it if it is.
func (l *returnLog) allow(now time.Time) bool {
	kept := (*l)[:0]
	for _, t := range *l {
		if now.Sub(t) < returnWindow {
			kept = append(kept, t)
		}
	}
	*l = kept
	if len(kept) >= MaxReturnsPerMinute {
		return false
	}
	*l = append(kept, now)
	return true
}
