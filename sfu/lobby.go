package sfu

import (
	"net/netip"
	"slices"
	"sync"
)

// Access limits.
const (
	// maxLobby bounds the people waiting in one room's lobby, so that a
	// flood of newcomers costs little memory and moderators a readable
	// list.
	maxLobby = 100
)

// roomAccess is a room's access state, guarded by Room.mu.
type roomAccess struct {
	settings RoomSettings
	lobby    []*Waiter
	// Bans last as long as the room: those of people who came with a link
	// name the link, the others their address.
	bannedLinks map[string]bool
	bannedAddrs map[netip.Addr]bool
}

func (a *roomAccess) ban(linkID string, addr netip.Addr) {
	switch {
	case linkID != "":
		if a.bannedLinks == nil {
			a.bannedLinks = map[string]bool{}
		}
		a.bannedLinks[linkID] = true
	case addr.IsValid():
		if a.bannedAddrs == nil {
			a.bannedAddrs = map[netip.Addr]bool{}
		}
		a.bannedAddrs[addr] = true
	}
}

func (a *roomAccess) banned(req *JoinRequest) bool {
	if req.LinkID != "" {
		return a.bannedLinks[req.LinkID]
	}
	return req.Addr.IsValid() && a.bannedAddrs[req.Addr]
}

// Waiter is someone in a room's lobby: no peer connection, no list of
// participants, nothing but the wait until a moderator admits or
// refuses them.
type Waiter struct {
	id   string
	req  JoinRequest
	room *Room

	// mu guards left and p. Locks are taken in this order: Waiter.mu,
	// Room.mu, Participant.mu (Manager.mu is never held with another).
	mu   sync.Mutex
	left bool
	p    *Participant // once admitted
}

// ID is the waiter's id, which becomes its participant id on admission.
func (w *Waiter) ID() string { return w.id }

func (w *Waiter) entry() LobbyEntry { return LobbyEntry{ID: w.id, Name: w.req.Name} }

// Leave ends the wait; if the waiter was admitted meanwhile, it leaves
// the room.
func (w *Waiter) Leave() {
	w.mu.Lock()
	w.left = true
	p := w.p
	w.mu.Unlock()
	if p != nil {
		p.Leave()
		return
	}
	r := w.room
	r.mu.Lock()
	r.takeWaiterLocked(w.id)
	r.mu.Unlock()
	m := r.manager
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropIfEmptyLocked(r)
}

// takeWaiterLocked removes waiter id from the lobby and tells the
// moderators; it returns nil if nobody by that id waits.
func (r *Room) takeWaiterLocked(id string) *Waiter {
	i := slices.IndexFunc(r.access.lobby, func(w *Waiter) bool { return w.id == id })
	if i < 0 {
		return nil
	}
	w := r.access.lobby[i]
	r.access.lobby = slices.Delete(r.access.lobby, i, i+1)
	r.countLocked()
	for _, o := range r.participants {
		if o.Role() == RoleModerator {
			roomSignals(o.sig).LobbyChanged(w.entry(), false)
		}
	}
	return w
}

// Admit lets waiter id into the room.
func (p *Participant) Admit(id string) error {
	r := p.room
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	w := r.takeWaiterLocked(id)
	r.mu.Unlock()
	if w != nil {
		r.manager.admit(r, w)
	}
	return nil
}

// Deny refuses waiter id: its session ends with ErrLobbyDenied.
func (p *Participant) Deny(id string) error {
	r := p.room
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	w := r.takeWaiterLocked(id)
	r.mu.Unlock()
	if w != nil {
		w.req.Signaler.Fail(ErrLobbyDenied)
	}
	return nil
}

// screen decides, under the room lock, whether a newcomer may enter the
// room now, must wait in the lobby (w), or is refused. hash is the room
// password the caller checked the typed password against (verified);
// if the room's password changed since, screen returns
// errPasswordChanged and the caller checks again.
func (r *Room) screen(req *JoinRequest, hash string, verified bool) (*Waiter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := &r.access
	moderatorLink := req.Role == RoleModerator
	switch {
	case r.ended != nil:
		return nil, r.ended
	case a.banned(req):
		return nil, ErrBanned
	case a.settings.Locked && !moderatorLink:
		return nil, ErrRoomLocked
	}
	if req.LinkID == "" && a.settings.Password != "" {
		switch {
		case a.settings.Password != hash:
			return nil, errPasswordChanged
		case req.Password == "":
			return nil, ErrPasswordRequired
		case !verified:
			return nil, ErrWrongPassword
		}
	}
	if req.LinkPassword != "" && a.settings.Password == "" {
		a.settings.Password = req.LinkPassword
		r.broadcastStateLocked()
	}
	waitForModerator := r.hasModeratorLocked() || a.settings.Moderation == ModerationLinks
	if !a.settings.Lobby || moderatorLink || !waitForModerator {
		return nil, nil
	}
	if len(a.lobby) >= maxLobby {
		return nil, ErrLobbyFull
	}
	w := &Waiter{id: newParticipantID(), req: *req, room: r}
	a.lobby = append(a.lobby, w)
	r.countLocked()
	roomSignals(req.Signaler).Waiting(w.id)
	for _, o := range r.participants {
		if o.Role() == RoleModerator {
			roomSignals(o.sig).LobbyChanged(w.entry(), true)
		}
	}
	return w, nil
}

// admit turns a waiter taken from the lobby into a participant.
func (m *Manager) admit(r *Room, w *Waiter) {
	m.mu.Lock()
	if m.closed || m.rooms[r.name] != r {
		m.mu.Unlock()
		w.req.Signaler.Fail(ErrMeetingEnded)
		return
	}
	r.joining++
	m.mu.Unlock()
	defer m.doneJoining(r)
	w.mu.Lock()
	if w.left {
		w.mu.Unlock()
		return
	}
	p, err := m.addParticipant(r, w.id, &w.req)
	w.p = p
	w.mu.Unlock()
	if err != nil {
		w.req.Signaler.Fail(err)
		return
	}
	m.started(p)
}

// passwordFor returns the password hash that a join without a link must
// match: the room's, or for a room the join would create, its settings'.
func (m *Manager) passwordFor(room string, settings RoomSettings) string {
	m.mu.Lock()
	r := m.rooms[room]
	m.mu.Unlock()
	if r == nil {
		return settings.Password
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.access.settings.Password
}
