package sfu_test

import (
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
)

// A participant whose up connection failed and who is made viewer
// before it is back has lost nothing it still needs: the demotion closes
// that connection, and the resume grace the failure started does not
// end the participant, whose down connection is fine.
func TestAParticipantMadeViewerAfterItsUpConnectionFailedStays(t *testing.T) {
	s := startServer(t)
	const grace = 300 * time.Millisecond
	s.manager.SetResumeGrace(grace)
	mod := s.join(t, "council", "Mod") // the first comer moderates
	ana := s.join(t, "council", "Ana")
	eventually(t, 30*time.Second, "Ana receives Mod", func() bool { return receives(ana, mod.ID(), 10) })

	s.manager.FailMedia(ana.ID(), sfu.Up)
	if err := mod.SetRole(ana.ID(), sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ana is told she is a viewer", func() bool { return ana.Role() == sfu.RoleViewer })

	time.Sleep(3 * grace) // the grace the failure started would be over
	select {
	case <-ana.Done():
		t.Fatalf("Ana's session ended: %v", ana.Err())
	default:
	}
	before := packets(ana, mod.ID())
	eventually(t, 10*time.Second, "Ana still receives Mod", func() bool { return packets(ana, mod.ID()) >= before+20 })
	if n := s.manager.ParticipantCount(); n != 2 {
		t.Fatalf("%d participants, want 2", n)
	}
}
