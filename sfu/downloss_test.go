package sfu_test

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

// Fractions lost in 256ths, as RTCP carries them.
const (
	tenPercent    = 26
	relayedMost   = 51 // sfu.maxRelayedLoss: 20 %
	noticeableCut = 13 // 5 %: above any loss of loopback
)

// joinClaimingLoss connects a participant that publishes nothing and
// whose receiver reports claim the loss claim is set to.
func (s *testServer) joinClaimingLoss(t *testing.T, room, name string, claim *client.LossClaim) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api := client.NewAPI(client.APIOptions{Interfaces: []string{"lo"}, ClaimLoss: claim})
	c, err := client.Dial(ctx, client.Config{URL: s.wsURL, Room: room, Name: name, API: api})
	if err != nil {
		t.Fatalf("join %s as %s: %v", room, name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// waitReportedAudioLoss waits until the server's receiver reports to pub
// give its audio a fraction lost for which ok holds.
func waitReportedAudioLoss(t *testing.T, pub *client.Client, what string, ok func(uint8) bool) {
	t.Helper()
	eventually(t, 20*time.Second, what, func() bool {
		f, _ := pub.ReportedLoss(webrtc.RTPCodecTypeAudio)
		return ok(f)
	})
}

// waitMoreReports waits until pub has n more receiver reports of kind.
func waitMoreReports(t *testing.T, pub *client.Client, kind webrtc.RTPCodecType, n int64) {
	t.Helper()
	_, before := pub.ReportedLoss(kind)
	eventually(t, 20*time.Second, "more receiver reports of "+kind.String(), func() bool {
		_, now := pub.ReportedLoss(kind)
		return now >= before+n
	})
}

// speakerWithALossySubscriber starts a meeting of a speaker and a
// subscriber whose reports claim 10 % loss, and waits until the server
// tells the speaker of that loss of its audio.
func speakerWithALossySubscriber(t *testing.T) (pub, sub *client.Client, claim *client.LossClaim) {
	t.Helper()
	s := startServer(t)
	pub = s.join(t, "fec", "speaker")
	claim = &client.LossClaim{}
	claim.Set(tenPercent)
	sub = s.joinClaimingLoss(t, "fec", "phone", claim)
	eventually(t, 10*time.Second, "the subscriber receives the speaker's audio", func() bool {
		k := sub.Received(pub.ID(), webrtc.RTPCodecTypeAudio)
		return k != nil && k.Packets() > 0
	})
	waitReportedAudioLoss(t, pub, "the publisher told of the subscriber's 10 % loss of its audio", func(f uint8) bool { return f >= tenPercent-1 })
	return pub, sub, claim
}

func TestASubscribersAudioLossReachesThePublisherUntilItGoes(t *testing.T) {
	pub, _, claim := speakerWithALossySubscriber(t)
	// Video is repaired by retransmissions: its reports keep the uplink's loss.
	waitMoreReports(t, pub, webrtc.RTPCodecTypeVideo, 3)
	if f, _ := pub.ReportedLoss(webrtc.RTPCodecTypeVideo); f >= noticeableCut {
		t.Errorf("the publisher's video reported %d/256 lost, the subscriber's claim: want the uplink's", f)
	}

	claim.Clear() // the subscriber's network is fine again
	waitReportedAudioLoss(t, pub, "the publisher's audio reports back to the uplink's loss", func(f uint8) bool { return f < noticeableCut })
}

func TestASubscriberWhoLeavesNoLongerRaisesThePublishersLoss(t *testing.T) {
	pub, sub, _ := speakerWithALossySubscriber(t)
	sub.Close()
	waitReportedAudioLoss(t, pub, "the publisher's audio reports back to the uplink's loss once the subscriber left", func(f uint8) bool { return f < noticeableCut })
}

func TestASubscriberClaimingAllIsLostRaisesThePublishersLossTo20Percent(t *testing.T) {
	s := startServer(t)
	pub := s.join(t, "fec", "speaker")
	claim := &client.LossClaim{}
	claim.Set(255)
	s.joinClaimingLoss(t, "fec", "hostile", claim)
	waitReportedAudioLoss(t, pub, "the publisher told of a loss of 20 %", func(f uint8) bool { return f == relayedMost })
	for range 3 {
		waitMoreReports(t, pub, webrtc.RTPCodecTypeAudio, 1)
		if f, _ := pub.ReportedLoss(webrtc.RTPCodecTypeAudio); f > relayedMost {
			t.Fatalf("the publisher's audio reported %d/256 lost: more than the bound of %d", f, relayedMost)
		}
	}
}
