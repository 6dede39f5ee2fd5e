package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAFacilitatorWhosePageReloadsIsStillFacilitator: Ana, first in a
// room moderated by the first comer, reloads her page. She comes back
// as herself (the same id), still the facilitator, without the pre-join
// screen; Ben never sees her leave, join or reconnect, stays a
// participant, and decodes her camera again on its new stream. A reload
// was a leave and a new join: the chair went to Ben. Reloading once the
// seat is no longer held, she joins afresh by herself.
func TestAFacilitatorWhosePageReloadsIsStillFacilitator(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-reload-chair"
	// One after the other: the first comer is the facilitator.
	first, anaIDs := joinAll(t, srv, room, nil, "Ana")
	second, benIDs := joinAll(t, srv, room, nil, "Ben")
	ana, ben, anaID, benID := first[0], second[0], anaIDs[0], benIDs[0]
	waitFor(t, ana, "Ana chairs", `window.plenum.role === "moderator"`)
	if _, err := ana.WaitDecodes(benID, 20*time.Second); err != nil {
		t.Fatalf("Ana: %v", err)
	}
	if _, err := ben.WaitDecodes(anaID, 20*time.Second); err != nil {
		t.Fatalf("Ben: %v", err)
	}
	var ok bool
	if err := ben.Eval(watchReconnecting, &ok); err != nil {
		t.Fatal(err)
	}

	before := framesFrom(t, ben, anaID)
	if err := ana.Do(chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if err := ana.WaitFor(`window.plenum && window.plenum.state === "joined"`, 60*time.Second); err != nil {
		t.Fatalf("Ana is not back after the reload: %v", err)
	}
	if id, err := ana.ParticipantID(); err != nil || id != anaID {
		t.Fatalf("after the reload Ana is %q (%v), was %s", id, err, anaID)
	}
	waitFor(t, ana, "Ana still chairs after the reload", `window.plenum.role === "moderator"`)
	if _, err := ana.WaitDecodes(benID, 20*time.Second); err != nil {
		t.Fatalf("Ana after the reload: %v", err)
	}

	// Ben decodes Ana's camera again: on a new stream, whose count of
	// frames starts again from 0, so that only live media takes it past
	// where the old stream's stopped.
	keepsDecoding(t, ben, anaID, before, time.Minute)

	var seen struct {
		Role         string
		Participants []struct {
			ID, Role     string
			Reconnecting bool
		}
		Said         []string
		Reconnecting bool
	}
	if err := ben.Eval(`({role: window.plenum.role, participants: window.plenum.participants(),
		said: window.plenum.announcements(), reconnecting: window.seenReconnecting})`, &seen); err != nil {
		t.Fatal(err)
	}
	if seen.Role != "participant" || len(seen.Participants) != 1 || seen.Participants[0].ID != anaID || seen.Participants[0].Role != "moderator" {
		t.Fatalf("after Ana's reload Ben is %s and sees %+v", seen.Role, seen.Participants)
	}
	if seen.Reconnecting || slices.Contains(seen.Said, "Ana left") || slices.Contains(seen.Said, "Ana is reconnecting") {
		t.Fatalf("Ben saw Ana go (reconnecting %v, heard %q)", seen.Reconnecting, seen.Said)
	}
	if n := srv.Manager().ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server, want 2", n)
	}

	// A reload the server no longer holds the seat for (too slow, here
	// a hold of nothing): the resume is refused, and the page joins
	// afresh by itself rather than showing the error.
	srv.Manager().SetReturnHold(time.Nanosecond)
	if err := ana.Do(chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ben, "the chair passes to Ben once Ana's seat is let go", `window.plenum.role === "moderator"`)
	if err := ana.WaitFor(`window.plenum && window.plenum.state === "joined"`, 60*time.Second); err != nil {
		var last any
		_ = ana.Eval(`window.plenum && window.plenum.lastError`, &last)
		t.Fatalf("Ana does not join again after a refused resume: %v (%v)", err, last)
	}
	if id, err := ana.ParticipantID(); err != nil || id == anaID {
		t.Fatalf("after a refused resume Ana is %q (%v), the old participant", id, err)
	}
}
