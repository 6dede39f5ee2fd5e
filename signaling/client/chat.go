package client

import (
	"slices"

	"github.com/plenum-meet/plenum/sfu/chat"
)

// chatState is what the server said of the chat; guarded by Client.mu.
type chatState struct {
	messages  []chat.Message // history and new messages, in arrival order
	reactions []Reaction
	refused   []Refusal
	recorded  []RecordedMessage // with Config.Record
}

// Reaction is a reaction the client was shown.
type Reaction struct {
	From, Emoji string
}

// Refusal is a refused message: the session goes on.
type Refusal struct {
	Request, Code, Reason string
}

// RecordedMessage is one message from the server, as it arrived.
type RecordedMessage struct {
	Type string
	Raw  []byte
}

func (c *Client) handleChat(m *serverMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.chat
	switch m.Type {
	case "chat-history":
		for _, msg := range m.Messages {
			s.add(msg)
		}
	case "chat":
		if m.Message != nil {
			s.add(*m.Message)
		}
	case "reaction":
		s.reactions = append(s.reactions, Reaction{From: m.From, Emoji: m.Emoji})
	case "refused":
		s.refused = append(s.refused, Refusal{Request: m.Request, Code: m.Code, Reason: m.Reason})
	}
}

// add keeps a message once: a resumed session gets the history again.
func (s *chatState) add(m chat.Message) {
	if !slices.ContainsFunc(s.messages, func(o chat.Message) bool { return o.ID == m.ID }) {
		s.messages = append(s.messages, m)
	}
}

func (c *Client) record(kind string, raw []byte) {
	if !c.cfg.Record {
		return
	}
	c.mu.Lock()
	c.chat.recorded = append(c.chat.recorded, RecordedMessage{Type: kind, Raw: slices.Clone(raw)})
	c.mu.Unlock()
}

// Chat sends a message to everybody, or only to participant to when to
// is not empty.
func (c *Client) Chat(to, text string) error {
	msg := map[string]any{"type": "chat", "text": text}
	if to != "" {
		msg["to"] = to
	}
	return c.send(msg)
}

// React sends a reaction.
func (c *Client) React(emoji string) error {
	return c.send(map[string]any{"type": "react", "emoji": emoji})
}

// ChatMessages lists the chat messages received (the history first), in
// order, each once.
func (c *Client) ChatMessages() []chat.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.chat.messages)
}

// Reactions lists the reactions received, in order.
func (c *Client) Reactions() []Reaction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.chat.reactions)
}

// Refusals lists the refused messages, in order.
func (c *Client) Refusals() []Refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.chat.refused)
}

// Recorded lists every message received so far, when Config.Record is
// set.
func (c *Client) Recorded() []RecordedMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.chat.recorded)
}
