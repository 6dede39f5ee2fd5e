package assembly

import (
	"slices"
	"time"
)

// Queue limits.
const (
	// MaxTurnSeconds is the longest speaking time a facilitator may set.
	MaxTurnSeconds = 3600
	// maxTurns bounds the speaking order kept for the minutes: the
	// oldest turns go first (a meeting with this many is not a meeting).
	maxTurns = 2000
)

// Rules are the facilitator's settings of the queue.
type Rules struct {
	// NotYetSpokenFirst puts those who have not spoken yet in this
	// meeting before those who have (direct responses still come first).
	NotYetSpokenFirst bool `json:"notYetSpokenFirst"`
	// Seconds is each turn's speaking time, 0 for no limit. Set during a
	// turn, it applies to that turn too, counted from its start.
	Seconds int `json:"seconds"`
}

// QueueEntry is one raised hand as everybody sees it.
type QueueEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Direct marks a direct response (a point of information): it goes
	// before every ordinary entry.
	Direct bool `json:"direct"`
	// Spoken tells whether the participant has had the floor before.
	Spoken bool `json:"spoken"`
}

// Floor is the current speaker's turn.
type Floor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ElapsedMs is how long the turn has lasted when the state was made;
	// clients count on from there with their own clock.
	ElapsedMs int64 `json:"elapsedMs"`
	// Seconds is the turn's speaking time, 0 for no limit.
	Seconds int `json:"seconds"`
}

// QueueState is the queue as everybody sees it.
type QueueState struct {
	Entries []QueueEntry `json:"entries"`
	Speaker *Floor       `json:"speaker"`
	Rules
}

// Turn is one turn at speaking, for the minutes.
type Turn struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	// End is zero while the turn goes on.
	End time.Time `json:"end,omitzero"`
}

type entry struct {
	id, name string
	direct   bool
	seq      uint64 // arrival order
}

type queue struct {
	entries []entry
	seq     uint64
	spoken  map[string]bool
	rules   Rules
	turns   []Turn
	current bool // the last turn goes on
}

func (q *queue) index(id string) int {
	return slices.IndexFunc(q.entries, func(e entry) bool { return e.id == id })
}

// before reports whether a goes before b by the rules alone: direct
// responses first, then (with NotYetSpokenFirst) those who have not
// spoken, each group in arrival order.
func (q *queue) before(a, b entry) bool {
	if a.direct != b.direct {
		return a.direct
	}
	if !a.direct && q.rules.NotYetSpokenFirst && q.spoken[a.id] != q.spoken[b.id] {
		return !q.spoken[a.id]
	}
	return a.seq < b.seq
}

// insert places e by the rules among the entries already there, which
// keep their order (a facilitator may have moved them): just after the
// last entry that goes before it, so never ahead of anyone the rules
// put first, wherever the facilitator moved them. In a queue nobody
// moved, that is where sorting would put it.
func (q *queue) insert(e entry) {
	at := 0
	for i, o := range q.entries {
		if q.before(o, e) {
			at = i + 1
		}
	}
	q.entries = slices.Insert(q.entries, at, e)
}

// resort orders the whole queue by the rules, undoing a facilitator's
// moves: done when the rule of who goes first changes.
func (q *queue) resort() {
	slices.SortStableFunc(q.entries, func(a, b entry) int {
		switch {
		case q.before(a, b):
			return -1
		case q.before(b, a):
			return 1
		}
		return 0
	})
}

func (q *queue) remove(id string) bool {
	i := q.index(id)
	if i < 0 {
		return false
	}
	q.entries = slices.Delete(q.entries, i, i+1)
	return true
}

func (q *queue) speaker() *Turn {
	if !q.current {
		return nil
	}
	return &q.turns[len(q.turns)-1]
}

func (q *queue) endTurn(now time.Time) bool {
	t := q.speaker()
	if t == nil {
		return false
	}
	t.End = now
	q.current = false
	return true
}

func (q *queue) give(e entry, now time.Time) {
	q.endTurn(now)
	q.remove(e.id)
	if q.spoken == nil {
		q.spoken = map[string]bool{}
	}
	q.spoken[e.id] = true
	if len(q.turns) == maxTurns {
		q.turns = slices.Delete(q.turns, 0, 1)
	}
	q.turns = append(q.turns, Turn{ID: e.id, Name: e.name, Start: now})
	q.current = true
}

// leave takes id's hand out of the queue and ends their turn, or, if
// heir is not "", hands both to heir (see handOver). It reports whether
// the queue changed.
func (q *queue) leave(id, heir string, now time.Time) bool {
	if heir != "" {
		return q.handOver(id, heir)
	}
	removed := q.remove(id)
	if t := q.speaker(); t != nil && t.ID == id {
		q.endTurn(now)
		return true
	}
	return removed
}

