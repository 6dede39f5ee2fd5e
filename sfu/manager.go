package sfu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Errors a join can fail with.
var (
	// ErrRoomFull means the room has reached its participant limit.
	ErrRoomFull = errors.New("the room is full")
	// ErrServerFull means the server has reached its room limit.
	ErrServerFull = errors.New("the server has no room for another meeting")
	// ErrClosed means the manager is shutting down.
	ErrClosed = errors.New("the server is shutting down")
)

// Limits bound what one server accepts. Zero means no limit, unless a
// field says otherwise.
type Limits struct {
	MaxRooms               int
	MaxParticipantsPerRoom int
	// AnswerTimeout is how long a client has to answer the server's down
	// offer before its session ends; zero means DefaultAnswerTimeout.
	AnswerTimeout time.Duration
}

// Manager holds the rooms of one server. A room exists from its first
// participant's join to its last participant's leave.
type Manager struct {
	engine  *Engine
	limits  Limits
	log     *slog.Logger
	metrics *metrics

	// mu guards rooms, closed and each room's joining count. It is held
	// only for map and count work, never while another lock is taken:
	// a room busy greeting a newcomer (its assembly and chat history
	// can take tens of milliseconds to encode) holds up nobody else's.
	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
	// present holds the ids of those in a room (or away for a resume),
	// so that the TURN server can ask about one without a room's lock.
	present idSet
	// onLeave is told of every participant who leaves (see OnLeave).
	onLeave func(participantID string)
	// resumeGrace is how long a participant who lost its connection is
	// kept (resume.go), returnHold one whose client left saying it
	// returns (returning.go), and assemblyEvery the least time between
	// two broadcasts of a room's assembly changes (deciding.go).
	resumeGrace, returnHold, assemblyEvery durationSetting

	// attempts counts wrong room passwords, by room and by client
	// address (attempts.go).
	attempts attempts
}

// NewManager returns a manager whose peer connections come from engine.
func NewManager(engine *Engine, limits Limits, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{engine: engine, limits: limits, log: log, metrics: newMetrics(), rooms: map[string]*Room{},
		present: idSet{ids: map[string]struct{}{}}}
}

// Join adds a participant named name to the room, creating the room if
// needed, with no link, password or room settings. sig receives the
// welcome before any other message.
func (m *Manager) Join(room, name string, sig Signaler) (*Participant, error) {
	p, _, err := m.Enter(JoinRequest{Room: room, Name: name, Signaler: sig})
	return p, err
}

// errPasswordChanged makes Enter check a password again: the room's
// changed while the typed one was being checked.
var errPasswordChanged = errors.New("the room's password changed")

// Enter lets a newcomer into a room, creating the room if needed, or
// into its lobby (w, until a moderator admits it: req.Admitted says
// when), or refuses it: the room is locked, it was banned, its password
// is missing or wrong, or a limit is reached.
func (m *Manager) Enter(req JoinRequest) (p *Participant, w *Waiter, err error) {
	var settings RoomSettings
	if req.Settings != nil {
		settings = req.Settings(req.Room)
	}
	for range 3 {
		// Passwords are checked slowly, with no lock held, then
		// confirmed under the lock to be still the room's.
		hash, verified := "", false
		if req.LinkID == "" {
			hash = m.passwordFor(req.Room, settings)
		}
		if hash != "" && req.Password != "" && req.PasswordMatches != nil {
			g := m.attempts.begin(req.Room, req.Addr)
			if g == nil {
				return nil, nil, ErrTooManyAttempts
			}
			verified = req.PasswordMatches(hash)
			g.end(verified)
		}
		p, w, err = m.enter(&req, settings, hash, verified)
		if !errors.Is(err, errPasswordChanged) {
			return p, w, err
		}
	}
	return nil, nil, ErrWrongPassword
}

func (m *Manager) enter(req *JoinRequest, settings RoomSettings, hash string, verified bool) (*Participant, *Waiter, error) {
	r, err := m.roomToJoin(req.Room, settings)
	if err != nil {
		return nil, nil, err
	}
	defer m.doneJoining(r)
	w, err := r.screen(req, hash, verified)
	if err != nil || w != nil {
		return nil, w, err
	}
	p, err := m.addParticipant(r, newParticipantID(), req)
	if err != nil {
		return nil, nil, err
	}
	m.started(p)
	return p, nil, nil
}

