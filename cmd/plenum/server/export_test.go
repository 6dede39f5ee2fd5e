package server

import "time"

// SetSharedTLSTimeout shortens the bound on a connection's handshake
// and first bytes on the HTTPS port, until restore.
func SetSharedTLSTimeout(d time.Duration) (restore func()) {
	was := sharedTLSTimeout
	sharedTLSTimeout = d
	return func() { sharedTLSTimeout = was }
}
