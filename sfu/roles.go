package sfu

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Role says what a participant may do in a room. The server enforces
// it: a client's claim to a role counts for nothing.
type Role string

// The roles.
const (
	// RoleModerator may publish and moderate: mute others, remove them,
	// lock the room, run the lobby, give roles, end the meeting.
	RoleModerator Role = "moderator"
	// RoleParticipant may publish.
	RoleParticipant Role = "participant"
	// RoleViewer receives only: its up offers are refused.
	RoleViewer Role = "viewer"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleModerator || r == RoleParticipant || r == RoleViewer
}

// Moderation says who moderates a room.
type Moderation string

// The ways a room gets its moderators.
const (
	// ModerationFirst makes the first person in the room moderator, and
	// when the last moderator leaves, whoever has been there longest
	// (viewers aside). Moderator links work too. The default of an open
	// server.
	ModerationFirst Moderation = "first"
	// ModerationLinks leaves moderation to holders of moderator links;
	// with none present, nobody moderates (and a lobby waits for one).
	ModerationLinks Moderation = "links"
)

// Errors of access control and moderation, each ending a session. The
// signaling package turns each into an error code.
var (
	// ErrForbidden means the participant's role does not allow the action.
	ErrForbidden = errors.New("your role does not allow this")
	// ErrRoomLocked means a moderator locked the room.
	ErrRoomLocked = errors.New("the room is locked")
	// ErrBanned means a moderator removed this person (by link, or by
	// address for those without one) for the rest of the meeting.
	ErrBanned = errors.New("you were removed from this meeting and may not come back")
	// ErrPasswordRequired means the room has a password and none was given.
	ErrPasswordRequired = errors.New("the room has a password")
	// ErrWrongPassword means the password given is not the room's.
	ErrWrongPassword = errors.New("wrong password")
	// ErrTooManyAttempts means too many wrong passwords were given from
	// the client's address, or for the room, lately (see attempts.go).
	ErrTooManyAttempts = errors.New("too many wrong passwords, from your address or for this room; try again in a minute")
	// ErrLobbyDenied means a moderator did not let the newcomer in.
	ErrLobbyDenied = errors.New("a moderator did not let you in")
	// ErrLobbyFull means too many people wait in the room's lobby.
	ErrLobbyFull = errors.New("too many people are waiting to enter this room")
	// ErrRemoved means a moderator removed the participant.
	ErrRemoved = errors.New("a moderator removed you from the meeting")
	// ErrMeetingEnded means a moderator ended the meeting for everyone,
	// or everybody left while the newcomer waited in the lobby.
	ErrMeetingEnded = errors.New("the meeting has ended")
)

// RoomSettings are a room's access rules. A room starts with the
// settings JoinRequest.Settings gives (say, from the admin's rooms
// file); its moderators change them during the meeting.
type RoomSettings struct {
	// Password, if set, is a password hash the signaling layer made (the
	// SFU only compares it): newcomers without a link must give the
	// password.
	Password string
	// MaxParticipants, if positive, replaces Limits.MaxParticipantsPerRoom.
	MaxParticipants int
	// Locked refuses newcomers, but holders of moderator links.
	Locked bool
	// Lobby makes newcomers wait until a moderator admits them; holders
	// of moderator links come straight in.
	Lobby bool
	// AskToUnmute keeps those a moderator muted muted until a moderator
	// allows them to unmute.
	AskToUnmute bool
	// Moderation says who moderates; empty means ModerationFirst.
	Moderation Moderation
}

// RoomState is what everybody in a room is told of its settings.
type RoomState struct {
	Locked      bool `json:"locked"`
	Lobby       bool `json:"lobby"`
	AskToUnmute bool `json:"askToUnmute"`
	Password    bool `json:"password"`
}

// RoomChange is a moderator's change of settings; nil fields are kept.
type RoomChange struct {
	Locked, Lobby, AskToUnmute *bool
	// Password is a password hash, "" to remove the password.
	Password *string
}

// JoinRequest is everything a join brings: who, where, with what right.
type JoinRequest struct {
	Room, Name string
	// Role is the role a signed link grants; "" without a link.
	Role Role
	// LinkID names the signed link used, "" without one. Holders of a
	// link need no password; a ban of one keeps its link out.
	LinkID string
	// PersonalLink says the link names its holder (plenum link --name):
	// whoever comes with it, from however many devices at once, is one
	// person, with one ballot in each vote.
	PersonalLink bool
	// LinkPassword, a password hash from the link, becomes the room's
	// password if it has none.
	LinkPassword string
	// Addr is the client's address (signaling gives an IPv6 client's
	// /64, which one host may hold whole): a ban of someone without a
	// link keeps that address out for the rest of the meeting.
	Addr netip.Addr
	// Password is the password the newcomer typed, "" for none, and
	// PasswordMatches checks it against a room's password hash (it is
	// slow on purpose and is called with no lock held).
	Password        string
	PasswordMatches func(hash string) bool
	// Settings gives the settings of a room this join creates; nil means
	// the zero RoomSettings.
	Settings func(room string) RoomSettings
	// Signaler carries the SFU's messages to the client.
	Signaler Signaler
	// Admitted, if set, is called with the participant as it enters the
	// room, before its welcome is sent: at once, or when a moderator
	// admits it from the lobby. It must not block.
	Admitted func(*Participant)
}

