package webtest

import (
	"fmt"
	"time"
)

// Stats is what the page's window.plenum.stats() reports of the media it
// receives.
type Stats struct {
	Video []VideoStats `json:"video"`
	Audio []struct {
		Participant     string `json:"participant"`
		PacketsReceived int    `json:"packetsReceived"`
	} `json:"audio"`
	CandidatePair *struct {
		Local   *Candidate `json:"local"`
		Remote  *Candidate `json:"remote"`
		State   string     `json:"state"`
		Relayed bool       `json:"relayed"`
	} `json:"candidatePair"`
}

// VideoStats is what the page receives of one publisher's video.
type VideoStats struct {
	Participant   string `json:"participant"`
	FramesDecoded int    `json:"framesDecoded"`
	FrameWidth    int    `json:"frameWidth"`
	FrameHeight   int    `json:"frameHeight"`
	BytesReceived int    `json:"bytesReceived"`
	// PacketsReceived and PacketsLost are the browser's counts of the
	// media stream; NACKCount and PLICount how many NACK and picture
	// loss requests it sent for this video, FreezeCount how often the
	// picture froze, and RetransmittedPacketsReceived how many packets
	// came on the RTX stream (repairs, and the server's probe padding).
	PacketsReceived              int `json:"packetsReceived"`
	PacketsLost                  int `json:"packetsLost"`
	NACKCount                    int `json:"nackCount"`
	PLICount                     int `json:"pliCount"`
	FreezeCount                  int `json:"freezeCount"`
	RetransmittedPacketsReceived int `json:"retransmittedPacketsReceived"`
	// Screen is set for a screen share, clear for a camera.
	Screen bool `json:"screen"`
}

// Candidate is one end of the selected ICE candidate pair.
type Candidate struct {
	Type          string `json:"type"` // host, srflx, prflx or relay
	Protocol      string `json:"protocol"`
	Address       string `json:"address"`
	Port          int    `json:"port"`
	RelayProtocol string `json:"relayProtocol"`
}

// Stats reads the page's receive statistics.
func (b *Browser) Stats() (Stats, error) {
	var s Stats
	err := b.Eval(`window.plenum.stats()`, &s)
	return s, err
}

// ParticipantID is the page's own participant id once joined.
func (b *Browser) ParticipantID() (string, error) {
	var id string
	err := b.Eval(`window.plenum.id`, &id)
	return id, err
}

// Decodes reports whether the page has decoded video frames and received
// audio packets from participant.
func (s Stats) Decodes(participant string) bool {
	video, audio := false, false
	for _, v := range s.Video {
		video = video || (v.Participant == participant && !v.Screen && v.FramesDecoded > 0)
	}
	for _, a := range s.Audio {
		audio = audio || (a.Participant == participant && a.PacketsReceived > 0)
	}
	return video && audio
}

// WaitDecodes waits until the page decodes participant's video and
// receives their audio.
func (b *Browser) WaitDecodes(participant string, within time.Duration) (Stats, error) {
	deadline := time.Now().Add(within)
	for {
		s, err := b.Stats()
		if err == nil && s.Decodes(participant) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("no decoded media from %s after %v (last stats %+v, err %v)", participant, within, s, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Layer is one simulcast encoding of the page's camera, as its
// window.plenum.sentLayers() reports it.
type Layer struct {
	RID         string `json:"rid"`
	FrameWidth  int    `json:"frameWidth"`
	FrameHeight int    `json:"frameHeight"`
	BytesSent   int    `json:"bytesSent"`
	Active      bool   `json:"active"`
}

// SentLayers reads what the page's camera sends, one entry per
// simulcast encoding, low to high.
func (b *Browser) SentLayers() ([]Layer, error) {
	var l []Layer
	err := b.Eval(`window.plenum.sentLayers()`, &l)
	return l, err
}

// Descriptions are the session descriptions in effect on the page's up
// and down connections, empty where there is none.
type Descriptions struct {
	Up, Down struct {
		Local  string `json:"local"`
		Remote string `json:"remote"`
	}
}

// Descriptions reads what the page's connections negotiated.
func (b *Browser) Descriptions() (Descriptions, error) {
	var d Descriptions
	err := b.Eval(`window.plenum.descriptions()`, &d)
	return d, err
}

// VideoFrom is the page's receive statistics for participant's camera,
// and whether there are any.
func (s Stats) VideoFrom(participant string) (VideoStats, bool) {
	return s.find(participant, false)
}

// ScreenFrom is the page's receive statistics for participant's screen
// share, and whether there are any.
func (s Stats) ScreenFrom(participant string) (VideoStats, bool) {
	return s.find(participant, true)
}

// AudioPacketsFrom is how many of participant's audio packets the page
// received, and whether it receives their audio at all.
func (s Stats) AudioPacketsFrom(participant string) (int, bool) {
	for _, a := range s.Audio {
		if a.Participant == participant {
			return a.PacketsReceived, true
		}
	}
	return 0, false
}

func (s Stats) find(participant string, screen bool) (VideoStats, bool) {
	for _, v := range s.Video {
		if v.Participant == participant && v.Screen == screen {
			return v, true
		}
	}
	return VideoStats{}, false
}
