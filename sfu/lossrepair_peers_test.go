package sfu_test

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

// calmPicture has Ben receive Ana's video, which carries keyframes
// only when asked, as a browser's, and waits until the last keyframe
// Ben got is over 150 packets old (past the requests of the start).
func calmPicture(t *testing.T) (s *testServer, ana, ben *client.Client, got *client.Counter) {
	t.Helper()
	s = startServer(t)
	ana = s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, KeyframesWhenAsked: true})
	ben = s.joinWith(t, client.Config{Room: "council", Name: "Ben"})
	eventually(t, 15*time.Second, "Ben receives Ana's video", func() bool { return receivedWidth(ben, ana.ID()) > 0 })
	got = ben.Received(ana.ID(), webrtc.RTPCodecTypeVideo)
	eventually(t, 20*time.Second, "150 packets of Ana's video after its last keyframe", func() bool {
		_, since := got.Keyframes()
		return since > 150
	})
	return s, ana, ben, got
}

// noMoreKeyframeRequests fails the test if Ana is asked for a keyframe
// within a second and a half (three times the requests' throttle, which
// may defer one) after Ben's NACKs were read: their resends arrived.
func noMoreKeyframeRequests(t *testing.T, ana *client.Client, got *client.Counter, repairedBefore uint64, why string) {
	t.Helper()
	requests := ana.KeyframeRequests()
	eventually(t, 10*time.Second, "Ben receives the resends he asked for", func() bool { return got.Repaired() > repairedBefore })
	time.Sleep(1500 * time.Millisecond)
	if n := ana.KeyframeRequests() - requests; n != 0 {
		t.Errorf("%s: Ana was asked for %d keyframes", why, n)
	}
}

// A subscriber NACKs a video packet the server no longer keeps (sent
// over a second ago, after the last keyframe): the server asks the
// publisher for a keyframe at once, and the subscriber receives it,
// though it sent no PLI itself (browsers wait about 3 s for one, the
// picture frozen). Asked again for the same packet, now older than
// that keyframe, it asks nothing more.
func TestANACKTheServerCannotAnswerAsksThePublisherForAKeyframe(t *testing.T) {
	s, ana, ben, got := calmPicture(t)
	before := s.manager.Totals()
	requests := ana.KeyframeRequests()
	keyframes, _ := got.Keyframes()
	gone := got.Newest() - 120 // 1.3 s of video: the server keeps about 0.3 s on loopback
	if err := ben.NACK(ana.ID(), gone); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ana is asked for a keyframe and Ben receives it", func() bool {
		n, _ := got.Keyframes()
		return ana.KeyframeRequests() > requests && n > keyframes
	})
	after := s.manager.Totals()
	if n := after.KeyframeRequestsIn - before.KeyframeRequestsIn; n != 0 {
		t.Errorf("Ben sent %d keyframe requests: the test means the server to ask by itself", n)
	}
	if after.KeyframeRequestsForLoss == before.KeyframeRequestsForLoss {
		t.Error("the keyframe request for Ben's loss is not counted in the metrics")
	}

	// libwebrtc NACKs a packet up to ten times; the keyframe made it
	// useless, and a recent packet shows when the NACKs were read.
	repaired := got.Repaired()
	for range 5 {
		if err := ben.NACK(ana.ID(), gone); err != nil {
			t.Fatal(err)
		}
	}
	if err := ben.NACK(ana.ID(), got.Newest()-1); err != nil {
		t.Fatal(err)
	}
	noMoreKeyframeRequests(t, ana, got, repaired, "Ben NACKed a packet from before the keyframe the loss brought")
}

// A NACK the server answers from what it keeps asks for no keyframe.
func TestANACKTheServerAnswersAsksForNoKeyframe(t *testing.T) {
	_, ana, ben, got := calmPicture(t)
	repaired := got.Repaired()
	newest := got.Newest()
	if err := ben.NACK(ana.ID(), newest-2, newest-1); err != nil {
		t.Fatal(err)
	}
	noMoreKeyframeRequests(t, ana, got, repaired, "Ben NACKed two packets the server resent")
}
