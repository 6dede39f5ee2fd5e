package signaling_test

import (
	"slices"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// reconnecting reports whether c sees participant id marked reconnecting.
func reconnecting(c *client.Client, id string) bool {
	p, ok := c.Participants()[id]
	return ok && p.Reconnecting
}

func TestOthersSeeAParticipantReconnectingThenBack(t *testing.T) {
	f := start(t)
	ana := f.join(t, "council", "Ana") // first: moderates
	ben := f.join(t, "council", "Ben")
	benID := ben.ID()
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana sees the lobby on", func() bool { return ana.RoomState().Lobby })
	dan := f.join(t, "council", "Dan")
	if !dan.Waiting() {
		t.Fatal("Dan was not told to wait")
	}

	ben.CutSocket()
	waitFor(t, "Ana sees Ben reconnecting", func() bool { return reconnecting(ana, benID) })

	// Someone let in meanwhile learns it from the welcome.
	cleo := f.join(t, "council", "Cleo")
	if err := ana.Admit(cleo.LobbyID()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cleo.Admitted():
	case <-time.After(10 * time.Second):
		t.Fatal("Cleo was not admitted")
	}
	if !reconnecting(cleo, benID) {
		t.Fatalf("Cleo's welcome lists Ben as %+v, want reconnecting", cleo.Participants()[benID])
	}

	if err := resume(ben, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{ana, cleo} {
		waitFor(t, c.ID()+" sees Ben back", func() bool {
			_, there := c.Participants()[benID]
			return there && !reconnecting(c, benID)
		})
	}
	want := []client.PresenceEvent{{ID: benID, State: "reconnecting"}, {ID: benID, State: "connected"}}
	if got := ana.Presence(); !slices.Equal(got, want) {
		t.Fatalf("Ana saw %+v, want %+v", got, want)
	}
	if got := cleo.Presence(); !slices.Equal(got, want[1:]) {
		t.Fatalf("Cleo saw %+v, want %+v", got, want[1:])
	}
	// Ben's resumed welcome shows nobody reconnecting, himself least.
	for id, p := range ben.Participants() {
		if p.Reconnecting {
			t.Fatalf("Ben sees %s reconnecting", id)
		}
	}
	// The lobby learns nothing of the room.
	time.Sleep(300 * time.Millisecond) // time for anything to leak
	if p, n := dan.Presence(), len(dan.Participants()); len(p) != 0 || n != 0 {
		t.Fatalf("Dan, waiting, saw %+v and knows of %d participants", p, n)
	}
}

func TestReconnectingEndsInTheLeaveWhenTheGraceIsOver(t *testing.T) {
	f := start(t)
	f.manager.SetResumeGrace(time.Second)
	ana := f.join(t, "council", "Ana")
	ben := f.join(t, "council", "Ben")
	benID := ben.ID()
	ben.CutSocket()
	want := []client.PresenceEvent{{ID: benID, State: "reconnecting"}, {ID: benID, State: "left"}}
	waitFor(t, "Ana sees Ben reconnecting, then leave", func() bool { return len(ana.Presence()) >= 2 })
	if got := ana.Presence(); !slices.Equal(got, want) {
		t.Fatalf("Ana saw %+v, want %+v", got, want)
	}

	// Too late: refused; Ben joins afresh and nobody is left reconnecting.
	resumeRefusedWith(t, resume(ben, ""), signaling.CodeResumeFailed)
	again := f.join(t, "council", "Ben")
	waitFor(t, "Ana sees Ben again", func() bool {
		_, ok := ana.Participants()[again.ID()]
		return ok
	})
	for _, c := range []*client.Client{ana, again} {
		for id, p := range c.Participants() {
			if p.Reconnecting {
				t.Fatalf("%s sees %s reconnecting", c.ID(), id)
			}
		}
	}
	if got := ana.Presence(); len(got) != 2 {
		t.Fatalf("Ana saw %+v after Ben's fresh join, want no more changes", got)
	}
}
