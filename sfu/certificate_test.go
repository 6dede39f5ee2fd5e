package sfu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// fingerprint is the DTLS fingerprint pc presents.
func fingerprint(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	certs := pc.GetConfiguration().Certificates
	if len(certs) != 1 {
		t.Fatalf("%d certificates, want 1", len(certs))
	}
	fps, err := certs[0].GetFingerprints()
	if err != nil || len(fps) == 0 {
		t.Fatalf("no fingerprint: %v", err)
	}
	return fps[0].Value
}

// Pion would make a key and a certificate for every connection; the
// engine makes one, and a new one when the old nears its end.
func TestConnectionsShareACertificateUntilItNearsItsEnd(t *testing.T) {
	e, err := NewEngine(NetworkConfig{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	connect := func() *webrtc.PeerConnection {
		pc, _, err := e.newPeerConnection()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		return pc
	}
	first, second := fingerprint(t, connect()), fingerprint(t, connect())
	if first != second {
		t.Fatalf("two connections present different certificates (%s, %s): one was made for each", first, second)
	}

	// A certificate with less than certRenewBefore left is replaced.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(certRenewBefore / 2)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ending := webrtc.CertificateFromX509(key, parsed)
	e.pcMu.Lock()
	e.cert = &ending
	e.pcMu.Unlock()
	endingPrint, err := ending.GetFingerprints()
	if err != nil {
		t.Fatal(err)
	}
	renewed := fingerprint(t, connect())
	if renewed == endingPrint[0].Value || renewed == first {
		t.Fatalf("a certificate %v from its end is still presented", certRenewBefore/2)
	}
	if again := fingerprint(t, connect()); again != renewed {
		t.Fatal("the renewed certificate is not kept for the next connection")
	}
}
