package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
)

// bigMeeting is a room of sessions joined through the protocol to a
// real SFU room, with no socket: what the server sends each stays in
// its queue, for the test to read (drain).
type bigMeeting struct {
	t        *testing.T
	srv      *Server
	sessions []*session
}

// bigQueue holds what a session of a big meeting is sent between two
// drains: each hears of every later joiner.
const bigQueue = 4096

// newBigMeeting joins n participants to one room, the first of whom
// facilitates (the first comer moderates), with names of 30 characters
// of a non-Latin script.
func newBigMeeting(t *testing.T, n int) *bigMeeting {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := sfu.NewEngine(sfu.NetworkConfig{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	manager := sfu.NewManager(engine, sfu.Limits{}, log)
	m := &bigMeeting{t: t, srv: NewServer(Config{Manager: manager, Logger: log})}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.srv.Shutdown(ctx)
		manager.Close(sfu.ErrClosed)
		_ = engine.Close()
	})
	for i := range n {
		m.join(fmt.Sprintf("%03d", i) + strings.Repeat("名", 27))
	}
	return m
}

// join brings one more participant, named name, and returns its session.
func (m *bigMeeting) join(name string) *session {
	m.t.Helper()
	s := newSession(m.srv, nil, "localhost", m.srv.log)
	s.queue = make(chan []byte, bigQueue)
	msg, _ := json.Marshal(ClientMessage{Type: TypeJoin, Version: ProtocolVersion, Room: "big", Name: name})
	m.do(s, string(msg))
	if s.getParticipant() == nil {
		m.t.Fatalf("%s did not join", name)
	}
	m.sessions = append(m.sessions, s)
	return s
}

// do handles msg as if s's client had sent it.
func (m *bigMeeting) do(s *session, msg string) {
	m.t.Helper()
	cm, err := DecodeClientMessage([]byte(msg))
	if err != nil {
		m.t.Fatalf("%s: %v", msg, err)
	}
	if _, err := s.handle(cm); err != nil {
		m.t.Fatalf("%s: %v", msg, err)
	}
	if s.ending() {
		m.t.Fatalf("%s ended the session", msg)
	}
}

// drain takes what is queued for s.
func drain(s *session) [][]byte {
	var got [][]byte
	for {
		select {
		case data := <-s.queue:
			s.sent(data)
			got = append(got, data)
		default:
			return got
		}
	}
}

// drainAll empties every queue of the meeting.
func (m *bigMeeting) drainAll() {
	for _, s := range m.sessions {
		drain(s)
	}
}

// awaitProposal waits until s is sent proposal id in a state cond
// accepts, and returns the message as sent, dropping what came before.
func (m *bigMeeting) awaitProposal(s *session, id int, cond func(assembly.ProposalState) bool) []byte {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, data := range drain(s) {
			var pm proposalMessage
			if json.Unmarshal(data, &pm) == nil && pm.Type == TypeProposal && pm.Proposal.ID == id && cond(pm.Proposal) {
				return data
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.t.Fatalf("proposal %d never reached %s in the state wanted", id, s.getParticipant().ID())
	return nil
}

// ballotFunc is the ballot of the i-th voter on a proposal of kind.
type ballotFunc func(i int, kind assembly.Kind) (choice int, reason string)

// someReasons has voters choose the first two options in turn, but in
// a consent round one in five stands aside with a reason of 500
// characters.
func someReasons(i int, kind assembly.Kind) (int, string) {
	if kind == assembly.Consent && i%5 == 0 {
		return assembly.ConsentStandAside, strings.Repeat("r", maxReasonRunes)
	}
	return i % 2, ""
}

// decide puts proposal id (the next one) to the vote of everyone but
// the facilitator, who vote ballot, and closes it. kind is the
// proposal's. Queues are emptied before the close: it returns the
// message that told the last participant of it, once there, and leaves
// the others' for the test.
func (m *bigMeeting) decide(id int, kind assembly.Kind, ballot ballotFunc) []byte {
	m.t.Helper()
	fac := m.sessions[0]
	open := map[string]any{"type": TypeProposalOpen, "kind": kind, "question": fmt.Sprintf("%03d", id) + strings.Repeat("q", 297)}
	if kind == assembly.Choice {
		var opts []string
		for o := range assembly.MaxOptions {
			opts = append(opts, fmt.Sprintf("%02d", o)+strings.Repeat("o", 98))
		}
		open["options"] = opts
	}
	msg, _ := json.Marshal(open)
	m.do(fac, string(msg))
	for i, s := range m.sessions[1:] {
		choice, reason := ballot(i, kind)
		msg, _ := json.Marshal(map[string]any{"type": TypeVote, "proposal": id, "choice": choice, "reason": reason})
		m.do(s, string(msg))
	}
	m.drainAll()
	m.do(fac, fmt.Sprintf(`{"type":%q,"proposal":%d}`, TypeProposalClose, id))
	return m.awaitProposal(m.sessions[len(m.sessions)-1], id, func(p assembly.ProposalState) bool { return !p.Open })
}

// stuff decides proposals proposals in turn, of each kind in turn (or
// consent rounds only, if consent), and empties the queues. It returns
// the bytes of the closed proposals in full, as their closing told
// them.
func (m *bigMeeting) stuff(proposals int, consent bool, ballot ballotFunc) (inFull int) {
	m.t.Helper()
	kinds := []assembly.Kind{assembly.YesNo, assembly.Choice, assembly.Consent}
	for id := 1; id <= proposals; id++ {
		kind := kinds[id%3]
		if consent {
			kind = assembly.Consent
		}
		inFull += len(m.decide(id, kind, ballot))
	}
	m.drainAll()
	return inFull
}
