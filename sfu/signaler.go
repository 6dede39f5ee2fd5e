package sfu

import "github.com/pion/webrtc/v4"

// PeerRole names one of a participant's two peer connections.
type PeerRole string

// The two peer connections of a participant.
const (
	// Up carries the participant's own tracks to the server; the client offers.
	Up PeerRole = "up"
	// Down carries everybody else's tracks to the participant; the server offers.
	Down PeerRole = "down"
)

// ParticipantInfo is what others see of a participant.
type ParticipantInfo struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	AudioMuted bool   `json:"audioMuted"`
	VideoMuted bool   `json:"videoMuted"`
	// Role is what the participant may do in the room.
	Role Role `json:"role"`
	// Reconnecting is set while the participant's signaling connection
	// is lost and it is kept for a resume (resume.go): others show it
	// rather than a tile that froze for no visible reason.
	Reconnecting bool `json:"reconnecting"`
}

// Signaler carries the SFU's messages to one participant's client. Its
// methods are called with room locks held, so they must only queue the
// message and never block. What goes alike to everybody in a room (an
// arrival, a change, a departure, the speaker) comes as a Shared, the
// same for each, so that it is encoded once for all (Shared.Encoded):
// in a join storm of 200, each arrival is told to up to 199 others.
type Signaler interface {
	// Welcome confirms the join, with the participants already present.
	Welcome(self ParticipantInfo, others []ParticipantInfo)
	// SendDescription sends an offer (Down) or an answer (Up). It carries
	// all of the server's candidates: the server does not trickle.
	SendDescription(pc PeerRole, desc webrtc.SessionDescription)
	// ParticipantJoined announces a newcomer.
	ParticipantJoined(p *Shared[ParticipantInfo])
	// ParticipantUpdated announces a change of mute state, name, role or
	// reconnecting state.
	ParticipantUpdated(p *Shared[ParticipantInfo])
	// ParticipantLeft announces the departure of participant id.
	ParticipantLeft(id *Shared[string])
	// LayersWanted tells a publisher which simulcast layers of its track
	// mid subscribers need: those up to highest (-1: none); it may stop
	// encoding the others until told otherwise.
	LayersWanted(mid string, highest int)
	// DominantSpeaker announces who speaks now ("" for nobody).
	DominantSpeaker(id *Shared[string])
	// Fail ends the session from the SFU's side, for example when the
	// media connection is lost; err says why.
	Fail(err error)
}
