package sfu

import (
	"slices"
	"time"

	"github.com/plenum-meet/plenum/sfu/assembly"
)

// Deciding together: each room keeps an assembly (the speaking queue,
// proposals and their ballots, the record for the minutes; see package
// assembly), guarded by the room lock. Moderators facilitate: no role of
// its own, since a facilitator needs every moderator power anyway (to
// mute someone who speaks out of turn) and a separate role would add a
// fourth kind of link for no gain.

// AssemblySignaler carries the assembly's state to a client. A
// Signaler that implements it receives it; like Signaler's, its methods
// are called with the room lock held and must only queue. A change goes
// alike to every participant: the room hands each the same Shared, so
// that the message is encoded once for all (Shared.Encoded).
type AssemblySignaler interface {
	// QueueChanged tells the speaking queue's state: after the welcome,
	// then whenever it changes.
	QueueChanged(q *Shared[assembly.QueueState])
	// ProposalChanged tells a proposal's state: each one after the
	// welcome (older closed ones in summary: assembly.Greeting), then
	// whenever one is opened, gains a voter or closes, or the client's
	// person casts a ballot on it (their ballot is its Mine).
	ProposalChanged(p *Shared[assembly.ProposalState])
}

// Assembly runs act on the room's assembly as p, under the room lock,
// and tells everybody what it changed. act's error (an *assembly.Error
// when the rules refuse) is returned. Someone who has just left does
// nothing.
func (p *Participant) Assembly(act func(a *assembly.Assembly, me assembly.Member, now time.Time) error) error {
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.participants, p) {
		return nil
	}
	now := time.Now()
	err := act(&r.assembly, p.member(), now)
	r.broadcastAssemblyLocked(now)
	return err
}

// AssemblyOn is Assembly acting on another participant of the room, id,
// whom act gets as the room knows them at that moment (them): the
// assembly knows who is queued, not who is present. Nobody of that id
// in the room is assembly.ErrNotPresent, and act does not run.
func (p *Participant) AssemblyOn(id string, act func(a *assembly.Assembly, me, them assembly.Member, now time.Time) error) error {
	return p.Assembly(func(a *assembly.Assembly, me assembly.Member, now time.Time) error {
		o := p.room.findLocked(id)
		if o == nil {
			return assembly.ErrNotPresent
		}
		return act(a, me, o.member(), now)
	})
}

// person is p as the assembly needs it to tell its person: what the
// queue's state and the proposals are sent for (assembly.QueueState.For,
// Assembly.ProposalsFor), and who leaves.
func (p *Participant) person() assembly.Member {
	return assembly.Member{ID: p.id, Ballot: p.ballot}
}

// member is p as the assembly knows it.
func (p *Participant) member() assembly.Member {
	info := p.Info()
	return assembly.Member{ID: p.id, Name: info.Name, Ballot: p.ballot,
		Facilitator: info.Role == RoleModerator, Viewer: info.Role == RoleViewer}
}

// assemblyEvery is the least time between two broadcasts of the
// assembly's changes. A change after a quiet spell goes out at once;
// those of a burst (300 people voting within seconds, each vote a new
// voter list for everyone) go together, at most this late: else each
// would cost every client a message, N² in all, and fill the queues of
// slow ones.
const assemblyEvery = 200 * time.Millisecond

// SetAssemblyEvery sets the least time between two broadcasts of a
// room's assembly changes (assemblyEvery, 200 ms, unless set): a test
// whose set-up makes a hundred decisions one after the other, each
// waiting for the news of the last, shortens it.
func (m *Manager) SetAssemblyEvery(d time.Duration) { m.assemblyEvery.set(d) }

// AssemblyEvery is the least time between two broadcasts of a room's
// assembly changes.
func (m *Manager) AssemblyEvery() time.Duration { return m.assemblyEvery.or(assemblyEvery) }

// broadcastAssemblyLocked tells everybody what changed in the assembly,
// now or, in a burst, with the changes that follow (AssemblyEvery).
func (r *Room) broadcastAssemblyLocked(now time.Time) {
	if r.assembly.Changed() {
		r.assemblyNews.sendLocked(r, r.manager.AssemblyEvery(), now, r.sendAssemblyChangesLocked)
	}
}

// sendAssemblyChangesLocked tells everybody what changed in the assembly.
func (r *Room) sendAssemblyChangesLocked(now time.Time) {
	changed, q, states, voted := r.assembly.Changes(now)
	if !changed && len(states) == 0 && len(voted) == 0 {
		return
	}
	// One message each, encoded by the first who sends it, for all.
	queue := Share(q)
	proposals := make([]*Shared[assembly.ProposalState], len(states))
	for i, ps := range states {
		proposals[i] = Share(ps)
	}
	for _, o := range r.participants {
		as, ok := o.sig.(AssemblySignaler)
		if !ok {
			continue
		}
		if changed {
			as.QueueChanged(queueFor(queue, o))
		}
		// Each is sent its person's ballot, and is sent the proposal
		// again when that ballot changed: only their own devices see it.
		for _, ps := range proposalsFor(&r.assembly, o, states, proposals, voted) {
			as.ProposalChanged(ps)
		}
	}
}

// queueFor is the queue's state q as p is sent it: the room's shared
// one, unless a hand or the floor is p's person's, which p's copy marks
// as theirs (assembly.QueueState.For).
func queueFor(q *Shared[assembly.QueueState], p *Participant) *Shared[assembly.QueueState] {
	if mine := q.Value.For(p.person()); mine.Marked() {
		return Share(mine)
	}
	return q
}

// proposalsFor is what p is sent of the proposals changed, states, each
// shared as everybody sees it: the shared message, unless p's person
// has a ballot in it or cast one meanwhile (assembly.ProposalsFor),
// which p's own copy carries.
func proposalsFor(a *assembly.Assembly, p *Participant, states []assembly.ProposalState,
	shared []*Shared[assembly.ProposalState], voted assembly.Voted) []*Shared[assembly.ProposalState] {
	mine := a.ProposalsFor(p.person(), states, voted)
	out := make([]*Shared[assembly.ProposalState], len(mine))
	for i, ps := range mine {
		if i < len(shared) && ps.Mine == nil {
			out[i] = shared[i]
		} else {
			out[i] = Share(ps)
		}
	}
	return out
}

// sendAssemblyLocked tells a newcomer the assembly's state.
func (r *Room) sendAssemblyLocked(p *Participant, now time.Time) {
	as, ok := p.sig.(AssemblySignaler)
	if !ok {
		return
	}
	as.QueueChanged(queueFor(Share(r.assembly.Queue(now)), p))
	for _, ps := range r.assembly.ProposalsFor(p.person(), r.assembly.Greeting(), nil) {
		as.ProposalChanged(Share(ps))
	}
}
