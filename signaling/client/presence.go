package client

import "github.com/plenum-meet/plenum/sfu"

// PresenceEvent is one change in whether another participant is there:
// State is "reconnecting" (its signaling was lost and the server holds
// it for a resume), "connected" (it resumed) or "left".
type PresenceEvent struct {
	ID    string
	State string
}

// Presence lists, in the order received, the others' changes of
// reconnecting state (from participant-updated) and departures. Tests
// read it to tell a brief state that a later message replaced.
func (c *Client) Presence() []PresenceEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]PresenceEvent(nil), c.presence...)
}

// notePresenceLocked records p's reconnecting state if an update changed
// it. c.mu held, before p replaces what was known.
func (c *Client) notePresenceLocked(p sfu.ParticipantInfo) {
	if old, ok := c.participants[p.ID]; !ok || old.Reconnecting == p.Reconnecting {
		return
	}
	state := "connected"
	if p.Reconnecting {
		state = "reconnecting"
	}
	c.presence = append(c.presence, PresenceEvent{ID: p.ID, State: state})
}
