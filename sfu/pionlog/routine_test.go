package pionlog

import "testing"

// What pion warns of as connections start and end well is routine; a
// packet it drops for want of an endpoint is not.
func TestRoutineWarnings(t *testing.T) {
	for msg, want := range map[string]bool{
		"Warning: mux: no endpoint for packet starting with 22, adding to queue size(0)":      true,
		"Warning: mux: no endpoint for packet starting with 22, not adding to queue size(10)": false,
		"Incoming unhandled RTCP ssrc(703657282), OnTrack will not be fired":                  true,
		"Failed to ping without candidate pairs. Connection is not possible yet.":             true,
		"Failed to handshake: context deadline exceeded":                                      false,
	} {
		if got := isRoutine(msg); got != want {
			t.Errorf("isRoutine(%q) = %v, want %v", msg, got, want)
		}
	}
}
