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
	// maxSpokenGone bounds the people with a personal link remembered
	// as having spoken after they left on every device (queue.gone):
	// past it, the one who left longest ago is forgotten. As many as
	// the turns the minutes keep.
	maxSpokenGone = maxTurns
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

// QueueEntry is one raised hand as everybody sees it: one person's
// (Member.Ballot), however many of their devices asked.
type QueueEntry struct {
	// ID is the device that asked last: the one that gets the floor.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Direct marks a direct response (a point of information): it goes
	// before every ordinary entry.
	Direct bool `json:"direct"`
	// Spoken tells whether the person has had the floor before, on any
	// of their devices.
	Spoken bool `json:"spoken"`
	// Mine marks, in the state one member is sent (QueueState.For),
	// the hand of that member's person, raised on this device or
	// another of theirs.
	Mine bool `json:"mine,omitempty"`

	person string // never sent: who the devices of a person are stays with the server
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
	// Mine marks, as QueueEntry.Mine does, the turn of the person the
	// state is for.
	Mine bool `json:"mine,omitempty"`

	person string
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
	// Speaker numbers, in the minutes (Assembly.Minutes), the person
	// who had the turn, from 1 in the order of their first turn there:
	// the turns of one person, from whichever of their devices, bear
	// the same, so that the minutes add them up as one speaker's.
	Speaker int `json:"speaker,omitempty"`

	person string
}

// entry is one person's raised hand: the queue goes by person
// (Member.Ballot), so that one person on two devices holds one place,
// and the device that asked last (id) gets the floor.
type entry struct {
	id, person, name string
	direct           bool
	seq              uint64 // arrival order
}

type queue struct {
	entries []entry
	seq     uint64
	spoken  map[string]bool // by person: who has had the floor, on any device
	// gone lists the people with a personal link who spoke and then
	// left on every device, the longest gone first: they stay in
	// spoken, for the meeting, until maxSpokenGone others have left
	// after them.
	gone    []string
	rules   Rules
	turns   []Turn
	current bool // the last turn goes on
}

// index is where person's hand is in the queue, -1 if not raised.
func (q *queue) index(person string) int {
	return slices.IndexFunc(q.entries, func(e entry) bool { return e.person == person })
}

// indexDevice is where the hand raised last on device id is, -1 if none.
func (q *queue) indexDevice(id string) int {
	return slices.IndexFunc(q.entries, func(e entry) bool { return e.id == id })
}