// handOver gives id's hand and turn to heir, the same person on another
// device (Member.Ballot): the person has not left, so they keep their
// place, the earlier of the two if both devices raised a hand, and the
// floor; and they have spoken if either device did.
func (q *queue) handOver(id, heir string) bool {
	changed := false
	if i := q.index(id); i >= 0 {
		j := q.index(heir)
		if j >= 0 && j < i {
			q.entries = slices.Delete(q.entries, i, i+1)
		} else {
			if j >= 0 {
				q.entries = slices.Delete(q.entries, j, j+1) // after i: i stays
			}
			q.entries[i].id = heir
		}
		changed = true
	}
	if t := q.speaker(); t != nil && t.ID == id {
		t.ID = heir
		changed = true
	}
	if q.spoken[id] && !q.spoken[heir] {
		q.spoken[heir] = true
		changed = changed || q.index(heir) >= 0
	}
	return changed
}

func (q *queue) state(now time.Time) QueueState {
	s := QueueState{Entries: make([]QueueEntry, 0, len(q.entries)), Rules: q.rules}
	for _, e := range q.entries {
		s.Entries = append(s.Entries, QueueEntry{ID: e.id, Name: e.name, Direct: e.direct, Spoken: q.spoken[e.id]})
	}
	if t := q.speaker(); t != nil {
		s.Speaker = &Floor{ID: t.ID, Name: t.Name, ElapsedMs: max(0, now.Sub(t.Start).Milliseconds()), Seconds: q.rules.Seconds}
	}
	return s
}

// RaiseHand puts m in the queue, as a direct response if direct. A hand
// already raised the same way stays where it is; switching between
// ordinary and direct takes a new place.
func (a *Assembly) RaiseHand(m Member, direct bool) error {
	if m.Viewer {
		return ErrViewer
	}
	q := &a.queue
	if i := q.index(m.ID); i >= 0 {
		if q.entries[i].direct == direct {
			return nil
		}
		q.remove(m.ID)
	}
	q.seq++
	q.insert(entry{id: m.ID, name: m.Name, direct: direct, seq: q.seq})
	a.queueChanged = true
	return nil
}

// LowerHand takes m out of the queue; a hand not raised is no error.
func (a *Assembly) LowerHand(m Member) {
	if a.queue.remove(m.ID) {
		a.queueChanged = true
	}
}

// RemoveFromQueue is the facilitator lowering participant id's hand.
func (a *Assembly) RemoveFromQueue(by Member, id string) error {
	if err := facilitator(by); err != nil {
		return err
	}
	if !a.queue.remove(id) {
		return ErrNotInQueue
	}
	a.queueChanged = true
	return nil
}

// MoveInQueue is the facilitator putting participant id at position
// (0 is the head; past the end means last). The order stays until the
// rule of who goes first (NotYetSpokenFirst) changes.
func (a *Assembly) MoveInQueue(by Member, id string, position int) error {
	if err := facilitator(by); err != nil {
		return err
	}
	q := &a.queue
	i := q.index(id)
	if i < 0 {
		return ErrNotInQueue
	}
	e := q.entries[i]
	q.entries = slices.Delete(q.entries, i, i+1)
	q.entries = slices.Insert(q.entries, min(max(position, 0), len(q.entries)), e)
	a.queueChanged = true
	return nil
}

// CallNext is the facilitator giving the floor to the head of the queue;
// the current turn ends. With nobody in the queue it only ends the turn.
func (a *Assembly) CallNext(by Member, now time.Time) error {
	if err := facilitator(by); err != nil {
		return err
	}
	q := &a.queue
	if len(q.entries) == 0 {
		if q.endTurn(now) {
			a.queueChanged = true
		}
		return nil
	}
	q.give(q.entries[0], now)
	a.queueChanged = true
	return nil
}

// Call is the facilitator giving the floor out of turn to who, as the
// room knows them: someone in the queue, or anyone else present who may
// speak, hand raised or not, as a chair asks someone who wanted to add
// something. A viewer may not have the floor; the caller tells who is
// present (the assembly knows only who is queued).
func (a *Assembly) Call(by, who Member, now time.Time) error {
	if err := facilitator(by); err != nil {
		return err
	}
	if who.Viewer {
		return ErrViewer
	}
	q := &a.queue
	e := entry{id: who.ID, name: who.Name}
	if i := q.index(who.ID); i >= 0 {
		e = q.entries[i]
	}
	q.give(e, now)
	a.queueChanged = true
	return nil
}

// FinishTurn ends the current turn: the facilitator's call, or the
// speaker's own.
func (a *Assembly) FinishTurn(by Member, now time.Time) error {
	t := a.queue.speaker()
	if !by.Facilitator && (t == nil || t.ID != by.ID) {
		return ErrNotSpeaking
	}
	if a.queue.endTurn(now) {
		a.queueChanged = true
	}
	return nil
}

// SetRules is the facilitator changing the queue's rules. A change of
// who goes first puts the queue back in the rules' order; a new
// speaking time alone keeps the order the facilitator gave it (moving
// a point of order up, then giving everyone three minutes, must not
// undo the move).
func (a *Assembly) SetRules(by Member, r Rules) error {
	if err := facilitator(by); err != nil {
		return err
	}
	reorder := r.NotYetSpokenFirst != a.queue.rules.NotYetSpokenFirst
	a.queue.rules = Rules{NotYetSpokenFirst: r.NotYetSpokenFirst, Seconds: min(max(r.Seconds, 0), MaxTurnSeconds)}
	if reorder {
		a.queue.resort()
	}
	a.queueChanged = true
	return nil
}
