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

// decide puts proposal id (the next one) to the vote of everyone but
// the facilitator, and closes it once every vote is counted. kind is
// the proposal's; in a consent round one voter in five stands aside
// with a reason of 500 characters. It returns what closing it sent each
// participant, in the order they joined.
func (m *bigMeeting) decide(id int, kind assembly.Kind) [][]byte {
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
	voters := m.sessions[1:]
	for i, s := range voters {
		choice, reason := i%2, ""
		if kind == assembly.Consent && i%5 == 0 {
			choice, reason = assembly.ConsentStandAside, strings.Repeat("r", maxReasonRunes)
		}
		msg, _ := json.Marshal(map[string]any{"type": TypeVote, "proposal": id, "choice": choice, "reason": reason})
		m.do(s, string(msg))
	}
	last := m.sessions[len(m.sessions)-1]
	m.awaitProposal(last, id, func(p assembly.ProposalState) bool { return len(p.Voters) == len(voters) })
	m.drainAll()
	m.do(fac, fmt.Sprintf(`{"type":%q,"proposal":%d}`, TypeProposalClose, id))
	closed := make([][]byte, len(m.sessions))
	for i, s := range m.sessions {
		closed[i] = m.awaitProposal(s, id, func(p assembly.ProposalState) bool { return !p.Open })
	}
	return closed
}
