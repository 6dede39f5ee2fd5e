package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

// TestAListenerOnALossyDownlinkRaisesTheSpeakersReportedLoss: 10 % of
// what the server sends Ben is really dropped (nftables, on his ports
// only). His receiver reports count the audio lost, and the server's
// reports to the speaker say so, until the loss ends.
func TestAListenerOnALossyDownlinkRaisesTheSpeakersReportedLoss(t *testing.T) {
	requirePrivateNetwork(t)
	s := startServer(t)
	pub := s.join(t, "council", "speaker")
	lossy := s.joinWith(t, client.Config{Room: "council", Name: "Ben", API: impairedAPI()})
	eventually(t, 15*time.Second, "Ben hears the speaker", func() bool {
		k := lossy.Received(pub.ID(), webrtc.RTPCodecTypeAudio)
		return k != nil && k.Packets() > 0
	})

	dropImpaired(t, 10)
	// A second's 50 packets with 10 % dropped at random lose 5 on
	// average: a report of at least 5 % comes within seconds.
	waitReportedAudioLoss(t, pub, "the speaker told of Ben's loss of its audio", func(f uint8) bool { return f >= noticeableCut })
	checkLossRuleDropped(t, endLoss(t))
	waitReportedAudioLoss(t, pub, "the speaker's audio reports back to the uplink's loss once Ben's ends", func(f uint8) bool { return f < noticeableCut })
}
