package sfu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// certRenewBefore is how long before its end the engine's DTLS
// certificate is replaced: pion's are valid a month, and a connection
// made just before the end keeps it for the meeting's length.
const certRenewBefore = 7 * 24 * time.Hour

// dtlsCertificate is the certificate every new peer connection presents
// in its DTLS handshake: one for the engine, made again when less than
// certRenewBefore of it is left. Left to itself pion makes a key and a
// certificate for each connection, two per participant: about a fifth
// of the server's CPU in an assembly's join storm (docs/performance.md).
// The caller holds e.pcMu.
func (e *Engine) dtlsCertificate() (webrtc.Certificate, error) {
	if e.cert == nil || time.Until(e.cert.Expires()) < certRenewBefore {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return webrtc.Certificate{}, fmt.Errorf("DTLS key: %w", err)
		}
		cert, err := webrtc.GenerateCertificate(key)
		if err != nil {
			return webrtc.Certificate{}, fmt.Errorf("DTLS certificate: %w", err)
		}
		e.cert = cert
	}
	return *e.cert, nil
}