// RoomSignaler carries the messages of access control and moderation.
// A Signaler that implements it receives them; like Signaler's, its
// methods are called with room locks held and must only queue.
type RoomSignaler interface {
	// Waiting tells a newcomer that it waits in the lobby, as id.
	Waiting(id string)
	// LobbyChanged tells a moderator that someone started (waiting true)
	// or stopped waiting in the lobby.
	LobbyChanged(entry LobbyEntry, waiting bool)
	// RoleChanged tells a participant its new role.
	RoleChanged(role Role)
	// RoomStateChanged tells the room's settings, after the welcome and
	// whenever they change.
	RoomStateChanged(state *Shared[RoomState])
	// ForcedMute tells a participant that moderator by muted its
	// microphone (audio) or camera (video); by is "" when the server
	// only repeats it (an unmute refused in ask-to-unmute mode).
	ForcedMute(by string, audio, video bool)
	// UnmuteRequested tells a moderator that participant id asks to unmute.
	UnmuteRequested(id string)
	// UnmuteAllowed tells a participant that a moderator allows it to unmute.
	UnmuteAllowed()
}

// LobbyEntry is what moderators see of someone waiting in the lobby.
type LobbyEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// roomSignals returns sig's RoomSignaler, or one that drops everything.
func roomSignals(sig Signaler) RoomSignaler {
	if rs, ok := sig.(RoomSignaler); ok {
		return rs
	}
	return noRoomSignals{}
}

type noRoomSignals struct{}

func (noRoomSignals) Waiting(string)                      {}
func (noRoomSignals) LobbyChanged(LobbyEntry, bool)       {}
func (noRoomSignals) RoleChanged(Role)                    {}
func (noRoomSignals) RoomStateChanged(*Shared[RoomState]) {}
func (noRoomSignals) ForcedMute(string, bool, bool)       {}
func (noRoomSignals) UnmuteRequested(string)              {}
func (noRoomSignals) UnmuteAllowed()                      {}

// Role is the participant's role in its room.
func (p *Participant) Role() Role {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.info.Role
}

func (p *Participant) setRole(r Role) {
	p.mu.Lock()
	p.info.Role = r
	p.mu.Unlock()
}

// The moderator's actions. Each checks, under the room lock, that p is
// a moderator and fails with ErrForbidden otherwise. An action on
// someone who has just left does nothing.

// Mute mutes participant id's microphone (audio) or camera (video) for
// everybody: the server stops forwarding the track at once, and tells
// the participant to turn the device off. It may unmute itself, unless
// the room asks to unmute (see AllowUnmute).
func (p *Participant) Mute(id string, audio, video bool) error {
	return p.moderate(id, func(r *Room, target *Participant) func() {
		k := r.muteLocked(p.id, target, audio, video)
		return func() { r.cutOff(target.id, k) }
	})
}

// moderate runs act on participant id under the room lock if p is a
// moderator, then, unlocked, what act returns (nil: nothing). An action
// on someone who has just left does nothing.
func (p *Participant) moderate(id string, act func(r *Room, target *Participant) (after func())) error {
	r := p.room
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	var after func()
	if target := r.findLocked(id); target != nil {
		after = act(r, target)
	}
	r.mu.Unlock()
	if after != nil {
		after()
	}
	return nil
}

// MuteAll mutes everybody but the moderators, as Mute does.
func (p *Participant) MuteAll(audio, video bool) error {
	r := p.room
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	var muted []*Participant
	var kinds []heldKinds
	for _, o := range r.participants {
		if o.Role() == RoleParticipant {
			muted = append(muted, o)
			kinds = append(kinds, r.muteLocked(p.id, o, audio, video))
		}
	}
	r.mu.Unlock()
	for i, o := range muted {
		r.cutOff(o.id, kinds[i])
	}
	return nil
}

// muteLocked holds target's media of the kinds asked, marks it muted
// and tells everybody. It returns the kinds held.
func (r *Room) muteLocked(by string, target *Participant, audio, video bool) heldKinds {
	var k heldKinds
	if audio {
		k |= holdAudio
	}
	if video {
		k |= holdVideo
	}
	if k == 0 {
		return 0
	}
	r.holds.add(target.id, k)
	target.mu.Lock()
	target.info.AudioMuted = target.info.AudioMuted || audio
	target.info.VideoMuted = target.info.VideoMuted || video
	info := target.info
	target.mu.Unlock()
	roomSignals(target.sig).ForcedMute(by, audio, video)
	r.tellOthersLocked(target, info)
	return k
}

