package signaling

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/plenum-meet/plenum/sfu/assembly"
)

// The minutes of a room stuffed for it, more than a client's queue
// holds, reach the facilitator who asks for them, in pages, without
// cutting them off: sent whole, they overflowed the queue and the
// facilitator lost the connection, at each request.
func TestTheMinutesOfAStuffedRoomReachTheFacilitator(t *testing.T) {
	const voters, proposals = 200, 40
	m := newBigMeeting(t, voters+1)
	// Every voter stands aside with a reason of 500 characters of
	// four bytes each.
	longReasons := func(i int, _ assembly.Kind) (int, string) {
		return assembly.ConsentStandAside, fmt.Sprintf("%03d", i) + strings.Repeat("𝄞", maxReasonRunes-3)
	}
	m.stuff(proposals, true, longReasons)
	fac := m.sessions[0]
	m.do(fac, `{"type":"minutes"}`)
	var decisions []assembly.ProposalState
	pages, size := 0, 0
	for {
		got := drain(fac)
		if len(got) != 1 {
			t.Fatalf("%d messages where a page of the minutes was due", len(got))
		}
		var msg struct {
			Type    string
			Minutes assembly.Minutes
			Next    int
		}
		if err := json.Unmarshal(got[0], &msg); err != nil || msg.Type != TypeMinutes {
			t.Fatalf("not a page of the minutes (%v): %.100s", err, got[0])
		}
		pages++
		size += len(got[0])
		if len(got[0]) > 2*minutesPageBytes {
			t.Errorf("page %d is %d bytes, past twice the page's %d", pages, len(got[0]), minutesPageBytes)
		}
		decisions = append(decisions, msg.Minutes.Decisions...)
		if msg.Next == 0 {
			break
		}
		m.do(fac, fmt.Sprintf(`{"type":"minutes","from":%d}`, msg.Next))
	}
	if fac.lost.Load() || fac.ending() {
		t.Fatal("the facilitator was cut off by the minutes")
	}
	if size <= sendQueueBytes {
		t.Fatalf("the minutes are %d bytes: the room is not stuffed past the queue's %d", size, sendQueueBytes)
	}
	if len(decisions) != proposals {
		t.Fatalf("%d decisions in the minutes, want %d", len(decisions), proposals)
	}
	for i, d := range decisions {
		if d.ID != i+1 || d.Result == nil || len(d.Result.Reasons) != voters {
			t.Fatalf("decision %d of the minutes is proposal %d with %v", i, d.ID, d.Result)
		}
	}
	t.Logf("the minutes of a stuffed room: %d bytes in %d pages", size, pages)
}

// A page of the minutes past an export's first is not counted against
// the limit on requests; one that continues no export is.
func TestOnlyTheFirstPageOfTheMinutesIsMetered(t *testing.T) {
	m := newBigMeeting(t, 1)
	fac := m.sessions[0]
	for i := 0; i < 3; i++ {
		m.do(fac, `{"type":"minutes","from":5}`) // no export is under way
	}
	var codes []string
	for _, data := range drain(fac) {
		var msg struct{ Type, Code string }
		_ = json.Unmarshal(data, &msg)
		if msg.Type == TypeRefused {
			codes = append(codes, msg.Code)
		}
	}
	if len(codes) != 1 || codes[0] != CodeRateLimit {
		t.Fatalf("three pages asked for out of any export were refused %q, want the third only (rate-limit)", codes)
	}
}