// before reports whether a goes before b by the rules alone: direct
// responses first, then (with NotYetSpokenFirst) those who have not
// spoken, each group in arrival order.
func (q *queue) before(a, b entry) bool {
	if a.direct != b.direct {
		return a.direct
	}
	if !a.direct && q.rules.NotYetSpokenFirst && q.spoken[a.person] != q.spoken[b.person] {
		return !q.spoken[a.person]
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

// remove lowers person's hand.
func (q *queue) remove(person string) bool {
	return q.removeAt(q.index(person))
}

func (q *queue) removeAt(i int) bool {
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
	q.remove(e.person)
	if q.spoken == nil {
		q.spoken = map[string]bool{}
	}
	q.spoken[e.person] = true
	if len(q.turns) == maxTurns {
		q.turns = slices.Delete(q.turns, 0, 1)
	}
	q.turns = append(q.turns, Turn{ID: e.id, Name: e.name, Start: now, person: e.person})
	q.current = true
}

// leave takes the hand raised last on device id out of the queue and
// ends id's turn, or, if heir is not "", hands both to heir, the same
// person on another device (Member.Ballot): the person has not left, so
// they keep their place and the floor. It reports whether the queue
// changed.
func (q *queue) leave(id, heir string, now time.Time) bool {
	i := q.indexDevice(id)
	t := q.speaker()
	if t == nil || t.ID != id {
		t = nil
	}
	if heir != "" {
		if i >= 0 {
			q.entries[i].id = heir
		}
		if t != nil {
			t.ID = heir
		}
		return i >= 0 || t != nil
	}
	q.removeAt(i)
	if t != nil {
		q.endTurn(now)
	}
	return i >= 0 || t != nil
}

func (q *queue) state(now time.Time) QueueState {
	s := QueueState{Entries: make([]QueueEntry, 0, len(q.entries)), Rules: q.rules}
	for _, e := range q.entries {
		s.Entries = append(s.Entries, QueueEntry{ID: e.id, Name: e.name, Direct: e.direct, Spoken: q.spoken[e.person], person: e.person})
	}
	if t := q.speaker(); t != nil {
		s.Speaker = &Floor{ID: t.ID, Name: t.Name, ElapsedMs: max(0, now.Sub(t.Start).Milliseconds()), Seconds: q.rules.Seconds, person: t.person}
	}
	return s
}

// For is s as m is sent it: the hand and the turn of m's person, on
// this device or another of theirs, marked Mine, so that each of their
// devices shows the hand raised and the floor theirs. s is not changed.
func (s QueueState) For(m Member) QueueState {
	person := m.person()
	i := slices.IndexFunc(s.Entries, func(e QueueEntry) bool { return e.person == person })
	if i >= 0 {
		s.Entries = slices.Clone(s.Entries)
		s.Entries[i].Mine = true
	}
	if s.Speaker != nil && s.Speaker.person == person {
		f := *s.Speaker
		f.Mine = true
		s.Speaker = &f
	}
	return s
}

// Marked reports whether s marks a hand or the floor as its
// recipient's (For).
func (s QueueState) Marked() bool {
	return (s.Speaker != nil && s.Speaker.Mine) || slices.ContainsFunc(s.Entries, func(e QueueEntry) bool { return e.Mine })
}

// RaiseHand puts m's person in the queue, as a direct response if
// direct. A hand already raised the same way, on this device or another
// of the person's, stays where it is, and this device gets the floor
// when its turn comes (the one asking last is the one the person is
// at); switching between ordinary and direct takes a new place.
func (a *Assembly) RaiseHand(m Member, direct bool) error {
	if m.Viewer {
		return ErrViewer
	}
	q := &a.queue
	person := m.person()
	if i := q.index(person); i >= 0 {
		if e := &q.entries[i]; e.direct == direct {
			if e.id != m.ID {
				e.id, e.name = m.ID, m.Name
				a.queueChanged = true
			}
			return nil
		}
		q.removeAt(i)
	}
	q.seq++
	q.insert(entry{id: m.ID, person: person, name: m.Name, direct: direct, seq: q.seq})
	a.queueChanged = true
	return nil
}

// LowerHand takes m's person out of the queue, whichever of their
// devices raised the hand; a hand not raised is no error.
func (a *Assembly) LowerHand(m Member) {
	if a.queue.remove(m.person()) {
		a.queueChanged = true
	}
}

// RemoveFromQueue is the facilitator lowering the hand of who's person,
// as the room knows who: whichever of their devices raised it.
func (a *Assembly) RemoveFromQueue(by, who Member) error {
	if err := facilitator(by); err != nil {
		return err
	}
	if !a.queue.remove(who.person()) {
		return ErrNotInQueue
	}
	a.queueChanged = true
	return nil
}

// MoveInQueue is the facilitator putting who's person, as the room
// knows who, at position (0 is the head; past the end means last). The
// order stays until the rule of who goes first (NotYetSpokenFirst)
// changes.
func (a *Assembly) MoveInQueue(by, who Member, position int) error {
	if err := facilitator(by); err != nil {
		return err
	}
	q := &a.queue
	i := q.index(who.person())
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
// present (the assembly knows only who is queued). The device called
// gets the floor, and its person's hand, raised on whichever device,
// is lowered: they have had their turn.
func (a *Assembly) Call(by, who Member, now time.Time) error {
	if err := facilitator(by); err != nil {
		return err
	}
	if who.Viewer {
		return ErrViewer
	}
	q := &a.queue
	q.give(entry{id: who.ID, person: who.person(), name: who.Name}, now)
	a.queueChanged = true
	return nil
}

// FinishTurn ends the current turn: the facilitator's call, or the
// speaker's own, from any of their devices.
func (a *Assembly) FinishTurn(by Member, now time.Time) error {
	t := a.queue.speaker()
	if !by.Facilitator && (t == nil || t.person != by.person()) {
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

// left is person, who spoke or not, gone from the meeting on every
// device. A personal link's holder is still known to have spoken when
// they come back in the same meeting, under a new id; the others go
// (their ids are never used again, and kept they would grow the room's
// memory with every newcomer who had the floor).
func (q *queue) left(m Member) {
	person := m.person()
	if !q.spoken[person] {
		return
	}
	if m.Ballot == "" {
		delete(q.spoken, person)
		return
	}
	q.gone = append(slices.DeleteFunc(q.gone, func(p string) bool { return p == person }), person)
	if len(q.gone) > maxSpokenGone {
		delete(q.spoken, q.gone[0])
		q.gone = slices.Delete(q.gone, 0, 1)
	}
}

// arrived is person in the meeting again: remembered as having spoken
// for as long as they stay, beyond the bound of those gone.
func (q *queue) arrived(person string) {
	if i := slices.Index(q.gone, person); i >= 0 {
		q.gone = slices.Delete(q.gone, i, i+1)
	}
}
