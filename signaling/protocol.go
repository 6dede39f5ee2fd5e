package signaling

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/looks"
	"github.com/plenum-meet/plenum/signaling/auth"
)

// ProtocolVersion is the version of PROTOCOL.md this package speaks.
const ProtocolVersion = 1

// MaxMessageBytes caps one client message. The largest legitimate one
// is a session description, a few kilobytes for a browser's offer.
const MaxMessageBytes = 64 << 10

// Field limits, as PROTOCOL.md states them.
const (
	maxNameRunes      = 64
	maxCandidateBytes = 1024
	maxMidBytes       = 32
	maxMLineIndex     = 1024
	maxViewHeight     = 8192
	maxIDBytes        = 64
	maxScreenMids     = 4
)

// View sources: which of a publisher's videos a view is about.
const (
	SourceCamera = "camera"
	SourceScreen = "screen"
)

// Client message types.
const (
	TypeJoin      = "join"
	TypeOffer     = "offer"
	TypeAnswer    = "answer"
	TypeCandidate = "candidate"
	TypeMute      = "mute"
	TypePing      = "ping"
	TypeLeave     = "leave"
	TypeView      = "view"
	// Resuming a session (resume.go).
	TypeResume     = "resume"
	TypeICERestart = "ice-restart"

	// Moderation and access control (moderation.go).
	TypeMuteParticipant = "mute-participant"
	TypeMuteAll         = "mute-all"
	TypeAskUnmute       = "ask-unmute"
	TypeAllowUnmute     = "allow-unmute"
	TypeRemove          = "remove"
	TypeSetRole         = "set-role"
	TypeRoomSettings    = "room-settings"
	TypeAdmit           = "admit"
	TypeDeny            = "deny"
	TypeEndMeeting      = "end-meeting"

	// Chat and reactions (chat.go); chat is also a server message.
	TypeChat  = "chat"
	TypeReact = "react"
)

// Server message types.
const (
	TypeWelcome            = "welcome"
	TypePong               = "pong"
	TypeParticipantJoined  = "participant-joined"
	TypeParticipantUpdated = "participant-updated"
	TypeParticipantLeft    = "participant-left"
	TypeLayers             = "layers"
	TypeSpeaker            = "speaker"
	TypeError              = "error"

	// Moderation and access control.
	TypeLobby           = "lobby"
	TypeLobbyJoined     = "lobby-joined"
	TypeLobbyLeft       = "lobby-left"
	TypeRole            = "role"
	TypeRoomState       = "room-state"
	TypeMuted           = "muted"
	TypeUnmuteRequested = "unmute-requested"
	TypeUnmuteAllowed   = "unmute-allowed"

	// Chat and reactions.
	TypeChatHistory = "chat-history"
	TypeReaction    = "reaction"
	TypeRefused     = "refused"
)

// Error codes sent in error messages.
const (
	CodeBadMessage     = "bad-message"
	CodeBadRoom        = "bad-room"
	CodeBadName        = "bad-name"
	CodeVersion        = "version"
	CodeRateLimit      = "rate-limit"
	CodeRoomFull       = "room-full"
	CodeServerFull     = "server-full"
	CodeMediaFailed    = "media-failed"
	CodeServerShutdown = "server-shutdown"
	CodeInternal       = "internal"
	// CodeResumeFailed refuses a resume: the token is unknown, forged or
	// expired, or the participant has already left. Join again.
	CodeResumeFailed = "resume-failed"
	// CodeAnswerTimeout ends a session whose client did not answer the
	// server's offer in time (sfu.ErrAnswerTimeout).
	CodeAnswerTimeout = "answer-timeout"

	// Access control and moderation.
	CodeForbidden        = "forbidden"
	CodeTokenRequired    = "token-required"
	CodeBadToken         = "bad-token"
	CodeTokenExpired     = "token-expired"
	CodeWrongRoom        = "wrong-room"
	CodeRoomLocked       = "room-locked"
	CodeBanned           = "banned"
	CodePasswordRequired = "password-required"
	CodeWrongPassword    = "wrong-password"
	CodeLobbyDenied      = "lobby-denied"
	CodeRemoved          = "removed"
	CodeMeetingEnded     = "meeting-ended"
	// CodeLinkRevoked ends the stay of someone who came with a signed
	// link that a new key voided (plenum link rotate-key).
	CodeLinkRevoked = "link-revoked"
)

