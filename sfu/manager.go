package sfu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
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

// Limits bound what one server accepts. Zero means no limit.
type Limits struct {
	MaxRooms               int
	MaxParticipantsPerRoom int
}

// Manager holds the rooms of one server. A room exists from its first
// participant's join to its last participant's leave.
type Manager struct {
	engine  *Engine
	limits  Limits
	log     *slog.Logger
	metrics *metrics

	mu     sync.Mutex // guards rooms and closed; taken before any Room.mu
	rooms  map[string]*Room
	closed bool
}

// NewManager returns a manager whose peer connections come from engine.
func NewManager(engine *Engine, limits Limits, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{engine: engine, limits: limits, log: log, metrics: newMetrics(), rooms: map[string]*Room{}}
}

// Join adds a participant named name to the room, creating the room if
// needed. sig receives the welcome before any other message.
func (m *Manager) Join(room, name string, sig Signaler) (*Participant, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	r := m.rooms[room]
	if r == nil {
		if m.limits.MaxRooms > 0 && len(m.rooms) >= m.limits.MaxRooms {
			m.mu.Unlock()
			return nil, ErrServerFull
		}
		r = newRoom(room, m)
		m.rooms[room] = r
	}
	p, err := newParticipant(newParticipantID(), name, r, sig)
	if err == nil {
		err = r.add(p, m.limits.MaxParticipantsPerRoom)
	}
	if err != nil {
		if r.empty() {
			delete(m.rooms, room)
			r.close()
		}
		m.mu.Unlock()
		if p != nil {
			p.closePeers()
		}
		return nil, err
	}
	m.mu.Unlock()

	m.log.Info("participant joined", "room", room, "participant", p.id)
	if p.alloc != nil {
		go p.alloc.run() // ends when the participant leaves
	}
	r.subscribeToAll(p)
	return p, nil
}

// leave removes p from its room and the room from the manager when it is
// left empty.
func (m *Manager) leave(p *Participant) {
	m.mu.Lock()
	r := p.room
	r.remove(p)
	if r.empty() && m.rooms[r.name] == r {
		delete(m.rooms, r.name)
		r.close()
	}
	m.mu.Unlock()
	m.log.Info("participant left", "room", r.name, "participant", p.id)
}

// RoomCount is the number of rooms with at least one participant.
func (m *Manager) RoomCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// ParticipantCount is the number of participants in all rooms.
func (m *Manager) ParticipantCount() int {
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	n := 0
	for _, r := range rooms {
		n += len(r.snapshot())
	}
	return n
}

// Close ends every participant's session with reason and refuses new
// joins. It returns when every peer connection is closed.
func (m *Manager) Close(reason error) {
	m.mu.Lock()
	m.closed = true
	var all []*Participant
	for _, r := range m.rooms {
		all = append(all, r.snapshot()...)
	}
	m.mu.Unlock()
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
