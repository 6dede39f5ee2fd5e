package turn

import "sync"

// relayRegistry knows each user's open relay sockets, so that the
// allocations of a participant who has left can be ended at once: a
// client that vanishes, or closes while its allocation is still being
// made, never deletes it, and pion would keep its port and goroutine
// until the lifetime (ten minutes) ran out.
type relayRegistry struct {
	mu     sync.Mutex
	byUser map[string]map[*relayConn]struct{}
}

func (r *relayRegistry) add(c *relayConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byUser == nil {
		r.byUser = map[string]map[*relayConn]struct{}{}
	}
	if r.byUser[c.user] == nil {
		r.byUser[c.user] = map[*relayConn]struct{}{}
	}
	r.byUser[c.user][c] = struct{}{}
}

func (r *relayRegistry) remove(c *relayConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byUser[c.user], c)
	if len(r.byUser[c.user]) == 0 {
		delete(r.byUser, c.user)
	}
}

func (r *relayRegistry) take(user string) []*relayConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*relayConn
	for c := range r.byUser[user] {
		out = append(out, c)
	}
	return out
}

// ReleaseUser ends every allocation of a user (the participant id of the
// credentials), as when the participant has left: their relay sockets
// close and pion deletes the allocations. It returns how many there
// were.
func (s *Server) ReleaseUser(id string) int {
	conns := s.relays.take(id)
	for _, c := range conns {
		_ = c.Close()
	}
	if len(conns) > 0 {
		s.log.Debug("turn: allocations of a participant who left released", "user", id, "allocations", len(conns))
	}
	return len(conns)
}
