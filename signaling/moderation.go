package signaling

import (
	"errors"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/netlimit"
	"github.com/plenum-meet/plenum/signaling/auth"
)

// Access control and moderation: signed links and passwords at join, the
// lobby, and the moderators' messages. The rules themselves (who may do
// what) are the SFU's, checked under its room lock; this file only
// translates between messages and calls.

// RoomDefaults gives the settings a room starts with (see RoomsFile).
type RoomDefaults interface {
	RoomSettings(room string) sfu.RoomSettings
}

func (m *ClientMessage) validateModeration() *Error {
	needsTarget := m.Type != TypeMuteAll && m.Type != TypeAskUnmute && m.Type != TypeRoomSettings && m.Type != TypeEndMeeting
	if needsTarget && (m.Participant == "" || len(m.Participant) > maxIDBytes) {
		return protocolError(CodeBadMessage, "%s needs a participant", m.Type)
	}
	switch m.Type {
	case TypeMuteParticipant, TypeMuteAll:
		if !isTrue(m.Audio) && !isTrue(m.Video) {
			return protocolError(CodeBadMessage, "%s needs audio or video (or both) true", m.Type)
		}
	case TypeSetRole:
		if !m.Role.Valid() {
			return protocolError(CodeBadMessage, "set-role needs a role: moderator, participant or viewer")
		}
	case TypeRoomSettings:
		if m.Locked == nil && m.Lobby == nil && m.AskToUnmute == nil && m.Password == nil {
			return protocolError(CodeBadMessage, "room-settings changes nothing")
		}
		if m.Password != nil && *m.Password != "" && !auth.ValidPassword(*m.Password) {
			return protocolError(CodeBadMessage, "%v", auth.ErrBadPassword)
		}
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// A participant may set a room's password passwordChangeBurst times in a
// row, then once every passwordChangeRate: far above what a moderator
// does, far below what would keep a core busy hashing.
const (
	passwordChangeRate  = rate.Limit(0.2)
	passwordChangeBurst = 3
)

// A participant a moderator muted may ask to unmute askUnmuteBurst
// times in a row, then once every askUnmuteEvery: each request goes to
// every moderator, as a notice to act on, and one a second is already
// more than a person asks.
const (
	askUnmuteEvery = 5 * time.Second
	askUnmuteBurst = 2
)

// moderate handles the moderation messages of participant p.
func (s *session) moderate(p *sfu.Participant, m *ClientMessage) error {
	switch m.Type {
	case TypeMuteParticipant:
		return p.Mute(m.Participant, isTrue(m.Audio), isTrue(m.Video))
	case TypeMuteAll:
		return p.MuteAll(isTrue(m.Audio), isTrue(m.Video))
	case TypeAskUnmute:
		if !s.getLine().limits.askUnmute.Allow() {
			s.refuse(m.Type, CodeRateLimit, "you asked to unmute a moment ago: wait for a moderator")
			return nil
		}
		p.AskToUnmute()
		return nil
	case TypeAllowUnmute:
		return p.AllowUnmute(m.Participant)
	case TypeRemove:
		return p.Remove(m.Participant, isTrue(m.Ban))
	case TypeSetRole:
		return p.SetRole(m.Participant, m.Role)
	case TypeAdmit:
		return p.Admit(m.Participant)
	case TypeDeny:
		return p.Deny(m.Participant)
	case TypeEndMeeting:
		return p.EndMeeting()
	case TypeRoomSettings:
		if p.Role() != sfu.RoleModerator {
			// Checked again by the SFU; this spares a non-moderator the
			// cost of hashing a password.
			return sfu.ErrForbidden
		}
		c := sfu.RoomChange{Locked: m.Locked, Lobby: m.Lobby, AskToUnmute: m.AskToUnmute}
		if m.Password != nil {
			// Hashing costs milliseconds of CPU: a moderator of a room
			// of their own could otherwise spend cores on it.
			if !s.getLine().limits.passwordChanges.Allow() {
				s.refuse(m.Type, CodeRateLimit, "too many password changes: wait a moment")
				return nil
			}
			hash := ""
			if *m.Password != "" {
				var err error
				if hash, err = auth.HashPassword(*m.Password); err != nil {
					return protocolError(CodeBadMessage, "%v", err)
				}
			}
			c.Password = &hash
		}
		return p.ChangeSettings(c)
	}
	return nil
}

// joinRequest turns a join message into the SFU's request: the signed
// link checked, the password ready to be checked.
func (s *session) joinRequest(m *ClientMessage) (sfu.JoinRequest, error) {
	cfg := &s.srv.cfg
	req := sfu.JoinRequest{
		Room: m.Room, Name: m.Name, Addr: s.addr, Signaler: s, Admitted: s.admitted,
	}
	if cfg.Rooms != nil {
		req.Settings = cfg.Rooms.RoomSettings
	}
	if cfg.RequireToken {
		req.Settings = func(room string) sfu.RoomSettings {
			var st sfu.RoomSettings
			if cfg.Rooms != nil {
				st = cfg.Rooms.RoomSettings(room)
			}
			if st.Moderation == "" {
				st.Moderation = sfu.ModerationLinks // nobody moderates by coming first
			}
			return st
		}
	}
	if m.Password != nil && *m.Password != "" {
		typed := *m.Password
		req.Password = typed
		req.PasswordMatches = func(hash string) bool { return auth.CheckPassword(hash, typed) }
	}
	switch {
	case m.Token != "":
		if cfg.Links == nil {
			return req, protocolError(CodeBadToken, "this server does not accept signed links")
		}
		claims, err := cfg.Links.Verify(m.Token, m.Room, time.Now())
		if err != nil {
			return req, tokenError(err)
		}
		req.Role, req.LinkID, req.LinkPassword = sfu.Role(claims.Role), claims.ID, claims.Password
		if claims.Name != "" {
			name, ok := CleanDisplayName(claims.Name)
			if !ok {
				return req, protocolError(CodeBadToken, "the link's display name is not valid")
			}
			req.Name, req.PersonalLink = name, true
		}
	case cfg.RequireToken:
		return req, protocolError(CodeTokenRequired, "this server admits only people with a signed link")
	}
	return req, nil
}

func tokenError(err error) *Error {
	switch {
	case errors.Is(err, auth.ErrExpired):
		return protocolError(CodeTokenExpired, "the link has expired: %v", err)
	case errors.Is(err, auth.ErrWrongRoom):
		return protocolError(CodeWrongRoom, "the link is for another room")
	case errors.Is(err, auth.ErrBadSignature), errors.Is(err, auth.ErrMalformed):
		return protocolError(CodeBadToken, "the link is not valid: %v", err)
	default:
		return protocolError(CodeInternal, "cannot check the link: %v", err)
	}
}

// accessCodes map the SFU's access errors to error codes.
var accessCodes = []struct {
	err  error
	code string
}{
	{sfu.ErrForbidden, CodeForbidden},
	{sfu.ErrRoomLocked, CodeRoomLocked},
	{sfu.ErrBanned, CodeBanned},
	{sfu.ErrPasswordRequired, CodePasswordRequired},
	{sfu.ErrWrongPassword, CodeWrongPassword},
	{sfu.ErrTooManyAttempts, CodeRateLimit},
	{sfu.ErrLobbyDenied, CodeLobbyDenied},
	{sfu.ErrLobbyFull, CodeRoomFull},
	{sfu.ErrRemoved, CodeRemoved},
	{sfu.ErrMeetingEnded, CodeMeetingEnded},
}

// classifyAccess returns the protocol error of an access error, or nil.
func classifyAccess(err error) *Error {
	for _, a := range accessCodes {
		if errors.Is(err, a.err) {
			return protocolError(a.code, "%v", err)
		}
	}
	return nil
}

// addrOf is the client, as per-address limits and bans count it, from an
// HTTP request's RemoteAddr (netlimit.Client: IPv6 by its /64).
func addrOf(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return netlimit.Client(ap.Addr())
}

// admitted records the participant the session speaks for, once it is
// in its room: at once, or when a moderator admits it from the lobby.
func (s *session) admitted(p *sfu.Participant) {
	s.mu.Lock()
	s.participant = p
	s.mu.Unlock()
}

// Server messages of access control and moderation.

type lobbyMessage struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Room string `json:"room"`
}

type lobbyJoinedMessage struct {
	Type        string         `json:"type"`
	Participant sfu.LobbyEntry `json:"participant"`
}

type roleMessage struct {
	Type string   `json:"type"`
	Role sfu.Role `json:"role"`
}

type roomStateMessage struct {
	Type string `json:"type"`
	sfu.RoomState
}

type mutedMessage struct {
	Type  string `json:"type"`
	By    string `json:"by,omitempty"`
	Audio bool   `json:"audio"`
	Video bool   `json:"video"`
}

// The sfu.RoomSignaler methods: each only queues a message.

func (s *session) Waiting(id string) {
	s.sendJSON(lobbyMessage{Type: TypeLobby, ID: id, Room: s.roomOf()})
}

func (s *session) LobbyChanged(e sfu.LobbyEntry, waiting bool) {
	if waiting {
		s.sendJSON(lobbyJoinedMessage{Type: TypeLobbyJoined, Participant: e})
	} else {
		s.sendJSON(leftMessage{Type: TypeLobbyLeft, ID: e.ID})
	}
}

func (s *session) RoleChanged(role sfu.Role) {
	s.sendJSON(roleMessage{Type: TypeRole, Role: role})
}

func (s *session) RoomStateChanged(st *sfu.Shared[sfu.RoomState]) {
	sendShared(s, st, func(st sfu.RoomState) any { return roomStateMessage{Type: TypeRoomState, RoomState: st} })
}

func (s *session) ForcedMute(by string, audio, video bool) {
	s.sendJSON(mutedMessage{Type: TypeMuted, By: by, Audio: audio, Video: video})
}

func (s *session) UnmuteRequested(id string) {
	s.sendJSON(leftMessage{Type: TypeUnmuteRequested, ID: id})
}

func (s *session) UnmuteAllowed() { s.sendJSON(bareMessage{Type: TypeUnmuteAllowed}) }
