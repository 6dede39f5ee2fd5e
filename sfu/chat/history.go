package chat

import "strconv"

// History is a room's recent messages, oldest first, bounded by
// HistoryMessages and HistoryBytes. The zero value is empty and ready.
// It is not safe for concurrent use: the room's lock guards it.
type History struct {
	messages []Message
	bytes    int    // text bytes held
	last     uint64 // the last id given
}

// Add gives m the next id, keeps it (dropping the oldest messages beyond
// the bounds) and returns it.
func (h *History) Add(m Message) Message {
	h.last++
	m.ID = strconv.FormatUint(h.last, 10)
	h.messages = append(h.messages, m)
	h.bytes += len(m.Text)
	drop := 0
	for len(h.messages)-drop > HistoryMessages || (h.bytes > HistoryBytes && len(h.messages)-drop > 1) {
		h.bytes -= len(h.messages[drop].Text)
		drop++
	}
	if drop > 0 {
		// Copy rather than reslice, so the array does not keep growing
		// under a window that slides along it.
		h.messages = append(h.messages[:0:0], h.messages[drop:]...)
	}
	return m
}

// For returns the kept messages participant id may see, oldest first.
func (h *History) For(id string) []Message {
	out := make([]Message, 0, len(h.messages))
	for _, m := range h.messages {
		if m.VisibleTo(id) {
			out = append(out, m)
		}
	}
	return out
}

// Len is the number of messages kept.
func (h *History) Len() int { return len(h.messages) }
