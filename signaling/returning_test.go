package signaling_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/client"
)

// comeBack dials as the page that reloaded does: resuming ret's
// participant with new peer connections, publishing.
func (f *fixture) comeBack(t *testing.T, room, name string, ret client.Return) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: f.url, Room: room, Name: name, Publish: true, Return: &ret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// A facilitator whose page reloads (leave saying it returns, its peer
// connections closed, then a resume on new ones) comes back as
// themselves: still moderator in a room moderated by the first comer,
// their hand still first in the queue, their media flowing again, and
// nobody saw them leave, nor reconnect. One who does not come back leaves when the
// return hold ends, long before the resume grace would: the chair
// passes on and their hand goes.
func TestAFacilitatorWhoReloadsKeepsTheChairAndTheQueue(t *testing.T) {
	f := start(t)
	f.manager.SetResumeGrace(time.Hour) // only the hold can end anyone here
	fay := f.publisher(t, "council", "Fay")
	ben := f.publisher(t, "council", "Ben")
	fayID := fay.ID()
	if fay.Role() != sfu.RoleModerator {
		t.Fatalf("the first comer is %s", fay.Role())
	}
	raiseHands(t, []*client.Client{fay, ben}, fay, ben)
	waitFor(t, "Fay and Ben receive each other", func() bool {
		return receivesBoth(fay, ben.ID()) && receivesBoth(ben, fayID)
	})

	back := f.comeBack(t, "council", "Fay", fay.LeaveToReturn())
	if back.ID() != fayID || back.Role() != sfu.RoleModerator {
		t.Fatalf("back as %s, %s; want %s, moderator", back.ID(), back.Role(), fayID)
	}
	waitFor(t, "Fay receives Ben on her new connections", func() bool { return receivesBoth(back, ben.ID()) })
	mediaKeepsFlowing(t, ben, fayID)
	seeQueue(t, []string{fayID, ben.ID()}, back, ben)
	// Past the time a closed peer connection takes to end its
	// participant: Fay's old ones were.
	time.Sleep(1500 * time.Millisecond)
	if d := ben.Departures(); len(d) != 0 {
		t.Fatalf("Ben saw %v leave", d)
	}
	if p, ok := ben.Participants()[fayID]; !ok || p.Role != sfu.RoleModerator || p.Reconnecting {
		t.Fatalf("Ben sees Fay as %+v (listed: %v)", p, ok)
	}
	for _, e := range ben.Presence() {
		if e.ID == fayID {
			t.Fatalf("Ben saw Fay's presence change: %+v", ben.Presence())
		}
	}
	if ben.Role() != sfu.RoleParticipant {
		t.Fatalf("Ben is %s", ben.Role())
	}
	if n := f.manager.ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server, want 2", n)
	}

	// Now she closes the tab: the same leave, and nobody comes back.
	f.manager.SetReturnHold(2 * time.Second)
	back.LeaveToReturn()
	// Her leave has been read (the server closed her socket): within
	// the hold, she is still there, and not shown reconnecting.
	time.Sleep(time.Second)
	if p, ok := ben.Participants()[fayID]; !ok || p.Reconnecting || slices.Contains(ben.Departures(), fayID) {
		t.Fatalf("within the hold, Ben sees Fay as %+v (listed: %v), departures %v", p, ok, ben.Departures())
	}
	waitFor(t, "Ben sees Fay leave once the hold is over", func() bool {
		return slices.Contains(ben.Departures(), fayID)
	})
	waitFor(t, "the chair passes to Ben", func() bool { return ben.Role() == sfu.RoleModerator })
	seeQueue(t, []string{ben.ID()}, ben)
	waitFor(t, "one participant left", func() bool { return f.manager.ParticipantCount() == 1 })
	waitFor(t, "only Ben's resume token held", func() bool { return f.sig.ResumeTokens() == 1 })
}

// A client that leaves to return and resumes over and over has the
// server build new peer connections each time: past
// sfu.MaxReturnsPerMinute in a minute, its leave that says it returns is
// a plain leave. Ben sees Fay leave at once, though the hold is an
// hour, and her resume is refused.
func TestALeaveToReturnTooOftenIsAPlainLeave(t *testing.T) {
	f := start(t)
	f.manager.SetResumeGrace(time.Hour)
	f.manager.SetReturnHold(time.Hour)
	fay := f.join(t, "council", "Fay")
	ben := f.join(t, "council", "Ben")
	fayID := fay.ID()
	resume := func(ret client.Return) (*client.Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, client.Config{URL: f.url, Room: "council", Name: "Fay", Return: &ret})
		if err == nil {
			t.Cleanup(c.Close)
		}
		return c, err
	}
	for i := range sfu.MaxReturnsPerMinute {
		back, err := resume(fay.LeaveToReturn())
		if err != nil {
			t.Fatalf("return %d: %v", i+1, err)
		}
		if back.ID() != fayID {
			t.Fatalf("return %d: back as %s, want %s", i+1, back.ID(), fayID)
		}
		fay = back
	}
	if d := ben.Departures(); len(d) != 0 {
		t.Fatalf("Ben saw %v leave", d)
	}
	ret := fay.LeaveToReturn()
	waitFor(t, "Ben sees Fay leave at once", func() bool { return slices.Contains(ben.Departures(), fayID) })
	if n := f.manager.ParticipantCount(); n != 1 {
		t.Fatalf("%d participants on the server, want Ben alone", n)
	}
	if _, err := resume(ret); err == nil || !strings.Contains(err.Error(), "resume-failed") {
		t.Fatalf("a resume after a return past the bound: %v, want resume-failed", err)
	}
}
