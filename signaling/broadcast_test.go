package signaling

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
)

// A proposal that closes in a meeting of 300 is encoded once for all:
// every queue holds the same bytes, and counts them. Encoded for each,
// its whole state (every voter, ballot and reason) made some 300 times
// its size in work and garbage, under the room's lock.
func TestAProposalThatClosesIsEncodedOnceForEveryone(t *testing.T) {
	const people = 300
	m := newBigMeeting(t, people)
	first := m.decide(1, assembly.Consent, someReasons)
	for i, s := range m.sessions[:people-1] {
		data := m.awaitProposal(s, 1, func(p assembly.ProposalState) bool { return !p.Open })
		if unsafe.SliceData(data) != unsafe.SliceData(first) {
			t.Fatalf("participant %d was sent its own encoding of the closed proposal, not the one shared", i)
		}
	}
	t.Logf("closing a consent round of %d voters: one encoding of %d bytes, shared by %d queues (encoded for each: %d bytes)",
		people-1, len(first), people, people*len(first))
}

// closedProposal is a consent round of n open ballots closed, one voter
// in five giving a long reason, as the room broadcasts it.
func closedProposal(tb testing.TB, n int) assembly.ProposalState {
	tb.Helper()
	var a assembly.Assembly
	now := time.Now()
	chair := assembly.Member{ID: "chair", Facilitator: true}
	id, err := a.OpenProposal(chair, assembly.Draft{Question: strings.Repeat("q", maxQuestionRunes), Kind: assembly.Consent}, now)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		choice, reason := assembly.ConsentAgree, ""
		if i%5 == 0 {
			choice, reason = assembly.ConsentStandAside, strings.Repeat("r", maxReasonRunes)
		}
		m := assembly.Member{ID: fmt.Sprintf("%012x", i), Name: fmt.Sprintf("%03d", i) + strings.Repeat("名", 27)}
		if err := a.Vote(m, id, choice, reason); err != nil {
			tb.Fatal(err)
		}
	}
	if err := a.CloseProposal(chair, id, now); err != nil {
		tb.Fatal(err)
	}
	return a.Proposals()[0]
}

// BenchmarkBroadcastingAProposalCloseTo300Sessions sends the state of a
// consent round of 300 voters, closed, to 300 sessions, as the room
// does: shared, encoded once (what the server does), and, to compare,
// encoded for each session (what it did).
func BenchmarkBroadcastingAProposalCloseTo300Sessions(b *testing.B) {
	const people = 300
	ps := closedProposal(b, people)
	sessions := make([]*session, people)
	for i := range sessions {
		s := &session{queue: make(chan []byte, 1)}
		s.line = &line{current: s}
		sessions[i] = s
	}
	run := func(b *testing.B, send func(s *session)) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range sessions {
				send(s)
			}
			for _, s := range sessions {
				s.sent(<-s.queue)
			}
		}
	}
	b.Run("shared", func(b *testing.B) {
		var sh *sfu.Shared[assembly.ProposalState]
		run(b, func(s *session) {
			if s == sessions[0] {
				sh = sfu.Share(ps)
			}
			s.ProposalChanged(sh)
		})
	})
	b.Run("each", func(b *testing.B) {
		run(b, func(s *session) { s.sendJSON(proposalMessage{Type: TypeProposal, Proposal: ps}) })
	})
}

// What goes alike to everybody in a room (an arrival, a change, a chat
// message, a reaction, a departure) is encoded once and the same bytes
// queued for each: in a join storm of 200 each arrival was encoded for
// up to 199 others. A private message still reaches its sender and its
// recipient only.
func TestWhatGoesAlikeToEveryoneIsEncodedOnce(t *testing.T) {
	const people = 30
	m := newBigMeeting(t, people)
	m.drainAll()
	m.join("Newcomer")
	sharedBy(t, "the arrival", m.sessions[:people], TypeParticipantJoined)
	newcomer := m.sessions[people]
	m.do(newcomer, `{"type":"mute","audio":true,"video":true}`)
	sharedBy(t, "the update", m.sessions[:people], TypeParticipantUpdated)
	m.do(newcomer, `{"type":"chat","text":"Hello all"}`)
	sharedBy(t, "a chat message", m.sessions, TypeChat)
	m.do(newcomer, `{"type":"react","emoji":"👍"}`)
	sharedBy(t, "a reaction", m.sessions, TypeReaction)
	m.do(m.sessions[0], `{"type":"room-settings","lobby":true}`)
	sharedBy(t, "the room's settings", m.sessions, TypeRoomState)

	to := m.sessions[7].getParticipant().ID()
	m.do(newcomer, fmt.Sprintf(`{"type":"chat","to":%q,"text":"Just for you"}`, to))
	sharedBy(t, "a private message", []*session{newcomer, m.sessions[7]}, TypeChat)
	for i, s := range m.sessions {
		if i != 7 && s != newcomer && len(sentOf(s, TypeChat)) > 0 {
			t.Fatalf("participant %d was sent a private message to another", i)
		}
	}
	newcomer.getParticipant().Leave()
	sharedBy(t, "the departure", m.sessions[:people], TypeParticipantLeft)
}

// sharedBy checks that each of sessions was sent one message of type
// typ, the same bytes for all.
func sharedBy(t *testing.T, what string, sessions []*session, typ string) {
	t.Helper()
	var first []byte
	for i, s := range sessions {
		got := sentOf(s, typ)
		if len(got) != 1 {
			t.Fatalf("%s: participant %d was sent %d messages of type %s, want 1", what, i, len(got), typ)
		}
		if first == nil {
			first = got[0]
		} else if unsafe.SliceData(got[0]) != unsafe.SliceData(first) {
			t.Fatalf("%s: participant %d was sent its own encoding of %s, not the one shared", what, i, got[0])
		}
	}
}

// sentOf takes what is queued for s and returns the messages of type
// typ.
func sentOf(s *session, typ string) [][]byte {
	var of [][]byte
	for _, data := range drain(s) {
		var m struct{ Type string }
		if json.Unmarshal(data, &m) == nil && m.Type == typ {
			of = append(of, data)
		}
	}
	return of
}
