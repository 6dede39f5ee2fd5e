package sfu

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu/assembly"
)

// slowWelcome is a signaler whose welcome waits until release is
// closed, as one whose room has a long history to encode does.
type slowWelcome struct {
	quietSignaler
	greeting chan struct{} // closed when the welcome starts
	release  chan struct{}
}

func (s *slowWelcome) Welcome(ParticipantInfo, []ParticipantInfo) {
	close(s.greeting)
	<-s.release
}

func (s *slowWelcome) SendDescription(PeerRole, webrtc.SessionDescription) {}

// within fails the test unless f returns within a few seconds.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waited for another room's greeting", what)
	}
}

func TestARoomGreetingSomeoneHoldsUpNoOtherRoom(t *testing.T) {
	m := newLoopbackManager(t)
	first, err := m.Join("busy", "first", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	leaving, err := m.Join("quiet", "leaving", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowWelcome{greeting: make(chan struct{}), release: make(chan struct{})}
	joined := make(chan error, 1)
	go func() {
		_, err := m.Join("busy", "slow", slow)
		joined <- err
	}()
	<-slow.greeting
	released := false
	release := func() {
		if !released {
			released = true
			close(slow.release)
		}
	}
	defer release()

	within(t, "a join to another room", func() {
		if _, err := m.Join("quiet", "newcomer", quietSignaler{}); err != nil {
			t.Error(err)
		}
	})
	within(t, "a leave from another room", leaving.Leave)
	within(t, "the TURN server's question", func() {
		if !m.Present(first.ID()) {
			t.Error("someone in the busy room is not present")
		}
	})
	within(t, "a password look-up", func() { m.passwordFor("quiet", RoomSettings{}) })
	within(t, "counting rooms", func() { m.RoomCount() })

	release()
	if err := <-joined; err != nil {
		t.Fatalf("the slow newcomer: %v", err)
	}
	if n := len(m.roomByName("busy").snapshot()); n != 2 {
		t.Fatalf("%d in the busy room, want 2", n)
	}
}

func TestANewcomerToAMeetingEndingAsItArrivesIsRefusedAndLeavesNothing(t *testing.T) {
	m := newLoopbackManager(t)
	mod, err := m.Join("r", "moderator", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	if mod.Role() != RoleModerator {
		t.Fatalf("the first comer is %v", mod.Role())
	}
	// The newcomer has found the room when the moderator ends the meeting.
	r, err := m.roomToJoin("r", RoomSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.EndMeeting(); err != nil {
		t.Fatal(err)
	}
	req := JoinRequest{Room: "r", Name: "late", Signaler: quietSignaler{}}
	if _, err := r.screen(&req, "", false); !errors.Is(err, ErrMeetingEnded) {
		t.Fatalf("screened with %v, want %v", err, ErrMeetingEnded)
	}
	if _, err := m.addParticipant(r, newParticipantID(), &req); !errors.Is(err, ErrMeetingEnded) {
		t.Fatalf("added with %v, want %v", err, ErrMeetingEnded)
	}
	m.doneJoining(r)
	if n := m.RoomCount(); n != 0 {
		t.Fatalf("%d rooms after the meeting ended", n)
	}
	// The name is free for a new meeting at once.
	p, err := m.Join("r", "next", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	if p.room == r {
		t.Fatal("the next meeting joined the ended room")
	}
}

func TestARoomIsKeptWhileSomeoneJoinsIt(t *testing.T) {
	m := newLoopbackManager(t)
	p, err := m.Join("r", "only", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.roomToJoin("r", RoomSettings{})
	if err != nil {
		t.Fatal(err)
	}
	p.Leave()
	if m.roomByName("r") != r {
		t.Fatal("the room was dropped while someone was joining it")
	}
	q, err := m.addParticipant(r, newParticipantID(), &JoinRequest{Room: "r", Name: "newcomer", Signaler: quietSignaler{}})
	if err != nil {
		t.Fatal(err)
	}
	m.doneJoining(r)
	if !m.Present(q.ID()) || m.Present(p.ID()) {
		t.Fatal("presence does not follow who is in the room")
	}
	q.Leave()
	if m.RoomCount() != 0 || m.Present(q.ID()) {
		t.Fatal("the room or the participant outlived the last leave")
	}
}

func (m *Manager) roomByName(name string) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[name]
}

// countingAssembly counts the proposal states a participant is told.
type countingAssembly struct {
	quietSignaler
	mu     sync.Mutex
	states []assembly.ProposalState
}

func (c *countingAssembly) QueueChanged(*Shared[assembly.QueueState]) {}

func (c *countingAssembly) ProposalChanged(p *Shared[assembly.ProposalState]) {
	c.mu.Lock()
	c.states = append(c.states, p.Value)
	c.mu.Unlock()
}

func (c *countingAssembly) told() []assembly.ProposalState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.states)
}

func TestABurstOfVotesGoesOutTogether(t *testing.T) {
	m := newLoopbackManager(t)
	const n = 12
	var people []*Participant
	var sigs []*countingAssembly
	for i := range n {
		s := &countingAssembly{}
		p, err := m.Join("assembly", fmt.Sprintf("member-%d", i), s)
		if err != nil {
			t.Fatal(err)
		}
		people, sigs = append(people, p), append(sigs, s)
	}
	var id int
	if err := people[0].Assembly(func(a *assembly.Assembly, me assembly.Member, now time.Time) (err error) {
		id, err = a.OpenProposal(me, assembly.Draft{Question: "Strike?", Kind: assembly.YesNo}, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if err := p.Assembly(func(a *assembly.Assembly, me assembly.Member, _ time.Time) error {
			return a.Vote(me, id, 0, "")
		}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * assemblyEvery)
	for i, s := range sigs {
		told := s.told()
		if len(told) == 0 || len(told[len(told)-1].Voters) != n {
			t.Fatalf("member %d was last told of %d voters, want %d", i, len(told[len(told)-1].Voters), n)
		}
		if len(told) > 4 {
			t.Errorf("member %d was told of the proposal %d times for %d votes in a burst, want them together", i, len(told), n)
		}
	}
}

// watchingSignaler records whom its participant was told of.
type watchingSignaler struct {
	quietSignaler
	mu   sync.Mutex
	told []string
}

func (w *watchingSignaler) ParticipantUpdated(p *Shared[ParticipantInfo]) {
	w.note("updated " + p.Value.ID)
}
func (w *watchingSignaler) ParticipantLeft(id *Shared[string]) { w.note("left " + id.Value) }

func (w *watchingSignaler) note(event string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.told = append(w.told, event)
}

// A mute its session handles as the participant is removed (its read
// loop had the message already) tells nobody: an update for someone who
// left would read, to the others' clients, as a join.
func TestAMuteOfSomeoneWhoLeftTellsNobody(t *testing.T) {
	m := newLoopbackManager(t)
	ben := &watchingSignaler{}
	if _, err := m.Join("r", "Ben", ben); err != nil {
		t.Fatal(err)
	}
	ana, err := m.Join("r", "Ana", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	ana.Leave()
	ana.SetMuted(true, true)
	ben.mu.Lock()
	defer ben.mu.Unlock()
	if want := []string{"left " + ana.ID()}; !slices.Equal(ben.told, want) {
		t.Fatalf("Ben was told %q, want %q", ben.told, want)
	}
}

// The pace of assembly broadcasts is assemblyEvery unless a test sets
// another (SetAssemblyEvery), and again once it sets 0.
func TestTheAssemblyPaceIsTheDefaultUnlessSet(t *testing.T) {
	var m Manager
	if got := m.AssemblyEvery(); got != assemblyEvery {
		t.Fatalf("pace %v unset, want %v", got, assemblyEvery)
	}
	m.SetAssemblyEvery(time.Millisecond)
	if got := m.AssemblyEvery(); got != time.Millisecond {
		t.Fatalf("pace %v, want the 1ms set", got)
	}
	m.SetAssemblyEvery(0)
	if got := m.AssemblyEvery(); got != assemblyEvery {
		t.Fatalf("pace %v set back to 0, want %v", got, assemblyEvery)
	}
}
