package signaling_test

import (
	"slices"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
)

// A resume checks again the link its participant came with: one voided
// since (the key rotated because it leaked) lets nobody stay by
// resuming; one that merely expired since it was used does not cut a
// chair out of a running meeting on a network blip.
func TestAResumeChecksTheLinkAgain(t *testing.T) {
	s := startAccess(t, nil)
	// Longer than the test waits: whoever leaves, leaves because of
	// the link, not because the grace ran out.
	s.manager.SetResumeGrace(time.Minute)
	ana := s.join(t, "council", "Ana")

	t.Run("expired meanwhile", func(t *testing.T) {
		expires := time.Now().Add(2 * time.Second).Truncate(time.Second)
		tok, err := s.links.Sign(auth.Claims{Room: "council", Role: auth.RoleModerator, Expires: expires.Unix()})
		if err != nil {
			t.Fatal(err)
		}
		chair := s.dial(t, client.Config{Room: "council", Name: "Chair", Token: tok})
		time.Sleep(time.Until(expires) + 100*time.Millisecond)
		chair.CutSocket()
		if err := resume(chair, ""); err != nil {
			t.Fatalf("a chair whose link expired after they came in cannot resume: %v", err)
		}
		stillWorks(t, chair)
	})

	t.Run("voided", func(t *testing.T) {
		tok := s.link(t, "council", auth.RoleParticipant, "")
		ben := s.dial(t, client.Config{Room: "council", Name: "Ben", Token: tok})
		benID := ben.ID()
		if err := auth.RotateKey(s.dataDir); err != nil {
			t.Fatal(err)
		}
		ben.CutSocket()
		resumeRefusedWith(t, resume(ben, ""), signaling.CodeResumeFailed)
		waitFor(t, "Ana sees Ben leave at once", func() bool { return slices.Contains(ana.Departures(), benID) })
		s.refused(t, client.Config{Room: "council", Name: "Ben", Token: tok}, signaling.CodeBadToken)
	})
}