// roomToJoin returns the room a newcomer joins, creating it if needed,
// and counts the newcomer as joining it until doneJoining: the room is
// not dropped meanwhile, though nobody is in it yet.
func (m *Manager) roomToJoin(name string, settings RoomSettings) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	r := m.rooms[name]
	if r == nil {
		if m.limits.MaxRooms > 0 && len(m.rooms) >= m.limits.MaxRooms {
			return nil, ErrServerFull
		}
		r = newRoom(name, m, settings)
		m.rooms[name] = r
	}
	r.joining++
	return r, nil
}

// doneJoining ends what roomToJoin (or admit) began, dropping the room
// if the newcomer did not stay and nobody else is in it.
func (m *Manager) doneJoining(r *Room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.joining--
	m.dropIfEmptyLocked(r)
}

// addParticipant makes a participant of a newcomer to r, with no
// manager lock held: r.add greets it under the room's lock alone.
func (m *Manager) addParticipant(r *Room, id string, req *JoinRequest) (*Participant, error) {
	p, err := newParticipant(id, req.Name, r, req.Signaler)
	if err != nil {
		return nil, err
	}
	p.linkID, p.addr = req.LinkID, req.Addr
	if req.PersonalLink && req.LinkID != "" {
		p.ballot = "link:" + req.LinkID
	}
	// Present before the welcome goes out: the client may ask the TURN
	// server for a relay as soon as it has it.
	m.present.add(id)
	if err := r.add(p, req); err != nil {
		m.present.remove(id)
		p.closePeers()
		return nil, err
	}
	return p, nil
}

// started runs what a participant needs once it is in its room.
func (m *Manager) started(p *Participant) {
	m.log.Info("participant joined", "room", p.room.name, "participant", p.id, "role", p.Role())
	if p.alloc != nil {
		go p.alloc.run() // ends when the participant leaves
	}
	p.room.subscribeToAll(p)
}

// dropIfEmptyLocked removes r, if nobody is in it, waits or joins, from
// the rooms and stops it. m.mu must be held.
func (m *Manager) dropIfEmptyLocked(r *Room) {
	if r.joining > 0 || !r.empty() {
		return
	}
	if m.rooms[r.name] == r {
		delete(m.rooms, r.name)
	}
	r.close()
}

// leave removes p from its room and the room from the manager when it is
// left empty.
func (m *Manager) leave(p *Participant) {
	r := p.room
	r.remove(p)
	m.present.remove(p.id)
	m.mu.Lock()
	m.dropIfEmptyLocked(r)
	onLeave := m.onLeave
	m.mu.Unlock()
	m.log.Info("participant left", "room", r.name, "participant", p.id)
	if onLeave != nil {
		onLeave(p.id)
	}
}

// OnLeave sets a function called with the id of every participant who
// leaves (or is removed), after the room has let go of them: resources
// held elsewhere in their name, such as TURN allocations, can be freed.
func (m *Manager) OnLeave(f func(participantID string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onLeave = f
}

// RoomCount is the number of rooms with at least one participant.
func (m *Manager) RoomCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// Present reports whether participant id is in a room (or away for a
// resume); one in a lobby is not.
func (m *Manager) Present(id string) bool { return m.present.has(id) }

// ParticipantCount is the number of participants in all rooms.
func (m *Manager) ParticipantCount() int {
	n := 0
	for _, r := range m.roomList() {
		n += len(r.snapshot())
	}
	return n
}

// roomList returns the rooms as they are now.
func (m *Manager) roomList() []*Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

// Close ends every participant's session with reason and refuses new
// joins. It returns when every peer connection is closed.
func (m *Manager) Close(reason error) {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	// No room is made from now on; those joining one that exists are
	// refused by it once it has ended.
	var all []*Participant
	var waiting []*Waiter
	for _, r := range m.roomList() {
		r.mu.Lock()
		r.ended = ErrClosed
		all = append(all, r.participants...)
		waiting = append(waiting, r.access.lobby...)
		r.mu.Unlock()
	}
	for _, w := range waiting {
		w.req.Signaler.Fail(reason)
	}
	for _, p := range all {
		p.fail(reason)
	}
}

// newParticipantID returns a random id: unguessable, and saying nothing
// of how many people used the server.
func newParticipantID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// idSet is a set of ids safe for concurrent use; its lock is taken
// last, with no other inside it.
type idSet struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (s *idSet) add(id string) {
	s.mu.Lock()
	s.ids[id] = struct{}{}
	s.mu.Unlock()
}

func (s *idSet) remove(id string) {
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
}

func (s *idSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ids[id]
	return ok
}
