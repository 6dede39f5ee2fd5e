package pionlog

import "strings"

// routine are what pion warns of as every connection starts and ends
// well: before the remote's candidates arrive, and as its streams and
// sockets close under it. A meeting of two that went well logged 13
// such warnings, and an admin following the log could not tell them
// from trouble; they are logged at debug. What goes wrong is still
// told: a connection that fails is logged by the SFU itself.
var routine = []string{
	"Failed to ping without candidate pairs", // no remote candidate yet
	"stream is already closed",               // Failed to accept RTP (RTCP) stream…
	"read/write on closed pipe",              // Failed to read from candidate…
	"connecting canceled by caller",          // Failed to start manager: closed before connected
	"the DTLS transport has not started yet", // …failed to open SrtpSession: the same
	// RTCP about a track just unbound (its publisher left, a
	// renegotiation removed it) or not bound yet, still in flight.
	"Incoming unhandled RTCP ssrc",
	// A client's first DTLS packet before the server's endpoint for it
	// is made: pion queues it and hands it over.
	", adding to queue size(", // mux: no endpoint for packet starting with 22 (not "not adding": dropped)
}

// isRoutine reports whether msg is one of routine's.
func isRoutine(msg string) bool {
	for _, r := range routine {
		if strings.Contains(msg, r) {
			return true
		}
	}
	return false
}
