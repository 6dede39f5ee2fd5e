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
	s := startWithLongGrace(t)
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

// startWithLongGrace starts a server that keeps those away for a resume
// longer than a test waits: whoever leaves, leaves because of their
// link, not because the grace ran out.
func startWithLongGrace(t *testing.T) *accessServer {
	t.Helper()
	s := startAccess(t, nil)
	s.manager.SetResumeGrace(time.Minute)
	return s
}

// Rotating the key (a link leaked) puts out, at once, everyone whose
// link it voids: in the room, away for a resume or in the lobby. Those
// who came without a link, or with a link of the new key, stay.
func TestRotatingTheKeyPutsOutThoseWhoseLinkItVoids(t *testing.T) {
	s := startWithLongGrace(t)
	ana := s.join(t, "council", "Ana") // no link: moderates
	chair := s.dial(t, client.Config{Room: "council", Name: "Chair", Token: s.link(t, "council", auth.RoleModerator, "")})
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben", Token: s.link(t, "council", auth.RoleParticipant, "")})
	eveLink := s.link(t, "council", auth.RoleParticipant, "")
	eve := s.dial(t, client.Config{Room: "council", Name: "Eve", Token: eveLink})
	eveID := eve.ID()
	eve.CutSocket()
	waitFor(t, "Ana sees Eve reconnecting", func() bool { return reconnecting(ana, eveID) })
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lobby on", func() bool { return ana.RoomState().Lobby })
	walt := s.dial(t, client.Config{Room: "council", Name: "Walt", Token: s.link(t, "council", auth.RoleParticipant, "")})
	waitFor(t, "Walt waits", func() bool { return len(ana.Lobby()) == 1 })

	if err := auth.RotateKey(s.dataDir); err != nil {
		t.Fatal(err)
	}
	dan := s.dial(t, client.Config{Room: "council", Name: "Dan", Token: s.link(t, "council", auth.RoleModerator, "")})

	for _, c := range []*client.Client{chair, ben, walt} {
		endsWith(t, c, signaling.CodeLinkRevoked)
	}
	waitFor(t, "Ana sees those whose link was voided leave, Eve (away) too", func() bool {
		gone := ana.Departures()
		return slices.Contains(gone, chair.ID()) && slices.Contains(gone, ben.ID()) && slices.Contains(gone, eveID)
	})
	waitFor(t, "Walt is out of the lobby", func() bool { return len(ana.Lobby()) == 0 })
	resumeRefusedWith(t, resume(eve, ""), signaling.CodeResumeFailed)
	s.refused(t, client.Config{Room: "council", Name: "Eve", Token: eveLink}, signaling.CodeBadToken)

	// The next sweeps (one follows the first) leave the others alone.
	time.Sleep(3 * time.Second)
	for _, c := range []*client.Client{ana, dan} {
		stillWorks(t, c)
	}
	if _, ok := ana.Participants()[dan.ID()]; !ok {
		t.Error("Dan, with a link of the new key, is no longer in the room")
	}
}
