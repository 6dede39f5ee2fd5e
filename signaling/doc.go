// Package signaling is the server side of Plenum's WebSocket protocol
// (see PROTOCOL.md beside this file): it validates every client message,
// turns it into calls on the SFU, and carries the SFU's answers and
// events back to the client, one session per participant.
package signaling