// AskToUnmute tells the moderators that p, muted by one of them, asks to
// unmute. It does nothing if p is not held.
func (p *Participant) AskToUnmute() {
	r := p.room
	if r.holds.of(p.id) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.participants {
		if o.Role() == RoleModerator {
			roomSignals(o.sig).UnmuteRequested(p.id)
		}
	}
}

// AllowUnmute lets participant id unmute itself: the server forwards its
// media again, and its client may turn its devices back on.
func (p *Participant) AllowUnmute(id string) error {
	return p.moderate(id, func(r *Room, target *Participant) func() {
		k := r.holds.remove(target.id, holdAudio|holdVideo)
		roomSignals(target.sig).UnmuteAllowed()
		target.mu.Lock()
		target.unmuteOwed = target.loss.detached
		target.mu.Unlock()
		return func() { r.restore(target.id, k) }
	})
}

// Remove ends participant id's session (or, for someone in the lobby,
// refuses them). With ban, they may not come back for the rest of the
// meeting: not with the same link, nor, without a link, from the same
// address.
func (p *Participant) Remove(id string, ban bool) error {
	r := p.room
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	var banned []*Waiter
	target := r.findLocked(id)
	if target == nil {
		w := r.takeWaiterLocked(id)
		if w != nil && ban {
			banned = r.banLocked(w.req.LinkID, w.req.Addr)
		}
		r.mu.Unlock()
		if w != nil {
			w.req.Signaler.Fail(ErrLobbyDenied)
		}
		refuseBanned(banned)
		return nil
	}
	if ban {
		banned = r.banLocked(target.linkID, target.addr)
	}
	r.mu.Unlock()
	r.manager.log.Info("participant removed by a moderator", "room", r.name, "participant", target.id, "by", p.id, "ban", ban)
	target.fail(ErrRemoved)
	refuseBanned(banned)
	return nil
}

// banLocked bans a link or, for someone who came without one, an
// address, and takes out of the lobby whoever waits there under the
// ban (the banned person's other device, or a second session they
// opened under another name): admitted later, or let in with everyone
// when the lobby is switched off, they would be back in the meeting.
// Those taken out are returned, to be refused with no lock held.
func (r *Room) banLocked(linkID string, addr netip.Addr) (refused []*Waiter) {
	r.access.ban(linkID, addr)
	for _, w := range slices.Clone(r.access.lobby) {
		if r.access.banned(&w.req) {
			refused = append(refused, r.takeWaiterLocked(w.id))
		}
	}
	return refused
}

// refuseBanned ends the waits banLocked took out of the lobby.
func refuseBanned(waiters []*Waiter) {
	for _, w := range waiters {
		w.req.Signaler.Fail(ErrBanned)
	}
}

// SetRole gives participant id a role. A participant made viewer stops
// publishing at once: its up connection is closed.
func (p *Participant) SetRole(id string, role Role) error {
	if !role.Valid() {
		return fmt.Errorf("unknown role %q: %w", role, ErrProtocol)
	}
	return p.moderate(id, func(r *Room, target *Participant) func() {
		if target.Role() == role {
			return nil
		}
		r.setRoleLocked(target, role)
		if role != RoleModerator {
			// The last moderator stepping down (or being demoted by
			// another) hands on, as one leaving does: otherwise the
			// next newcomer would moderate, past the lobby.
			r.passOnModerationLocked(target)
		}
		return func() {
			r.manager.log.Info("role given by a moderator", "room", r.name, "participant", target.id, "role", role, "by", p.id)
			if role == RoleViewer {
				target.stopPublishing()
			}
		}
	})
}

// setRoleLocked gives target its role and tells everybody; a new
// moderator is told who waits in the lobby.
func (r *Room) setRoleLocked(target *Participant, role Role) {
	target.mu.Lock()
	target.info.Role = role
	target.demoted = target.demoted || role == RoleViewer
	target.mu.Unlock()
	roomSignals(target.sig).RoleChanged(role)
	if role == RoleViewer {
		now := time.Now()
		r.assembly.Demoted(target.id, r.ballotHeirLocked(target), now) // a viewer neither speaks nor votes
		r.broadcastAssemblyLocked(now)
	}
	r.tellOthersLocked(target, target.Info())
	if role == RoleModerator {
		rs := roomSignals(target.sig)
		for _, w := range r.access.lobby {
			rs.LobbyChanged(w.entry(), true)
		}
	}
}

