package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/chat"
)

// serverMessage holds any message the server sends.
type serverMessage struct {
	Type         string                   `json:"type"`
	ID           string                   `json:"id"`
	PC           sfu.PeerRole             `json:"pc"`
	SDP          string                   `json:"sdp"`
	Candidate    *webrtc.ICECandidateInit `json:"candidate"`
	Participant  *sfu.ParticipantInfo     `json:"participant"`
	Participants []sfu.ParticipantInfo    `json:"participants"`
	ICEServers   []webrtc.ICEServer       `json:"iceServers"`
	MID          string                   `json:"mid"`
	Active       []bool                   `json:"active"`
	Code         string                   `json:"code"`
	Reason       string                   `json:"reason"`
	Role         sfu.Role                 `json:"role"`
	By           string                   `json:"by"`
	Audio        bool                     `json:"audio"`
	Video        bool                     `json:"video"`
	Locked       bool                     `json:"locked"`
	Lobby        bool                     `json:"lobby"`
	AskToUnmute  bool                     `json:"askToUnmute"`
	Password     bool                     `json:"password"`
	Message      *chat.Message            `json:"message"`
	Messages     []chat.Message           `json:"messages"`
	From         string                   `json:"from"`
	Emoji        string                   `json:"emoji"`
	Request      string                   `json:"request"`
	Resume       string                   `json:"resume"`
	ResumeGrace  int64                    `json:"resumeGrace"`
	Resumed      bool                     `json:"resumed"`

	raw []byte // the message as received
}

// localErrorGrace is how long the client waits for the server's reason
// after a failure of its own.
const localErrorGrace = time.Second

// readLoop handles the server's messages one at a time, in order.
// After a local failure (say, an offer that arrives when the server has
// already closed the peer connections of a session it is ending) it
// reads on for localErrorGrace, so that the server's error message, if
// one follows, is the one Err reports.
func (c *Client) readLoop(conn *websocket.Conn, closed chan struct{}) {
	defer c.wg.Done()
	defer close(closed)
	var local error
	defer func() {
		if local != nil {
			c.setErr(local)
		}
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var m serverMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.setErr(fmt.Errorf("bad message from server: %w", err))
			return
		}
		c.record(m.Type, data)
		m.raw = data
		if local != nil && m.Type != "error" {
			continue
		}
		if err := c.handle(&m); err != nil {
			var em *ErrorMessage
			if errors.As(err, &em) {
				c.setErr(err)
				return
			}
			local = err
			_ = conn.SetReadDeadline(time.Now().Add(localErrorGrace))
		}
	}
}

func (c *Client) setErr(err error) {
	c.mu.Lock()
	if c.serverErr == nil {
		c.serverErr = err
	}
	c.mu.Unlock()
}

func (c *Client) handle(m *serverMessage) error {
	switch m.Type {
	case "welcome":
		if m.Resumed && !c.returning() {
			return c.resumed(m)
		}
		c.mu.Lock()
		c.resume.token = m.Resume
		c.id = m.ID
		c.moderation.role = m.Role
		c.iceServers = m.ICEServers
		for _, p := range m.Participants {
			c.participants[p.ID] = p
		}
		c.mu.Unlock()
		close(c.welcome)
		if c.cfg.Publish && m.Role != sfu.RoleViewer {
			return c.publish()
		}
	case "offer":
		if c.cfg.IgnoreOffers {
			return nil
		}
		if c.cfg.AnswerDelay > 0 {
			select {
			case <-time.After(c.cfg.AnswerDelay):
			case <-c.Done():
				return nil
			}
		}
		return c.answerDown(m.SDP)
	case "answer":
		c.mu.Lock()
		up := c.up
		c.mu.Unlock()
		return up.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP})
	case "candidate":
		c.mu.Lock()
		pc := c.down
		if m.PC == sfu.Up {
			pc = c.up
		}
		c.mu.Unlock()
		if pc != nil && m.Candidate != nil && m.Candidate.Candidate != "" {
			return pc.AddICECandidate(*m.Candidate)
		}
	case "participant-joined", "participant-updated":
		if m.Participant != nil {
			c.mu.Lock()
			c.notePresenceLocked(*m.Participant)
			c.participants[m.Participant.ID] = *m.Participant
			c.mu.Unlock()
		}
	case "participant-left":
		c.mu.Lock()
		delete(c.participants, m.ID)
		c.departures = append(c.departures, m.ID)
		c.presence = append(c.presence, PresenceEvent{ID: m.ID, State: "left"})
		c.mu.Unlock()
	case "speaker":
		c.mu.Lock()
		c.speaker = m.ID
		c.mu.Unlock()
	case "layers":
		// Obey, as a browser does: stop encoding what nobody needs, on
		// the track the message names (the camera or the screen share).
		c.mu.Lock()
		c.layers[m.MID] = m.Active
		var layers []*videoLayer
		if c.encodersOf != nil {
			layers = c.encodersOf(m.MID)
		}
		c.mu.Unlock()
		for i, l := range layers {
			on := i < len(m.Active) && m.Active[i]
			if was := l.active.Swap(on); on && !was {
				l.keyframe.Store(true) // a resumed encoder starts with one
			}
		}
	case "error":
		return &ErrorMessage{Code: m.Code, Reason: m.Reason}
	case "chat", "chat-history", "reaction", "refused":
		c.handleChat(m)
	default:
		if !c.handleAssembly(m) {
			c.handleModeration(m)
		}
	}
	return nil
}
