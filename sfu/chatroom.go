package sfu

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/plenum-meet/plenum/sfu/chat"
)

// The room's chat and reactions. Messages are delivered, and kept in the
// history, under the room lock: a newcomer gets the history in the same
// critical section that adds it to the room, so it misses no message
// and sees none twice.

// Errors of the chat.
var (
	// ErrNoRecipient means a private message's recipient is not in the
	// room (it may just have left).
	ErrNoRecipient = errors.New("the recipient is not in the meeting")
	// ErrBadChat means a message or reaction breaks the chat's rules
	// (see package chat).
	ErrBadChat = errors.New("invalid chat message")
)

// ChatSignaler carries chat messages and reactions. A Signaler that
// implements it receives them; like Signaler's, its methods are called
// with the room lock held and must only queue, and a message or a
// reaction comes as one Shared for all its recipients.
type ChatSignaler interface {
	// ChatHistory gives a newcomer the messages it may see that were
	// sent before it came, oldest first, and a resumed participant all
	// those it may see (some it already has: ids tell); it is not
	// called when there are none.
	ChatHistory(messages []chat.Message)
	// Chat delivers a new message, to its sender too.
	Chat(m *Shared[chat.Message])
	// Reaction tells of a reaction, to its sender too.
	Reaction(r *Shared[Reaction])
}

// Reaction is a participant's reaction: participant From reacted with
// Emoji, one of chat.Reactions.
type Reaction struct {
	From  string
	Emoji string
}

func chatSignals(sig Signaler) ChatSignaler {
	if cs, ok := sig.(ChatSignaler); ok {
		return cs
	}
	return noChatSignals{}
}

type noChatSignals struct{}

func (noChatSignals) ChatHistory([]chat.Message) {}
func (noChatSignals) Chat(*Shared[chat.Message]) {}
func (noChatSignals) Reaction(*Shared[Reaction]) {}

// Chat sends text to everybody in the room, or only to participant to
// when to is not empty. Every role may chat: for a viewer it is the one
// way to take part. A participant that has left sends nothing.
func (p *Participant) Chat(to, text string) error {
	text, err := chat.CleanText(text)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadChat, err)
	}
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.participants, p) {
		return nil
	}
	var recipient *Participant
	if to != "" {
		if recipient = r.findLocked(to); recipient == nil || recipient == p {
			return ErrNoRecipient
		}
	}
	// A private message is the same for its sender and its recipient.
	m := Share(r.chat.Add(chat.Message{From: p.id, Name: p.Info().Name, To: to, Text: text, Time: time.Now().UnixMilli()}))
	if recipient != nil {
		chatSignals(p.sig).Chat(m)
		chatSignals(recipient.sig).Chat(m)
		return nil
	}
	for _, o := range r.participants {
		chatSignals(o.sig).Chat(m)
	}
	return nil
}

// React shows emoji, one of chat.Reactions, on the participant's tile
// at everybody's, its own included. Reactions are not kept.
func (p *Participant) React(emoji string) error {
	if !chat.ValidReaction(emoji) {
		return ErrBadChat
	}
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.participants, p) {
		return nil
	}
	reaction := Share(Reaction{From: p.id, Emoji: emoji})
	for _, o := range r.participants {
		chatSignals(o.sig).Reaction(reaction)
	}
	return nil
}

// sendChatHistoryLocked gives p, arriving or resuming, the history it
// may see.
func (r *Room) sendChatHistoryLocked(p *Participant) {
	if msgs := r.chat.For(p.id); len(msgs) > 0 {
		chatSignals(p.sig).ChatHistory(msgs)
	}
}