// ChangeSettings applies a moderator's change to the room's settings and
// tells everybody. Switching the lobby off lets in whoever waits.
func (p *Participant) ChangeSettings(c RoomChange) error {
	r := p.room
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	s := &r.access.settings
	if c.Locked != nil {
		s.Locked = *c.Locked
	}
	if c.Lobby != nil {
		s.Lobby = *c.Lobby
	}
	if c.AskToUnmute != nil {
		s.AskToUnmute = *c.AskToUnmute
	}
	if c.Password != nil {
		s.Password = *c.Password
	}
	r.broadcastStateLocked()
	r.manager.log.Info("room settings changed", "room", r.name, "by", p.id, "locked", s.Locked, "lobby", s.Lobby,
		"askToUnmute", s.AskToUnmute, "password", s.Password != "")
	var admit []*Waiter
	if !s.Lobby {
		for len(r.access.lobby) > 0 {
			admit = append(admit, r.takeWaiterLocked(r.access.lobby[0].id))
		}
	}
	r.mu.Unlock()
	for _, w := range admit {
		r.manager.admit(r, w)
	}
	return nil
}

// EndMeeting ends every session in the room, the lobby's too, with
// ErrMeetingEnded, p's own included. The room's name is free at once
// for a new meeting.
func (p *Participant) EndMeeting() error {
	r := p.room
	m := r.manager
	r.mu.Lock()
	if err := r.checkModeratorLocked(p); err != nil {
		r.mu.Unlock()
		return err
	}
	r.ended = ErrMeetingEnded
	waiters := r.access.lobby
	r.access.lobby = nil
	r.countLocked()
	everyone := slices.Clone(r.participants)
	r.mu.Unlock()
	m.mu.Lock()
	if m.rooms[r.name] == r {
		delete(m.rooms, r.name)
	}
	m.mu.Unlock()
	m.log.Info("meeting ended by a moderator", "room", r.name, "participant", p.id)
	for _, w := range waiters {
		w.req.Signaler.Fail(ErrMeetingEnded)
	}
	for _, o := range everyone {
		o.fail(ErrMeetingEnded)
	}
	return nil
}

// State is what the room tells everybody of its settings.
func (r *Room) State() RoomState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stateLocked()
}

func (r *Room) stateLocked() RoomState {
	s := r.access.settings
	return RoomState{Locked: s.Locked, Lobby: s.Lobby, AskToUnmute: s.AskToUnmute, Password: s.Password != ""}
}

func (r *Room) broadcastStateLocked() {
	st := Share(r.stateLocked())
	for _, o := range r.participants {
		roomSignals(o.sig).RoomStateChanged(st)
	}
}

func (r *Room) checkModeratorLocked(p *Participant) error {
	if p.Role() != RoleModerator || !slices.Contains(r.participants, p) {
		return fmt.Errorf("%w: only a moderator may do that", ErrForbidden)
	}
	return nil
}

func (r *Room) findLocked(id string) *Participant {
	for _, o := range r.participants {
		if o.id == id {
			return o
		}
	}
	return nil
}

func (r *Room) hasModeratorLocked() bool {
	return slices.ContainsFunc(r.participants, func(o *Participant) bool { return o.Role() == RoleModerator })
}

// roleForLocked is the role a newcomer enters with: its link's, or
// participant; in a room moderated by the first comer, moderator if
// nobody moderates.
func (r *Room) roleForLocked(req *JoinRequest) Role {
	role := req.Role
	if role == "" {
		role = RoleParticipant
	}
	if role == RoleParticipant && r.access.settings.Moderation != ModerationLinks && !r.hasModeratorLocked() {
		role = RoleModerator
	}
	return role
}

// passOnModerationLocked makes whoever has been in the room longest,
// but except, moderator when the last moderator has left (or stepped
// down) in a room moderated by the first comer.
func (r *Room) passOnModerationLocked(except *Participant) {
	if r.access.settings.Moderation == ModerationLinks || r.hasModeratorLocked() {
		return
	}
	for _, o := range r.participants {
		if o != except && o.Role() == RoleParticipant {
			r.setRoleLocked(o, RoleModerator)
			r.manager.log.Info("moderation passed on", "room", r.name, "participant", o.id)
			return
		}
	}
}

// stopPublishing closes the up connection of a participant made viewer;
// its tracks end and leave everybody. A failure of that connection is
// forgotten: it would end, once the grace is over, a participant whose
// down connection is fine.
func (p *Participant) stopPublishing() {
	p.mu.Lock()
	up := p.up
	p.up = nil
	delete(p.loss.failed, Up)
	p.stopGraceUnlessLostLocked()
	p.mu.Unlock()
	if up != nil {
		p.closeMu.Lock()
		_ = up.Close()
		p.closeMu.Unlock()
	}
}
