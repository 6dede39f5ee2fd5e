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
