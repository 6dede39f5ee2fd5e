package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// audioWithSubscribers is an audio up track with n bound down tracks,
// of SSRCs 1000 on.
func audioWithSubscribers(n int) (*UpTrack, []*DownTrack) {
	up := &UpTrack{publisherID: "pub", kind: webrtc.RTPCodecTypeAudio, mimeType: webrtc.MimeTypeOpus, done: make(chan struct{})}
	downs := make([]*DownTrack, n)
	for i := range downs {
		downs[i] = newDownTrack(up)
		downs[i].binding.Store(&downBinding{ssrc: uint32(1000 + i), payloadType: 111})
	}
	up.downs.Store(&downs)
	return up, downs
}

func TestTheWorstRecentLossOfTheSubscribersCounts(t *testing.T) {
	up, downs := audioWithSubscribers(3)
	now := time.Now()
	// One report names other streams too: only the track's own counts.
	downs[0].noteReceiverLoss([]rtcp.ReceptionReport{{SSRC: 7, FractionLost: 200}, {SSRC: 1000, FractionLost: 10}}, now)
	downs[1].noteReceiverLoss([]rtcp.ReceptionReport{{SSRC: 1001, FractionLost: 30}}, now.Add(-2*time.Second))
	downs[2].noteReceiverLoss([]rtcp.ReceptionReport{{SSRC: 1002, FractionLost: 40}}, now.Add(-downLossAge-time.Second))
	if got := up.downlinkLoss(now); got != 30 {
		t.Errorf("downlink loss %d/256, want 30: the worst of the reports within %v (40 is older)", got, downLossAge)
	}
	downs[1].noteReceiverLoss([]rtcp.ReceptionReport{{SSRC: 1001, FractionLost: 0}}, now)
	if got := up.downlinkLoss(now); got != 10 {
		t.Errorf("downlink loss %d/256 once the worst subscriber reports none, want 10", got)
	}
	if got := up.downlinkLoss(now.Add(downLossAge + time.Second)); got != 0 {
		t.Errorf("downlink loss %d/256 once every subscriber went quiet, want 0", got)
	}
	downs[2].noteReceiverLoss([]rtcp.ReceptionReport{{SSRC: 1002, FractionLost: 255}}, now)
	if got := up.downlinkLoss(now); got != maxRelayedLoss {
		t.Errorf("downlink loss %d/256 with a subscriber claiming all lost, want the bound %d", got, maxRelayedLoss)
	}
}

func TestTheReportsToAPublisherKeepTheLargerLoss(t *testing.T) {
	up, downs := audioWithSubscribers(1)
	downs[0].noteReceiverLoss([]rtcp.ReceptionReport{{SSRC: 1000, FractionLost: 20}}, time.Now())
	losses := newAudioLosses()
	losses.add("pc", 42, up)
	l := &lossFeedback{conn: "pc", losses: losses}
	reports := []rtcp.ReceptionReport{
		{SSRC: 42, FractionLost: 5, TotalLost: 9}, // the audio: its downlink loses more
		{SSRC: 43, FractionLost: 5},               // another stream: left alone
	}
	l.raise(reports, time.Now())
	if reports[0].FractionLost != 20 || reports[0].TotalLost != 9 || reports[1].FractionLost != 5 {
		t.Errorf("reports %+v: want the audio's fraction raised to 20, its count kept, the other's left", reports)
	}
	reports[0].FractionLost = 60 // the uplink loses more than any subscriber
	l.raise(reports, time.Now())
	if reports[0].FractionLost != 60 {
		t.Errorf("fraction lost %d/256: the uplink's 60 was lowered", reports[0].FractionLost)
	}
	losses.remove("pc", 42, up)
	reports[0].FractionLost = 0
	l.raise(reports, time.Now())
	if reports[0].FractionLost != 0 {
		t.Errorf("fraction lost %d/256 after the track was removed, want the uplink's 0", reports[0].FractionLost)
	}
}