// ClientMessage is any message a client may send; which fields matter
// depends on Type. Decode it with DecodeClientMessage, which validates it.
type ClientMessage struct {
	Type      string                   `json:"type"`
	Version   int                      `json:"version,omitempty"`
	Room      string                   `json:"room,omitempty"`
	Name      string                   `json:"name,omitempty"`
	PC        sfu.PeerRole             `json:"pc,omitempty"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Audio     *bool                    `json:"audio,omitempty"`
	Video     *bool                    `json:"video,omitempty"`
	// Participant, Height and Visible describe how a client shows one
	// publisher's video (view).
	Participant string `json:"participant,omitempty"`
	Height      *int   `json:"height,omitempty"`
	Visible     *bool  `json:"visible,omitempty"`
	// Source says which video of the publisher a view is about: "camera"
	// (the default) or "screen".
	Source string `json:"source,omitempty"`
	// Screen lists the media ids of an up offer that carry a screen
	// share (offer).
	Screen []string `json:"screen,omitempty"`
	// Token is a signed link's token (join).
	Token string `json:"token,omitempty"`
	// Password is the room password typed (join), or a new one, "" for
	// none (room-settings).
	Password *string `json:"password,omitempty"`
	// Ban keeps a removed participant out (remove).
	Ban *bool `json:"ban,omitempty"`
	// Role is the role given (set-role).
	Role sfu.Role `json:"role,omitempty"`
	// Locked, Lobby and AskToUnmute change the room's settings
	// (room-settings).
	Locked      *bool `json:"locked,omitempty"`
	Lobby       *bool `json:"lobby,omitempty"`
	AskToUnmute *bool `json:"askToUnmute,omitempty"`
	// Text is a chat message, To its recipient's id for a private one
	// (chat).
	Text string `json:"text,omitempty"`
	To   string `json:"to,omitempty"`
	// Emoji is one of the reactions (react).
	Emoji string `json:"emoji,omitempty"`
	// Returning says the client leaves to come back at once, its page
	// reloading (leave): the participant is kept for the return hold
	// (sfu.ReturnHold) for it to resume with new peer connections.
	Returning bool `json:"returning,omitempty"`
	// The speaking queue's, the votes' and the minutes' (assembly.go).
	assemblyFields
}

// Error is a protocol error: it ends the session, and its code and
// reason are sent to the client first.
type Error struct {
	Code   string
	Reason string
}

func (e *Error) Error() string { return e.Code + ": " + e.Reason }

func protocolError(code, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// reservedRooms are names the server uses for itself at the top level.
var reservedRooms = map[string]bool{
	"healthz": true, "readyz": true, "metrics": true, "favicon.ico": true, "robots.txt": true,
}

var roomPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$`)

// ValidRoomName reports whether name can be a room's name (and so the
// path of its URL).
func ValidRoomName(name string) bool {
	return roomPattern.MatchString(name) && !reservedRooms[strings.ToLower(name)]
}

// CleanDisplayName trims a display name and checks it; ok is false for
// names that look blank (looks.Blank: empty, or only spaces and
// invisible characters), are too long, not UTF-8 or hold control
// characters, bidirectional controls or replacement characters.
func CleanDisplayName(name string) (clean string, ok bool) {
	clean = strings.TrimSpace(name)
	if looks.Blank(clean) || !utf8.ValidString(clean) || utf8.RuneCountInString(clean) > maxNameRunes {
		return "", false
	}
	for _, r := range clean {
		// U+FFFD is what JSON makes of an escaped lone surrogate: the
		// client's text was not valid Unicode.
		if unicode.IsControl(r) || looks.BidiControl(r) || r == utf8.RuneError {
			return "", false
		}
	}
	return clean, true
}

// refuseText is the error for a text that failed its check: code with
// the reason looks.Refusal gives for text, or else with the one format
// gives.
func refuseText(code, text, format string, args ...any) *Error {
	if why := looks.Refusal(text); why != "" {
		return protocolError(code, "%s", why)
	}
	return protocolError(code, format, args...)
}

