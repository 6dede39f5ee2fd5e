package signaling

import (
	"errors"
	"strings"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/chat"
	"github.com/plenum-meet/plenum/sfu/looks"
)

// Chat and reactions: the messages, their validation and their rate
// limits. The room keeps the history and delivers (sfu/chatroom.go).

// Chat rate limits, per participant, on top of the limit on all messages.
// Going over them refuses the message (refused) but keeps the session:
// an eager typist must not be thrown out of a meeting.
const (
	// chatRate and chatBurst: ten messages in a row, then one a second,
	// far above what people type, far below a flood.
	chatRate  = 1
	chatBurst = 10
	// reactRate and reactBurst: a few reactions in a row, then two a
	// second.
	reactRate  = 2
	reactBurst = 5
)

// Codes of refused messages (besides rate-limit).
const (
	// CodeNotFound: a private message's recipient is not in the meeting.
	CodeNotFound = "not-found"
)

func (m *ClientMessage) validateChat() *Error {
	switch m.Type {
	case TypeChat:
		// Bidirectional controls first: a text of nothing else looks
		// blank too, and the reason must name what the client cannot see.
		if strings.ContainsFunc(m.Text, looks.BidiControl) {
			return protocolError(CodeBadMessage, "chat refused: %s", looks.BidiReason)
		}
		text, err := chat.CleanText(m.Text)
		if err != nil {
			return protocolError(CodeBadMessage, "chat refused: %v", err)
		}
		m.Text = text
		if len(m.To) > maxIDBytes {
			return protocolError(CodeBadMessage, "chat recipient id too long")
		}
	case TypeReact:
		if !chat.ValidReaction(m.Emoji) {
			return protocolError(CodeBadMessage, "unknown reaction %.16q; one of %v", m.Emoji, chat.Reactions)
		}
	}
	return nil
}

// chat handles chat and react from participant p.
func (s *session) chat(p *sfu.Participant, m *ClientMessage) error {
	l := s.getLine().limits
	var err error
	switch m.Type {
	case TypeChat:
		if !l.chat.Allow() {
			s.refuse(m.Type, CodeRateLimit, "too many chat messages: wait a moment")
			return nil
		}
		err = p.Chat(m.To, m.Text)
	case TypeReact:
		if !l.react.Allow() {
			s.refuse(m.Type, CodeRateLimit, "too many reactions: wait a moment")
			return nil
		}
		err = p.React(m.Emoji)
	}
	if errors.Is(err, sfu.ErrNoRecipient) {
		s.refuse(m.Type, CodeNotFound, err.Error())
		return nil
	}
	return err
}

// refuse tells the client that one message of type request was not
// acted on; unlike an error, the session goes on.
func (s *session) refuse(request, code, reason string) {
	s.sendJSON(refusedMessage{Type: TypeRefused, Request: request, Code: code, Reason: reason})
}

type chatMessage struct {
	Type    string       `json:"type"`
	Message chat.Message `json:"message"`
}

type chatHistoryMessage struct {
	Type     string         `json:"type"`
	Messages []chat.Message `json:"messages"`
}

type reactionMessage struct {
	Type  string `json:"type"`
	From  string `json:"from"`
	Emoji string `json:"emoji"`
}

type refusedMessage struct {
	Type    string `json:"type"`
	Request string `json:"request"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

// The sfu.ChatSignaler methods: each only queues a message.

func (s *session) ChatHistory(messages []chat.Message) {
	s.sendJSON(chatHistoryMessage{Type: TypeChatHistory, Messages: messages})
}

func (s *session) Chat(m *sfu.Shared[chat.Message]) {
	sendShared(s, m, func(m chat.Message) any { return chatMessage{Type: TypeChat, Message: m} })
}

func (s *session) Reaction(r *sfu.Shared[sfu.Reaction]) {
	sendShared(s, r, func(r sfu.Reaction) any { return reactionMessage{Type: TypeReaction, From: r.From, Emoji: r.Emoji} })
}
