// Package chat holds the rules of a meeting's chat and reactions, and
// the bounded history of messages a newcomer is shown.
//
// A meeting's chat lives only in memory, in its room: it is gone when
// the room ends (everybody left, or a moderator ended the meeting). The
// history keeps the last [HistoryMessages] messages and at most
// [HistoryBytes] of text, whichever is less, so that a room's memory and
// the one message that carries the history to a newcomer stay small
// whatever people paste.
package chat

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plenum-meet/plenum/sfu/looks"
)

// Limits of the chat.
const (
	// MaxTextRunes caps one message: a long paragraph, not a document.
	// Browsers count string length in UTF-16 units, which are never fewer
	// than runes, so a client that caps its field at this length never
	// sends more.
	MaxTextRunes = 2000
	// HistoryMessages is how many of the last messages a newcomer sees.
	HistoryMessages = 200
	// HistoryBytes caps the text the history keeps: 200 messages of
	// 2000 four-byte characters would otherwise hold 1.6 MB per room.
	HistoryBytes = 256 << 10
)

// Reasons a text is refused.
var (
	ErrEmpty   = errors.New("the message is empty")
	ErrBlank   = errors.New("the message shows as blank: it holds only spaces, invisible characters (such as U+200B, U+2060, U+FEFF) and combining marks with nothing to combine with")
	ErrTooLong = errors.New("the message is longer than 2000 characters")
	ErrNotUTF8 = errors.New("the message is not valid UTF-8")
	ErrControl = errors.New("the message holds control characters")
)

// CleanText trims a message's text and checks it: valid UTF-8, not
// empty, not blank to the eye (looks.Blank), at most MaxTextRunes
// characters, and no control characters but line breaks and tabs.
func CleanText(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", ErrNotUTF8
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", ErrEmpty
	}
	if looks.Blank(text) {
		return "", ErrBlank
	}
	if utf8.RuneCountInString(text) > MaxTextRunes {
		return "", ErrTooLong
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", ErrControl
		}
	}
	return text, nil
}

// Reactions are the emoji a participant may send, in the order a client
// shows them. A fixed set keeps reactions a gesture rather than a
// second chat.
var Reactions = []string{"👍", "👏", "😂", "😮", "❤️", "🎉"}

// ValidReaction reports whether emoji is one of Reactions.
func ValidReaction(emoji string) bool {
	return slices.Contains(Reactions, emoji)
}

// Message is one chat message as clients receive it.
type Message struct {
	// ID is unique within the room's meeting ("1", "2", …): clients use
	// it to tell a message they already show from a new one.
	ID string `json:"id"`
	// From is the sender's participant id, Name its display name when it
	// sent the message (the sender may have left since).
	From string `json:"from"`
	Name string `json:"name"`
	// To is the recipient's participant id for a private message, empty
	// for a message to everybody.
	To   string `json:"to,omitempty"`
	Text string `json:"text"`
	// Time is when the server received it, in milliseconds since the
	// Unix epoch.
	Time int64 `json:"time"`
}

// Private reports whether the message is for one participant only.
func (m Message) Private() bool { return m.To != "" }

// VisibleTo reports whether participant id may see the message: a
// public message, or a private one it sent or received.
func (m Message) VisibleTo(id string) bool {
	return m.To == "" || m.From == id || m.To == id
}
