package client

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/plenum-meet/plenum/sfu/assembly"
)

// assemblyState is what the server said of the speaking queue, the
// proposals and the minutes; guarded by Client.mu.
type assemblyState struct {
	queue     assembly.QueueState
	proposals map[int]assembly.ProposalState
	minutes   []assembly.Minutes
	// paging is the export of the minutes under way, its pages so far
	// together, while pages are to come.
	paging *assembly.Minutes
	pongs  int
}

// handleAssembly takes the assembly's messages; it reports whether m
// was one.
func (c *Client) handleAssembly(m *serverMessage) bool {
	next, ok := c.takeAssembly(m)
	if next > 0 {
		// The record goes on: asked for as the web client does.
		_ = c.send(map[string]any{"type": "minutes", "from": next})
	}
	return ok
}

// takeAssembly notes an assembly's message; next is the page of the
// minutes to ask for next (0: none).
func (c *Client) takeAssembly(m *serverMessage) (next int, ok bool) {
	var err error
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.assembly
	switch m.Type {
	case "queue":
		var q assembly.QueueState
		if err = json.Unmarshal(m.raw, &q); err == nil {
			s.queue = q
		}
	case "proposal":
		var msg struct{ Proposal assembly.ProposalState }
		if err = json.Unmarshal(m.raw, &msg); err == nil {
			if s.proposals == nil {
				s.proposals = map[int]assembly.ProposalState{}
			}
			s.proposals[msg.Proposal.ID] = msg.Proposal
		}
	case "minutes":
		var msg struct {
			Minutes assembly.Minutes
			Next    int
		}
		if err = json.Unmarshal(m.raw, &msg); err == nil {
			next = s.minutesPage(msg.Minutes, msg.Next)
		}
	case "pong":
		s.pongs++
	default:
		return 0, false
	}
	if err != nil && c.serverErr == nil {
		c.serverErr = err
	}
	return next, true
}

// minutesPage adds a page of the minutes to the export under way, the
// record to those received once it is the last (next 0); it returns
// next.
func (s *assemblyState) minutesPage(page assembly.Minutes, next int) int {
	if s.paging == nil {
		s.paging = &page
	} else {
		s.paging.Decisions = append(s.paging.Decisions, page.Decisions...)
	}
	if next == 0 {
		s.minutes = append(s.minutes, *s.paging)
		s.paging = nil
	}
	return next
}

// Queue is the speaking queue as last announced.
func (c *Client) Queue() assembly.QueueState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.assembly.queue
}

// Proposal is proposal id as last announced, and whether it was.
func (c *Client) Proposal(id int) (assembly.ProposalState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.assembly.proposals[id]
	return p, ok
}

// Minutes lists the minutes received, oldest first.
func (c *Client) Minutes() []assembly.Minutes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.assembly.minutes)
}

// RaiseHand raises (or, with raised false, lowers) this client's hand,
// as a direct response if direct.
func (c *Client) RaiseHand(raised, direct bool) error {
	return c.send(map[string]any{"type": "hand", "raised": raised, "direct": direct})
}

// QueueAct sends a facilitator's queue message: queue-next,
// queue-finish, or, with a participant, queue-call and queue-remove.
func (c *Client) QueueAct(kind, participant string) error {
	msg := map[string]any{"type": kind}
	if participant != "" {
		msg["participant"] = participant
	}
	return c.send(msg)
}

// MoveInQueue moves participant to position in the queue.
func (c *Client) MoveInQueue(participant string, position int) error {
	return c.send(map[string]any{"type": "queue-move", "participant": participant, "position": position})
}

// SetQueueRules sets the queue's rules.
func (c *Client) SetQueueRules(notYetSpokenFirst bool, turn time.Duration) error {
	return c.send(map[string]any{"type": "queue-rules", "notYetSpokenFirst": notYetSpokenFirst, "seconds": int(turn.Seconds())})
}

// OpenProposal puts a proposal to the vote.
func (c *Client) OpenProposal(question string, kind assembly.Kind, options []string, secret bool) error {
	return c.send(map[string]any{"type": "proposal-open", "question": question, "kind": kind, "options": options, "secret": secret})
}

// Vote casts (or changes) a ballot.
func (c *Client) Vote(proposal, choice int, reason string) error {
	return c.send(map[string]any{"type": "vote", "proposal": proposal, "choice": choice, "reason": reason})
}

// CloseProposal closes a vote.
func (c *Client) CloseProposal(proposal int) error {
	return c.send(map[string]any{"type": "proposal-close", "proposal": proposal})
}

// RequestMinutes asks for the minutes (they come as a minutes message).
func (c *Client) RequestMinutes() error { return c.send(map[string]any{"type": "minutes"}) }

// Ping sends ping and waits for its pong: the server has handled every
// message sent before it by then.
func (c *Client) Ping() error {
	c.mu.Lock()
	before := c.assembly.pongs
	c.mu.Unlock()
	if err := c.send(map[string]any{"type": "ping"}); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		n := c.assembly.pongs
		c.mu.Unlock()
		if n > before {
			return nil
		}
		select {
		case <-c.closed:
			return errors.New("connection closed before pong")
		default:
		}
	}
	return errors.New("no pong within 10 s")
}
