package signaling

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/auth"
)

// Resuming a session. Every welcome carries a resume token: 32 random
// bytes, bound to the participant and its room, valid while the
// participant is in the room (kept there for sfu.ResumeGrace after its
// connection breaks) and replaced by a new one at each resume. A client
// whose socket broke opens a new one and sends resume instead of join;
// the server moves the participant's messages over to the new socket
// (the line) and sends a welcome with resumed set and the room as it is
// now. The participant never left: others see it marked reconnecting
// meanwhile (sfu.ParticipantInfo.Reconnecting), then back.
//
// The server keeps only a hash of each token, so that its memory does
// not hold what would let someone take over a session.

// resumeTokenBytes is the size of a resume token's random part.
const resumeTokenBytes = 32

// resumeTokenPattern is what a token looks like: base64url, no padding.
var resumeTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// line leads a participant's messages to its client's current
// connection. The participant's sfu.Signaler is the session that joined;
// it forwards through the line to whichever session holds it now.
type line struct {
	mu      sync.Mutex
	current *session // nil while the client is away
	resumed bool     // a resume has happened: later welcomes say so
	room    string
	id      string           // the participant's, once welcomed
	p       *sfu.Participant // once welcomed
	key     string           // the hash of the current resume token
	limits  *limits          // the participant's, set at the join
	// link is the signed link the participant joined with, "" if none:
	// each resume checks it again (linkVoided).
	link string
	// unkeep ends the count, against the address of the connection
	// that broke, of the participant kept while away (ipLimits.keep).
	unkeep func()
}

// owns reports whether s is the line's current connection.
func (l *line) owns(s *session) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current == s
}

// away reports whether the line has no connection: its client is gone.
func (l *line) away() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current == nil
}

// detach leaves the line without a connection if s holds it, and
// has the participant counted against s's address meanwhile (unkeep
// ends that count, at once if s does not hold the line).
func (l *line) detach(s *session, unkeep func()) bool {
	l.mu.Lock()
	if l.current != s {
		l.mu.Unlock()
		unkeep()
		return false
	}
	l.current = nil
	l.unkeep = unkeep
	l.mu.Unlock()
	return true
}

// takeOver gives the line to s and returns the session it replaces.
func (l *line) takeOver(s *session) *session {
	l.mu.Lock()
	old := l.current
	l.current, l.resumed = s, true
	l.mu.Unlock()
	l.endKeep() // counted by s's connection now
	return old
}

// endKeep ends the count of the participant kept while away, if any.
func (l *line) endKeep() {
	l.mu.Lock()
	unkeep := l.unkeep
	l.unkeep = nil
	l.mu.Unlock()
	if unkeep != nil {
		unkeep()
	}
}

func (s *session) getLine() *line {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.line
}

