package sfu

import (
	"fmt"

	"github.com/pion/sdp/v3"
)

// Bounds on session descriptions from clients. A browser's up offer has
// an audio and a video section, and later a screen and its audio; a down
// answer has one section per track of the room. Anything larger is
// hostile or broken and would cost the server work for nothing.
const (
	maxSDPBytes          = 60 << 10
	maxUpMediaSections   = 8
	maxDownMediaSections = 512
	// A browser's video section offers a few dozen payload types and
	// carries one to two hundred attributes; simulcast has three rids.
	maxFormatsPerSection    = 128
	maxAttributesPerSection = 1000
	maxSessionAttributes    = 64
	maxRIDsPerSection       = 4
)

// checkSDP rejects descriptions that are too large or do not parse. It
// returns the ICE candidates the description lists, those of every
// media section (pion takes those of one; countCandidates bounds them).
func checkSDP(raw string, maxSections int) (candidates []string, err error) {
	if len(raw) > maxSDPBytes {
		return nil, fmt.Errorf("session description of %d bytes exceeds %d: %w", len(raw), maxSDPBytes, ErrProtocol)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(raw); err != nil {
		return nil, fmt.Errorf("session description does not parse: %v: %w", err, ErrProtocol)
	}
	if len(d.MediaDescriptions) > maxSections {
		return nil, fmt.Errorf("%d media sections exceed %d: %w", len(d.MediaDescriptions), maxSections, ErrProtocol)
	}
	if len(d.Attributes) > maxSessionAttributes {
		return nil, fmt.Errorf("%d session attributes exceed %d: %w", len(d.Attributes), maxSessionAttributes, ErrProtocol)
	}
	for i, m := range d.MediaDescriptions {
		if n := len(m.MediaName.Formats); n > maxFormatsPerSection {
			return nil, fmt.Errorf("media section %d: %d payload types exceed %d: %w", i, n, maxFormatsPerSection, ErrProtocol)
		}
		if n := len(m.Attributes); n > maxAttributesPerSection {
			return nil, fmt.Errorf("media section %d: %d attributes exceed %d: %w", i, n, maxAttributesPerSection, ErrProtocol)
		}
		rids := 0
		for _, a := range m.Attributes {
			switch {
			case a.Key == "rid":
				rids++
			case a.IsICECandidate():
				candidates = append(candidates, a.Value)
			}
		}
		if rids > maxRIDsPerSection {
			return nil, fmt.Errorf("media section %d: %d simulcast rids exceed %d: %w", i, rids, maxRIDsPerSection, ErrProtocol)
		}
	}
	return candidates, nil
}
