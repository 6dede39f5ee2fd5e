package signaling

import (
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
