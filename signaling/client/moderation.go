package client

import (
	"slices"

	"github.com/plenum-meet/plenum/sfu"
)

// moderationState is what the server said of roles, the room and the
// lobby; guarded by Client.mu.
type moderationState struct {
	role      sfu.Role
	lobbyID   string // our id while waiting in the lobby
	room      sfu.RoomState
	lobby     []sfu.LobbyEntry // those waiting, as a moderator is told
	mutedBy   string           // the moderator who last muted us
	muted     struct{ audio, video bool }
	unmuteAsk []string // participants who asked to unmute, in order
	allowed   int      // unmute-allowed messages received
}

func (c *Client) handleModeration(m *serverMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.moderation
	switch m.Type {
	case "lobby":
		s.lobbyID = m.ID
		select {
		case <-c.lobby:
		default:
			close(c.lobby)
		}
	case "lobby-joined":
		if m.Participant != nil {
			s.lobby = append(s.lobby, sfu.LobbyEntry{ID: m.Participant.ID, Name: m.Participant.Name})
		}
	case "lobby-left":
		s.lobby = slices.DeleteFunc(s.lobby, func(e sfu.LobbyEntry) bool { return e.ID == m.ID })
	case "role":
		s.role = m.Role
	case "room-state":
		s.room = sfu.RoomState{Locked: m.Locked, Lobby: m.Lobby, AskToUnmute: m.AskToUnmute, Password: m.Password}
	case "muted":
		if m.By != "" {
			s.mutedBy = m.By
		}
		s.muted.audio = s.muted.audio || m.Audio
		s.muted.video = s.muted.video || m.Video
	case "unmute-requested":
		s.unmuteAsk = append(s.unmuteAsk, m.ID)
	case "unmute-allowed":
		s.allowed++
		s.muted.audio, s.muted.video = false, false
	}
}

// Role is this client's role, as the welcome or a later role message said.
func (c *Client) Role() sfu.Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moderation.role
}

// Waiting reports whether the client waits in the lobby: told to wait,
// and not welcomed yet.
func (c *Client) Waiting() bool {
	select {
	case <-c.welcome:
		return false
	case <-c.lobby:
		return true
	default:
		return false
	}
}

// LobbyID is the id the client waits in the lobby under.
func (c *Client) LobbyID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moderation.lobbyID
}

// Admitted is closed when the welcome has arrived.
func (c *Client) Admitted() <-chan struct{} { return c.welcome }

// RoomState is the room's state as last announced.
func (c *Client) RoomState() sfu.RoomState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moderation.room
}

// Lobby lists who waits in the lobby, as a moderator is told.
func (c *Client) Lobby() []sfu.LobbyEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.moderation.lobby)
}

// MutedBy reports whether a moderator muted this client's microphone or
// camera (and did not allow it to unmute since), and who.
func (c *Client) MutedBy() (by string, audio, video bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.moderation
	return s.mutedBy, s.muted.audio, s.muted.video
}

// UnmuteAllowedCount is the number of unmute-allowed messages received.
func (c *Client) UnmuteAllowedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moderation.allowed
}

// UnmuteRequests lists who asked to unmute, as a moderator is told.
func (c *Client) UnmuteRequests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.moderation.unmuteAsk)
}

// Publish opens the up connection with synthetic media now, whatever
// the client's role (a viewer's attempt is refused by the server).
func (c *Client) Publish() error { return c.publish() }

// The moderator's messages. The client sends them whatever its role:
// the server decides.

// MuteParticipant asks the server to mute someone's microphone or camera.
func (c *Client) MuteParticipant(id string, audio, video bool) error {
	return c.send(map[string]any{"type": "mute-participant", "participant": id, "audio": audio, "video": video})
}

// MuteAll asks the server to mute everybody but the moderators.
func (c *Client) MuteAll(audio, video bool) error {
	return c.send(map[string]any{"type": "mute-all", "audio": audio, "video": video})
}

// AskToUnmute asks the moderators to allow this client to unmute.
func (c *Client) AskToUnmute() error { return c.send(map[string]any{"type": "ask-unmute"}) }

// AllowUnmute lets a participant muted by a moderator unmute.
func (c *Client) AllowUnmute(id string) error {
	return c.send(map[string]any{"type": "allow-unmute", "participant": id})
}

// Remove removes a participant, and with ban keeps them out.
func (c *Client) Remove(id string, ban bool) error {
	return c.send(map[string]any{"type": "remove", "participant": id, "ban": ban})
}

// SetRole gives a participant a role.
func (c *Client) SetRole(id string, role sfu.Role) error {
	return c.send(map[string]any{"type": "set-role", "participant": id, "role": role})
}

// RoomSettings changes the room's settings; nil fields are kept, and a
// password of "" removes it.
type RoomSettings struct {
	Locked      *bool   `json:"locked,omitempty"`
	Lobby       *bool   `json:"lobby,omitempty"`
	AskToUnmute *bool   `json:"askToUnmute,omitempty"`
	Password    *string `json:"password,omitempty"`
}

// ChangeRoom sends room-settings.
func (c *Client) ChangeRoom(s RoomSettings) error {
	return c.send(struct {
		Type string `json:"type"`
		RoomSettings
	}{"room-settings", s})
}

// Admit lets someone in from the lobby.
func (c *Client) Admit(id string) error {
	return c.send(map[string]any{"type": "admit", "participant": id})
}

// Deny refuses someone waiting in the lobby.
func (c *Client) Deny(id string) error {
	return c.send(map[string]any{"type": "deny", "participant": id})
}

// EndMeeting ends the meeting for everybody.
func (c *Client) EndMeeting() error { return c.send(map[string]any{"type": "end-meeting"}) }
