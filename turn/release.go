package turn

import (
	"errors"
	"sync"
	"time"
)

// goneFor is how long the server refuses new allocations to a
// participant who has left: longer than an allocation request can be
// under way (pion's transactions give up within a minute).
const goneFor = 5 * time.Minute

// errUserGone refuses an allocation whose participant has left.
var errUserGone = errors.New("turn: the participant has left")

// goneUser is a participant who has left, and when.
type goneUser struct {
	id   string
	when time.Time
}

// relayRegistry knows each user's open relay sockets, so that the
// allocations of a participant who has left can be ended at once: a
// client that vanishes, or closes while its allocation is still being
// made, never deletes it, and pion would keep its port and goroutine
// until the lifetime (ten minutes) ran out.
//
// An allocation may also complete after its participant has left (the
// request was under way when the client closed): the users who left are
// remembered for goneFor, and add refuses their relays.
type relayRegistry struct {
	mu     sync.Mutex
	byUser map[string]map[*relayConn]struct{}
	gone   map[string]bool
	order  []goneUser // gone, oldest first, to forget them in time
}

// add records c, or reports false when its user has left.
func (r *relayRegistry) add(c *relayConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone[c.user] {
		return false
	}
	if r.byUser == nil {
		r.byUser = map[string]map[*relayConn]struct{}{}
	}
	if r.byUser[c.user] == nil {
		r.byUser[c.user] = map[*relayConn]struct{}{}
	}
	r.byUser[c.user][c] = struct{}{}
	return true
}

func (r *relayRegistry) remove(c *relayConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byUser[c.user], c)
	if len(r.byUser[c.user]) == 0 {
		delete(r.byUser, c.user)
	}
}

// take marks user gone and returns its relays.
func (r *relayRegistry) take(user string, now time.Time) []*relayConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.order) > 0 && now.Sub(r.order[0].when) > goneFor {
		delete(r.gone, r.order[0].id)
		r.order = r.order[1:]
	}
	if r.gone == nil {
		r.gone = map[string]bool{}
	}
	if !r.gone[user] {
		r.gone[user] = true
		r.order = append(r.order, goneUser{id: user, when: now})
	}
	var out []*relayConn
	for c := range r.byUser[user] {
		out = append(out, c)
	}
	return out
}

// ReleaseUser ends every allocation of a user (the participant id of the
// credentials) who has left: their relay sockets close and pion deletes
// the allocations; allocations asked for later are refused. It returns
// how many there were.
func (s *Server) ReleaseUser(id string) int {
	conns := s.relays.take(id, time.Now())
	for _, c := range conns {
		_ = c.Close()
	}
	if len(conns) > 0 {
		s.log.Debug("turn: allocations of a participant who left released", "user", id, "allocations", len(conns))
	}
	return len(conns)
}