// DecodeClientMessage parses and validates one client message. The
// returned error is always an *Error.
func DecodeClientMessage(data []byte) (*ClientMessage, error) {
	if len(data) > MaxMessageBytes {
		return nil, protocolError(CodeBadMessage, "message of %d bytes exceeds %d", len(data), MaxMessageBytes)
	}
	if !utf8.Valid(data) {
		return nil, protocolError(CodeBadMessage, "message is not valid UTF-8")
	}
	var m ClientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, protocolError(CodeBadMessage, "not a JSON message: %v", err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *ClientMessage) validate() *Error {
	switch m.Type {
	case TypeJoin:
		if m.Version != ProtocolVersion {
			return protocolError(CodeVersion, "protocol version %d is not supported; this server speaks %d", m.Version, ProtocolVersion)
		}
		if !ValidRoomName(m.Room) {
			return protocolError(CodeBadRoom, "invalid room name")
		}
		name, ok := CleanDisplayName(m.Name)
		if !ok {
			return refuseText(CodeBadName, m.Name, "a display name has 1 to %d printable characters", maxNameRunes)
		}
		m.Name = name
		if len(m.Token) > auth.MaxTokenLength {
			return protocolError(CodeBadToken, "token longer than %d bytes", auth.MaxTokenLength)
		}
		if m.Password != nil && *m.Password != "" && !auth.ValidPassword(*m.Password) {
			return protocolError(CodeWrongPassword, "%v", auth.ErrBadPassword)
		}
	case TypeOffer:
		if m.PC != sfu.Up || m.SDP == "" {
			return protocolError(CodeBadMessage, "an offer needs pc \"up\" and an sdp")
		}
		if len(m.Screen) > maxScreenMids {
			return protocolError(CodeBadMessage, "an offer names at most %d screen media ids", maxScreenMids)
		}
		for _, mid := range m.Screen {
			if mid == "" || len(mid) > maxMidBytes {
				return protocolError(CodeBadMessage, "a screen media id has 1 to %d bytes", maxMidBytes)
			}
		}
	case TypeAnswer:
		if m.PC != sfu.Down || m.SDP == "" {
			return protocolError(CodeBadMessage, "an answer needs pc \"down\" and an sdp")
		}
	case TypeCandidate:
		return m.validateCandidate()
	case TypeMute:
		if m.Audio == nil || m.Video == nil {
			return protocolError(CodeBadMessage, "mute needs audio and video")
		}
	case TypeView:
		if m.Participant == "" || len(m.Participant) > maxIDBytes || m.Height == nil || m.Visible == nil ||
			*m.Height < 0 || *m.Height > maxViewHeight {
			return protocolError(CodeBadMessage, "view needs a participant, a height from 0 to %d and visible", maxViewHeight)
		}
		if m.Source != "" && m.Source != SourceCamera && m.Source != SourceScreen {
			return protocolError(CodeBadMessage, "view source is \"camera\" or \"screen\"")
		}
	case TypeResume:
		return m.validateResume()
	case TypeICERestart:
		if m.PC != sfu.Down {
			return protocolError(CodeBadMessage, "ice-restart needs pc \"down\" (the client restarts up itself)")
		}
	case TypePing, TypeLeave:
	case TypeMuteParticipant, TypeMuteAll, TypeAskUnmute, TypeAllowUnmute, TypeRemove, TypeSetRole,
		TypeRoomSettings, TypeAdmit, TypeDeny, TypeEndMeeting:
		return m.validateModeration()
	case TypeChat, TypeReact:
		return m.validateChat()
	case "":
		return protocolError(CodeBadMessage, "message has no type")
	default:
		if assemblyTypes[m.Type] {
			return m.validateAssembly()
		}
		return protocolError(CodeBadMessage, "unknown message type %.32q", m.Type)
	}
	return nil
}

func (m *ClientMessage) validateCandidate() *Error {
	if m.PC != sfu.Up && m.PC != sfu.Down {
		return protocolError(CodeBadMessage, "candidate needs pc \"up\" or \"down\"")
	}
	c := m.Candidate
	switch {
	case c == nil:
		return protocolError(CodeBadMessage, "candidate message without a candidate")
	case len(c.Candidate) > maxCandidateBytes:
		return protocolError(CodeBadMessage, "candidate too long")
	case c.SDPMid != nil && len(*c.SDPMid) > maxMidBytes:
		return protocolError(CodeBadMessage, "sdpMid too long")
	case c.SDPMLineIndex != nil && *c.SDPMLineIndex > maxMLineIndex:
		return protocolError(CodeBadMessage, "sdpMLineIndex out of range")
	case c.UsernameFragment != nil && len(*c.UsernameFragment) > maxCandidateBytes:
		return protocolError(CodeBadMessage, "usernameFragment too long")
	}
	return nil
}

// Server messages, one struct per type so that each carries exactly the
// fields PROTOCOL.md lists.

// MediaSettings tell clients how to encode what they send, in bits per
// second; zero fields are left to the client's defaults.
type MediaSettings struct {
	// Simulcast are the camera's low, medium and high layer bitrates.
	Simulcast [3]int `json:"simulcast,omitzero"`
	// VideoMax caps a camera sent without simulcast.
	VideoMax int `json:"videoMax,omitempty"`
	// ScreenMax caps a screen share.
	ScreenMax int `json:"screenMax,omitempty"`
	// Audio is the Opus bitrate.
	Audio int `json:"audio,omitempty"`
}

type welcomeMessage struct {
	Type         string                `json:"type"`
	Version      int                   `json:"version"`
	ID           string                `json:"id"`
	Role         sfu.Role              `json:"role"`
	Room         string                `json:"room"`
	Participants []sfu.ParticipantInfo `json:"participants"`
	ICEServers   []webrtc.ICEServer    `json:"iceServers"`
	Media        MediaSettings         `json:"media"`
	// Resume is the token to resume this session with (resume.go), and
	// ResumeGrace how long, in milliseconds, after losing the connection.
	Resume      string `json:"resume,omitempty"`
	ResumeGrace int64  `json:"resumeGrace,omitempty"`
	// Resumed says this welcome answers a resume: same id, same media.
	Resumed bool `json:"resumed,omitempty"`
	// ReturnHold is how long, in milliseconds, the participant is kept
	// after a leave that says it returns (its page reloading).
	ReturnHold int64 `json:"returnHold,omitempty"`
}

type descriptionMessage struct {
	Type string       `json:"type"`
	PC   sfu.PeerRole `json:"pc"`
	SDP  string       `json:"sdp"`
}

type participantMessage struct {
	Type        string              `json:"type"`
	Participant sfu.ParticipantInfo `json:"participant"`
}

type leftMessage struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type layersMessage struct {
	Type   string `json:"type"`
	MID    string `json:"mid"`
	Active []bool `json:"active"`
}

type speakerMessage struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type errorMessage struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

type bareMessage struct {
	Type string `json:"type"`
}
