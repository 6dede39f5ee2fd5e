package signaling

import (
	"errors"
	"time"

	"github.com/plenum-meet/plenum/signaling/auth"
)

// linkKeyPoll is how often the server looks whether the key links are
// signed with was replaced (plenum link rotate-key writes the file; the
// server is not told): a stat of one file.
const linkKeyPoll = time.Second

// watchLinkKey puts out, each time the link key is replaced, everyone
// whose link it voids: present, away for a resume or in a lobby. A key
// is replaced because a link leaked, and its holder must not stay until
// their connection happens to break. Those who came without a link, or
// with one the new key signed, stay. It runs until Shutdown.
func (srv *Server) watchLinkKey() {
	defer srv.wg.Done()
	tick := time.NewTicker(linkKeyPoll)
	defer tick.Stop()
	seen, again := srv.cfg.Links.KeyID(), false
	for {
		select {
		case <-srv.ctx.Done():
			return
		case <-tick.C:
		}
		id := srv.cfg.Links.KeyID()
		if id == "" {
			// The key cannot be read: joins fail closed meanwhile, but
			// nobody is put out of a running meeting for a file an
			// admin is repairing.
			continue
		}
		// Once more at the next tick: a resume whose link was checked
		// against the old key just before was not on any line yet.
		changed := id != seen
		if changed || again {
			srv.revokeVoidedLinks()
		}
		seen, again = id, changed
	}
}

// revokeVoidedLinks ends the stay of each participant, or waiter, whose
// link the current key no longer vouches for.
func (srv *Server) revokeVoidedLinks() {
	for _, l := range srv.linesWithLinks() {
		l.mu.Lock()
		link, room, id, p := l.link, l.room, l.id, l.p
		l.mu.Unlock()
		if _, err := srv.cfg.Links.Recheck(link, room); !errors.Is(err, auth.ErrBadSignature) {
			continue // still valid, or expired (a stay goes on), or the key unreadable
		}
		srv.log.Info("link revoked: the participant leaves", "room", room, "participant", id)
		if s := l.holder(); s != nil {
			s.end(protocolError(CodeLinkRevoked, "the link you came with was revoked (the server's link key was replaced): ask the organizer for a new one"))
		}
		if p != nil { // away for a resume: nobody's session ends it
			p.Leave()
		}
		srv.forgetResume(l)
	}
}

// linesWithLinks returns the lines of those who came with a link: those
// connected (joining, waiting or in a room) and those away.
func (srv *Server) linesWithLinks() []*line {
	seen := map[*line]bool{}
	var lines []*line
	add := func(l *line) {
		if l == nil || seen[l] {
			return
		}
		seen[l] = true
		l.mu.Lock()
		hasLink := l.link != ""
		l.mu.Unlock()
		if hasLink {
			lines = append(lines, l)
		}
	}
	srv.mu.Lock()
	sessions := make([]*session, 0, len(srv.sessions))
	for s := range srv.sessions {
		sessions = append(sessions, s)
	}
	srv.mu.Unlock()
	for _, s := range sessions {
		add(s.getLine())
	}
	srv.resumeMu.Lock()
	away := make([]*line, 0, len(srv.resumes))
	for _, l := range srv.resumes {
		away = append(away, l)
	}
	srv.resumeMu.Unlock()
	for _, l := range away {
		add(l)
	}
	return lines
}
