package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// audioSent is what window.plenum.audioSent() reports.
type audioSent struct {
	PacketsSent  int     `json:"packetsSent"`
	BytesSent    int     `json:"bytesSent"`
	FractionLost float64 `json:"fractionLost"`
}

// sentAudio reads what the page's microphone sent.
func sentAudio(t *testing.T, b *webtest.Browser) audioSent {
	t.Helper()
	var a *audioSent
	if err := b.Eval(`window.plenum.audioSent()`, &a); err != nil || a == nil {
		t.Fatalf("audio sent: %+v, %v", a, err)
	}
	return *a
}

// bytesPerPacket is the mean size of the audio packets sent in 4 s.
func bytesPerPacket(t *testing.T, b *webtest.Browser) float64 {
	t.Helper()
	before := sentAudio(t, b)
	time.Sleep(4 * time.Second) // a window to average over, not a wait for a condition
	after := sentAudio(t, b)
	if after.PacketsSent <= before.PacketsSent {
		t.Fatalf("no audio sent in 4 s: %+v then %+v", before, after)
	}
	return float64(after.BytesSent-before.BytesSent) / float64(after.PacketsSent-before.PacketsSent)
}

// TestAListenersLossReachesTheSpeakersBrowserNotItsBadge: Ben listens
// on a lossy downlink (his receiver reports say 10 % of Ana's audio is
// lost). Ana's Chromium is told of that loss of its audio, which is
// what has its Opus encoder add in-band FEC, and her own tile's badge
// still rates her connection by her uplink's loss, none.
func TestAListenersLossReachesTheSpeakersBrowserNotItsBadge(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-fec"
	browsers, ids := joinAll(t, srv, room, nil, "Ana")
	ana := browsers[0]
	claim := &client.LossClaim{}
	ben := dialGoWith(t, srv, client.Config{Room: room, Name: "Ben",
		API: client.NewAPI(client.APIOptions{Interfaces: []string{"lo"}, ClaimLoss: claim})})
	eventually(t, time.Minute, "Ben hears Ana", func() (bool, string) {
		k := ben.Received(ids[0], webrtc.RTPCodecTypeAudio)
		return k != nil && k.Packets() > 0, "no audio"
	})
	plain := bytesPerPacket(t, ana)

	claim.Set(26) // 10 %
	eventually(t, time.Minute, "Ana's browser told of Ben's 10 % loss of her audio", func() (bool, string) {
		a := sentAudio(t, ana)
		return a.FractionLost >= 0.09, fmt.Sprintf("%+v", a)
	})
	// Chromium's encoder smooths the loss over seconds before it adds FEC.
	time.Sleep(5 * time.Second)
	withFEC := bytesPerPacket(t, ana)
	t.Logf("Ana's audio: %.1f bytes a packet before Ben's loss, %.1f after", plain, withFEC)

	var own struct{ Loss float64 }
	for range 2 { // a first window, then one wholly within Ben's loss
		if err := ana.Eval(`window.plenum.upQuality()`, &own); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
	}
	if own.Loss >= 0.03 {
		t.Errorf("Ana's own badge rates her sending at %.0f %% loss, Ben's downlink's: want her uplink's, none", own.Loss*100)
	}
}
