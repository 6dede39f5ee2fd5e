package signaling

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/plenum-meet/plenum/sfu/assembly"
)

// The minutes go in pages: the record of a meeting stuffed for it
// (100 consent rounds of hundreds of voters, each with a reason of 500
// characters) is tens of megabytes, more than a client's queue holds
// (sendQueueBytes), so that, sent whole, it cut off the facilitator who
// asked for it, each time. A page holds the decisions that fit in
// minutesPageBytes, one at least, and the first the speaking order too;
// the client asks for the next page (`from`) once it has this one, so
// that one page at a time waits in its queue.
const minutesPageBytes = 1 << 20

// minutesPage is one page of the minutes (PROTOCOL.md, `minutes`).
type minutesPage struct {
	Exported time.Time `json:"exported"`
	// Decisions are the closed proposals from the page's first, encoded.
	Decisions []json.RawMessage `json:"decisions"`
	// Turns is the speaking order, in the first page only.
	Turns []assembly.Turn `json:"turns"`
}

type minutesMessage struct {
	Type    string      `json:"type"`
	Minutes minutesPage `json:"minutes"`
	// Next is the index of the decision the next page starts at, to ask
	// for with `from`; 0 when this page is the last.
	Next int `json:"next,omitempty"`
}

// pageOfMinutes is the page of rec that starts at decision from, and
// where the next one starts (0: none).
func pageOfMinutes(rec assembly.Minutes, from int) (minutesPage, int, error) {
	page := minutesPage{Exported: rec.Exported, Decisions: []json.RawMessage{}, Turns: []assembly.Turn{}}
	if from == 0 {
		page.Turns = rec.Turns
	}
	size := 0
	for i := from; i < len(rec.Decisions); i++ {
		data, err := json.Marshal(rec.Decisions[i])
		if err != nil {
			return page, 0, err
		}
		if len(page.Decisions) > 0 && size+len(data) > minutesPageBytes {
			return page, i, nil
		}
		size += len(data)
		page.Decisions = append(page.Decisions, data)
	}
	return page, 0, nil
}

// minutesKeep is how long an export's record is kept for its next page
// after one was sent: long enough for a slow link to take in a page,
// short enough that a client that never asks for the rest holds no
// memory for long. A page asked for later starts a new export.
var minutesKeep = 30 * time.Second

// minutesExport is where a participant's export of the minutes stands:
// the decision its next page starts at, 0 when none is under way, and
// the record it pages through. The record is built once, at the first
// page, under the room's lock; the pages after it come from it, so that
// an export of n pages does not rebuild the whole record n times, and
// they are not metered (limits.minutes), a new export is. One export at
// a time a participant, kept at most minutesKeep after its last page,
// bounds the memory it holds.
type minutesExport struct {
	mu   sync.Mutex
	next int
	rec  *assembly.Minutes
	drop *time.Timer // lets go of rec after minutesKeep
}

// continued returns the record of the export under way if a request for
// the page at from continues it, and takes the export on.
func (e *minutesExport) continued(from int) (*assembly.Minutes, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if from <= 0 || from != e.next || e.rec == nil {
		return nil, false
	}
	e.next = 0
	return e.rec, true
}

// keep notes rec as the record of the export under way and next as the
// decision its next page starts at; next 0 ends the export and lets go
// of the record.
func (e *minutesExport) keep(rec *assembly.Minutes, next int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.drop != nil {
		e.drop.Stop()
		e.drop = nil
	}
	e.next, e.rec = next, nil
	if next == 0 {
		return
	}
	e.rec = rec
	e.drop = time.AfterFunc(minutesKeep, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.rec == rec {
			e.next, e.rec = 0, nil
		}
	})
}

// sendMinutes sends the page of rec at from and notes where the next
// starts.
func (s *session) sendMinutes(rec *assembly.Minutes, from int) {
	page, next, err := pageOfMinutes(*rec, from)
	if err != nil {
		s.log.Error("encode minutes", "err", err)
		return
	}
	s.getLine().limits.export.keep(rec, next)
	s.sendJSON(minutesMessage{Type: TypeMinutes, Minutes: page, Next: next})
}