// target is the session that carries s's participant's messages now:
// s itself before a join, nil while the client is away.
func (s *session) target() *session {
	l := s.getLine()
	if l == nil {
		return s
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

// release runs when the session's connection has ended: the participant
// leaves, unless the connection broke or its client left saying it
// returns (it is then kept for a resume, for the grace or the return
// hold) or another connection took it over.
func (s *session) release() {
	s.mu.Lock()
	p, w, l, final := s.participant, s.waiter, s.line, s.final
	s.mu.Unlock()
	switch {
	case p != nil && !l.owns(s):
		// Taken over by a resume, or detached before: not ours any more.
	case p != nil && (s.lost.Load() || s.returning.Load()) && final == nil:
		if l.detach(s, s.srv.perIP.keep(s.addr)) {
			s.log.Info("connection lost or left to return: the participant is kept for a resume")
			p.Detach(l.away)
			if gone(p) {
				s.srv.forgetResume(l) // left meanwhile: nothing kept
			}
		}
	case w != nil:
		w.Leave() // leaves the room too if admitted meanwhile
		s.srv.forgetResume(l)
	case p != nil:
		p.Leave()
		s.srv.forgetResume(l)
	}
}

func (m *ClientMessage) validateResume() *Error {
	switch {
	case m.Version != ProtocolVersion:
		return protocolError(CodeVersion, "protocol version %d is not supported; this server speaks %d", m.Version, ProtocolVersion)
	case !ValidRoomName(m.Room):
		return protocolError(CodeBadRoom, "invalid room name")
	case m.Participant == "" || len(m.Participant) > maxIDBytes:
		return protocolError(CodeBadMessage, "resume needs the participant id of the welcome")
	case !resumeTokenPattern.MatchString(m.Token):
		return protocolError(CodeBadMessage, "resume needs the token of the welcome")
	}
	return nil
}

// resume takes over the session of the participant the token names.
func (s *session) resume(m *ClientMessage) error {
	l := s.srv.takeResume(m.Token, m.Room, m.Participant)
	if l == nil {
		return protocolError(CodeResumeFailed, "the resume token is unknown, expired or not this participant's: join again")
	}
	p := l.p
	if err := s.srv.linkVoided(l); err != nil {
		// The link was voided (the key rotated, say because it leaked):
		// the person is out, not merely refused this socket, or they
		// would stay for ever by resuming. Rejoining with the link, they
		// are told why (bad-token).
		s.log.Info("resume refused: the participant's link is no longer valid", "room", l.room, "participant", l.id, "err", err)
		if old := l.holder(); old != nil {
			old.end(tokenError(err))
		}
		p.Leave()
		s.srv.forgetResume(l)
		return protocolError(CodeResumeFailed, "the link you came with is no longer valid: join again")
	}
	s.mu.Lock()
	s.room, s.participant, s.line = l.room, p, l
	s.mu.Unlock()
	s.limiter = l.limits.messages // what the client sends next counts where it left off
	s.log = s.log.With("room", l.room, "participant", l.id, "role", p.Role(), "resumed", true)
	var old *session
	err := p.Attach(func() {
		if old = l.takeOver(s); old != nil {
			old.cancel()
		}
	})
	if old != nil {
		// A socket the client gave up on but the server still holds (a
		// half-open TCP connection): closed without a word, and not
		// within Attach, which holds the room: a close may write.
		closeAbruptly(old.conn)
	}
	if err != nil {
		s.mu.Lock()
		s.participant = nil
		s.mu.Unlock()
		return protocolError(CodeResumeFailed, "too late to resume: %v; join again", err)
	}
	return nil
}

// linkVoided checks again the signed link l's participant joined with,
// if any, against the current key: a link voided since (the key
// rotated) no longer lets its holder in, a resume included. An expired
// one does: expiry bounds when one may come in, and a resume only
// continues a stay (SECURITY.md, "Links and resumes").
func (srv *Server) linkVoided(l *line) error {
	if l.link == "" {
		return nil
	}
	if srv.cfg.Links == nil {
		return auth.ErrBadSignature // not reached: a link was accepted at the join
	}
	_, err := srv.cfg.Links.Recheck(l.link, l.room)
	return err
}

// holder is the session that holds l now, nil while its client is away.
func (l *line) holder() *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

// resumeKey is what the server keeps of a token.
func resumeKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// issueResume makes a new resume token for the participant on l (the
// previous one stops working) and reports whether l was resumed before.
func (srv *Server) issueResume(l *line, p *sfu.Participant) (token string, resumed bool) {
	if l == nil || p == nil {
		return "", false
	}
	var b [resumeTokenBytes]byte
	_, _ = rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	srv.resumeMu.Lock()
	defer srv.resumeMu.Unlock()
	l.mu.Lock()
	if l.key != "" {
		delete(srv.resumes, l.key)
	}
	first := l.p == nil
	l.key, l.id, l.p = resumeKey(token), p.ID(), p
	resumed = l.resumed
	l.mu.Unlock()
	srv.resumes[l.key] = l
	if first {
		go srv.forgetWhenGone(l, p)
	}
	return token, resumed
}

// forgetWhenGone retires l's token once its participant has left, even
// with nobody's session left to do it (removed while away): the token
// would keep the participant, and its closed connections, in memory.
func (srv *Server) forgetWhenGone(l *line, p *sfu.Participant) {
	select {
	case <-p.Done():
		srv.forgetResume(l)
	case <-srv.ctx.Done():
	}
}

// takeResume finds the line a token was issued for, if it is still
// valid and names this room and participant, and retires the token.
func (srv *Server) takeResume(token, room, id string) *line {
	key := resumeKey(token)
	srv.resumeMu.Lock()
	defer srv.resumeMu.Unlock()
	l := srv.resumes[key]
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.room != room || l.id != id || l.p == nil || gone(l.p) {
		return nil
	}
	delete(srv.resumes, key)
	l.key = ""
	return l
}

// forgetResume retires the token of a participant that left, and ends
// its count against its address if it was kept while away.
func (srv *Server) forgetResume(l *line) {
	if l == nil {
		return
	}
	defer l.endKeep()
	srv.resumeMu.Lock()
	defer srv.resumeMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.key != "" && srv.resumes[l.key] == l {
		delete(srv.resumes, l.key)
	}
	l.key = ""
}

func gone(p *sfu.Participant) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// DropConnection closes participant id's signaling connection abruptly,
// as a network failure would, and reports whether it found one. Its
// client is expected to resume. For tests and operators' drills.
func (srv *Server) DropConnection(id string) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for sess := range srv.sessions {
		p := sess.getParticipant()
		if p == nil || p.ID() != id || !sess.getLine().owns(sess) {
			continue
		}
		closeAbruptly(sess.conn)
		return true
	}
	return false
}

// closeAbruptly closes conn's network connection as a broken network
// would: no close frame, and over TLS no close_notify, whose write waits
// up to 5 s on a socket whose peer no longer reads (tls.Conn.Close). The
// session's own later close then fails at once.
func closeAbruptly(conn *websocket.Conn) {
	nc := conn.NetConn()
	if bc, ok := nc.(*batchConn); ok {
		nc = bc.NetConn()
	}
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	_ = nc.Close()
}
