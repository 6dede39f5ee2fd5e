package signaling

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
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

// stuffedForPages is a meeting of voters voters and a facilitator, with
// proposals decided with reasons of 2000 bytes: 120 KiB a decision at
// 60 voters, so that 20 make the minutes three pages.
func stuffedForPages(t *testing.T, voters, proposals int) *bigMeeting {
	m := newBigMeeting(t, voters+1)
	m.stuff(proposals, true, longReasons)
	return m
}

func longReasons(i int, _ assembly.Kind) (int, string) {
	return assembly.ConsentStandAside, fmt.Sprintf("%03d", i) + strings.Repeat("𝄞", maxReasonRunes-3)
}

// minutesPageOf is the one page of the minutes queued for s, among
// other messages (the room's news).
func minutesPageOf(t *testing.T, s *session) (assembly.Minutes, int) {
	t.Helper()
	type page struct {
		Type    string
		Minutes assembly.Minutes
		Next    int
	}
	var pages []page
	for _, data := range drain(s) {
		var msg page
		if err := json.Unmarshal(data, &msg); err != nil {
			t.Fatalf("%v: %.100s", err, data)
		}
		if msg.Type == TypeMinutes {
			pages = append(pages, msg)
		}
	}
	if len(pages) != 1 {
		t.Fatalf("%d pages of the minutes where one was due", len(pages))
	}
	return pages[0].Minutes, pages[0].Next
}

// One export builds the record once, at its first page, and pages
// through it: every page is of the record as it stood then, exported at
// the same time, without a decision closed since. Each page rebuilt the
// whole record under the room's lock, so that an export of n pages cost
// n times the record, and a page was of the meeting as it was when asked.
func TestAnExportOfTheMinutesBuildsTheRecordOnce(t *testing.T) {
	const voters, proposals = 60, 20
	m := stuffedForPages(t, voters, proposals)
	fac := m.sessions[0]
	m.do(fac, `{"type":"minutes"}`)
	first, next := minutesPageOf(t, fac)
	if next == 0 {
		t.Fatal("the minutes fit in one page: the test needs more")
	}
	m.decide(proposals+1, assembly.Consent, longReasons) // closed during the export
	decisions, pages := len(first.Decisions), 1
	for next != 0 {
		m.do(fac, fmt.Sprintf(`{"type":"minutes","from":%d}`, next))
		var page assembly.Minutes
		page, next = minutesPageOf(t, fac)
		pages++
		if !page.Exported.Equal(first.Exported) {
			t.Fatalf("page %d was exported at %v, the first at %v: the record was built again", pages, page.Exported, first.Exported)
		}
		decisions += len(page.Decisions)
	}
	if decisions != proposals {
		t.Fatalf("%d decisions in the export, want the %d closed when it began", decisions, proposals)
	}
	if fac.getLine().limits.export.rec != nil {
		t.Fatal("the record is kept after the export's last page")
	}
	m.do(fac, `{"type":"minutes"}`)
	if again, _ := minutesPageOf(t, fac); !again.Exported.After(first.Exported) {
		t.Fatal("a new export was not built anew")
	}
}

// An export whose next page is not asked for lets go of its record after
// minutesKeep; a page asked for later is a new export, metered and built
// anew.
func TestAnAbandonedExportLetsGoOfItsRecord(t *testing.T) {
	defer setMinutesKeep(100 * time.Millisecond)()
	m := stuffedForPages(t, 60, 20)
	fac := m.sessions[0]
	m.do(fac, `{"type":"minutes"}`)
	first, next := minutesPageOf(t, fac)
	export := &fac.getLine().limits.export
	deadline := time.Now().Add(20 * time.Second)
	for {
		export.mu.Lock()
		kept := export.rec != nil
		export.mu.Unlock()
		if !kept {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the record of an abandoned export is still kept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.do(fac, fmt.Sprintf(`{"type":"minutes","from":%d}`, next))
	if page, _ := minutesPageOf(t, fac); !page.Exported.After(first.Exported) {
		t.Fatal("a page asked for after the record was let go came from it")
	}
}

// setMinutesKeep makes exports keep their records for d, until the
// returned function restores the default.
func setMinutesKeep(d time.Duration) (restore func()) {
	old := minutesKeep
	minutesKeep = d
	return func() { minutesKeep = old }
}

// A facilitator who steps down during an export gets no more of it: a
// page asked for then is a new export, which only a facilitator may
// make.
func TestAFacilitatorWhoStepsDownGetsNoMorePages(t *testing.T) {
	m := stuffedForPages(t, 60, 20)
	fac := m.sessions[0]
	m.do(fac, `{"type":"minutes"}`)
	_, next := minutesPageOf(t, fac)
	p := fac.getParticipant()
	if err := p.SetRole(p.ID(), sfu.RoleParticipant); err != nil {
		t.Fatal(err)
	}
	m.drainAll()
	m.do(fac, fmt.Sprintf(`{"type":"minutes","from":%d}`, next))
	var got []string
	for _, data := range drain(fac) {
		var msg struct{ Type, Request, Code string }
		_ = json.Unmarshal(data, &msg)
		if msg.Type == TypeMinutes || msg.Type == TypeRefused {
			got = append(got, msg.Type+" "+msg.Code)
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], TypeRefused) {
		t.Fatalf("a page asked for after stepping down was answered %q, want refused", got)
	}
}
