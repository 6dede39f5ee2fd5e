package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// maxRemoteCandidates bounds the distinct ICE candidates a client may
// give one of its peer connections in one ICE generation (until an ICE
// restart), trickled or listed in its descriptions. A browser gathers a
// host, a server-reflexive and a relay candidate or three per network
// interface: a few dozen at most. pion keeps every candidate it is given
// until the next restart, pairs it with each of the server's own and,
// until the connection is up, sends it connectivity checks (up to
// iceMaxBindingRequests each): unbounded, one client could make the
// server hold and check any number of addresses, and each new candidate
// cost a scan of all those held before.
const maxRemoteCandidates = 100

// remoteCandidates are the candidates a client gave one peer connection
// in its current ICE generation, guarded by Participant.mu.
type remoteCandidates struct {
	pc *webrtc.PeerConnection
	// ufrag is the client's ICE ufrag on its up connection, "" until
	// pion's agent has it (the first offer's candidates are counted
	// before): the generation. The down connection's generations are
	// the server's restarts instead, which forgetCandidatesLocked marks.
	ufrag string
	seen  map[string]struct{} // candidateKey of each
}

// countCandidates counts the candidates (as in an a=candidate line, with
// or without "candidate:") p's client gave pc, its connection of role,
// and fails once they are more than maxRemoteCandidates distinct ones in
// pc's current ICE generation. Candidates pion ignores are not counted.
//
// A generation ends only where pion forgets the client's candidates: on
// the up connection, at a client's offer with a new ufrag (an ICE
// restart); on the down one, at the server's offer that restarts ICE.
// A client's answer with another ufrag restarts nothing (pion takes the
// new credentials and keeps the candidates), so the down connection's
// count ignores the client's ufrag; and the up connection's ufrag, ""
// while the first offer is applied, is taken as it comes, not as a new
// generation, or that offer's candidates would not count with those
// trickled after.
func (p *Participant) countCandidates(role PeerRole, pc *webrtc.PeerConnection, candidates ...string) error {
	if len(candidates) == 0 {
		return nil
	}
	ufrag := ""
	if role == Up {
		ufrag = remoteUfrag(pc)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.candidates == nil {
		p.candidates = map[PeerRole]*remoteCandidates{}
	}
	c := p.candidates[role]
	switch {
	case c == nil || c.pc != pc || ufrag != "" && c.ufrag != "" && c.ufrag != ufrag:
		// A new connection, or a restart by the client.
		c = &remoteCandidates{pc: pc, ufrag: ufrag, seen: map[string]struct{}{}}
		p.candidates[role] = c
	case c.ufrag == "":
		c.ufrag = ufrag
	}
	for _, s := range candidates {
		key, ok := candidateKey(s)
		if !ok {
			continue
		}
		c.seen[key] = struct{}{}
		if len(c.seen) > maxRemoteCandidates {
			return fmt.Errorf("more than %d ICE candidates for the %s connection: %w", maxRemoteCandidates, role, ErrProtocol)
		}
	}
	return nil
}

// forgetCandidatesLocked starts a new count for role's connection: the
// server restarted its ICE, and pion forgot the client's candidates.
// p.mu held.
func (p *Participant) forgetCandidatesLocked(role PeerRole) {
	delete(p.candidates, role)
}

// remoteUfrag is the ICE ufrag pc's remote peer uses now; "" before pc's
// ICE agent has it.
func remoteUfrag(pc *webrtc.PeerConnection) string {
	params, err := pc.SCTP().Transport().ICETransport().GetRemoteParameters()
	if err != nil {
		return ""
	}
	return params.UsernameFragment
}

// candidateKey tells apart what pion tells apart (ice.Candidate's
// Equal), and more; ok is false for what pion does not keep: a
// candidate that does not parse, or an active TCP one.
func candidateKey(candidate string) (key string, ok bool) {
	c, err := ice.UnmarshalCandidate(strings.TrimPrefix(candidate, "candidate:"))
	if err != nil || c.TCPType() == ice.TCPTypeActive {
		return "", false
	}
	return fmt.Sprintf("%s %s %s %d %s%s", c.NetworkType(), c.Type(), c.Address(), c.Port(), c.TCPType(), c.RelatedAddress().String()), true
}
