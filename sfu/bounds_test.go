package sfu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// quietSignaler drops everything the SFU would tell a client.
type quietSignaler struct{}

func (quietSignaler) Welcome(ParticipantInfo, []ParticipantInfo)          {}
func (quietSignaler) SendDescription(PeerRole, webrtc.SessionDescription) {}
func (quietSignaler) ParticipantJoined(*Shared[ParticipantInfo])          {}
func (quietSignaler) ParticipantUpdated(*Shared[ParticipantInfo])         {}
func (quietSignaler) ParticipantLeft(*Shared[string])                     {}
func (quietSignaler) LayersWanted(string, int)                            {}
func (quietSignaler) DominantSpeaker(*Shared[string])                     {}
func (quietSignaler) Fail(error)                                          {}

func newLoopbackManager(t *testing.T) *Manager {
	t.Helper()
	e, err := NewEngine(NetworkConfig{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(e, Limits{}, nil)
	t.Cleanup(func() { m.Close(ErrClosed); _ = e.Close() })
	return m
}

func viewCount(p *Participant) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.views)
}

func TestViewsAreKeptOnlyForThoseInTheRoom(t *testing.T) {
	m := newLoopbackManager(t)
	p, err := m.Join("r", "viewer", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		p.SetView(fmt.Sprintf("nobody-%d", i), 180, true)
		p.SetScreenView(fmt.Sprintf("nobody-%d", i), 180, true)
	}
	if n := viewCount(p); n != 0 {
		t.Fatalf("%d views kept of people not in the room", n)
	}
	other, err := m.Join("r", "speaker", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	p.SetView(other.ID(), 360, true)
	p.SetScreenView(other.ID(), 720, true)
	if n := viewCount(p); n != 2 {
		t.Fatalf("%d views kept of someone in the room, want their camera's and screen's", n)
	}
	other.Leave()
	if n := viewCount(p); n != 0 {
		t.Fatalf("%d views still kept of someone who left", n)
	}
}

func TestAnOfferNamesTheScreenSharesStillOn(t *testing.T) {
	p := &Participant{}
	for i := range 100 {
		p.setScreenMidsLocked([]string{fmt.Sprint(2 * i), fmt.Sprint(2*i + 1)})
	}
	if len(p.screenMids) != 2 || !p.isScreenMidUnlocked("198") || !p.isScreenMidUnlocked("199") {
		t.Fatalf("screen media ids %v, want only the last offer's (198, 199)", p.screenMids)
	}
	p.setScreenMidsLocked(nil)
	if len(p.screenMids) != 0 {
		t.Fatalf("screen media ids %v after an offer that names none", p.screenMids)
	}
}

func TestAnOfferOvertakenByDemotionDoesNotEndTheSession(t *testing.T) {
	m := newLoopbackManager(t)
	host, err := m.Join("d", "host", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		p, err := m.Join("d", "speaker", quietSignaler{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.HandleOffer(browserOffer); err != nil {
			t.Fatal(err)
		}
		// The demotion closes the up connection while the offer is
		// being applied, or before, or after: each way, no error.
		offered := make(chan error, 1)
		go func() { offered <- p.HandleOffer(browserOffer) }()
		time.Sleep(time.Duration(i%10) * 25 * time.Microsecond) // across the offer's handling
		if err := host.SetRole(p.ID(), RoleViewer); err != nil {
			t.Fatal(err)
		}
		if err := <-offered; err != nil {
			t.Fatalf("an offer overtaken by the participant's demotion failed: %v", err)
		}
		p.Leave()
	}
}

// hostCandidate is the i-th of a client's made-up host candidates.
func hostCandidate(i int) string {
	return fmt.Sprintf("candidate:%d 1 udp 2122260223 192.0.2.1 %d typ host", i, 10000+i)
}

// upUfrag waits until p's up connection's ICE agent has the client's
// ufrag, the generation candidates are counted in.
func upUfrag(t *testing.T, p *Participant, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		up := p.up
		p.mu.Unlock()
		if remoteUfrag(up) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the up connection never took ufrag %q", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withCandidates is the browser offer listing the candidates from to
// from+n-1 of hostCandidate.
func withCandidates(from, n int) string {
	var lines strings.Builder
	for i := range n {
		fmt.Fprintf(&lines, "a=%s\r\n", hostCandidate(from+i))
	}
	return strings.Replace(browserOffer, "a=ice-options:trickle\r\n", "a=ice-options:trickle\r\n"+lines.String(), 1)
}

func TestTheCandidatesOfAFirstOfferCountWithThoseTrickledAfter(t *testing.T) {
	m := newLoopbackManager(t)
	p, err := m.Join("c", "flooder", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.HandleOffer(withCandidates(0, maxRemoteCandidates)); err != nil {
		t.Fatalf("a first offer listing %d candidates: %v", maxRemoteCandidates, err)
	}
	upUfrag(t, p, "abcd") // the same ICE generation, now running
	err = p.HandleCandidate(Up, webrtc.ICECandidateInit{Candidate: hostCandidate(maxRemoteCandidates)})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("a candidate trickled after a first offer listing %d: %v, want a protocol error", maxRemoteCandidates, err)
	}

	// A later offer that keeps the ufrag is no restart: its candidates
	// add to those of the first.
	q, err := m.Join("c", "renegotiator", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.HandleOffer(withCandidates(0, maxRemoteCandidates/2)); err != nil {
		t.Fatal(err)
	}
	upUfrag(t, q, "abcd")
	if err := q.HandleOffer(withCandidates(maxRemoteCandidates, maxRemoteCandidates/2+1)); !errors.Is(err, ErrProtocol) {
		t.Fatalf("a second offer without restart bringing the candidates to %d: %v, want a protocol error", maxRemoteCandidates+1, err)
	}
}

func TestTheCandidatesOfAConnectionAreBounded(t *testing.T) {
	m := newLoopbackManager(t)
	p, err := m.Join("c", "flooder", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.HandleOffer(browserOffer); err != nil {
		t.Fatal(err)
	}
	upUfrag(t, p, "abcd")
	for range 2 { // the same again counts once, as later offers list them again
		for i := range maxRemoteCandidates {
			if err := p.HandleCandidate(Up, webrtc.ICECandidateInit{Candidate: hostCandidate(i)}); err != nil {
				t.Fatalf("candidate %d: %v", i, err)
			}
		}
	}
	err = p.HandleCandidate(Up, webrtc.ICECandidateInit{Candidate: hostCandidate(maxRemoteCandidates)})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("candidate %d of a connection: %v, want a protocol error", maxRemoteCandidates+1, err)
	}

	// An ICE restart starts a new count: pion forgot the old candidates.
	q, err := m.Join("c", "restarter", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	for g, ufrag := range []string{"abcd", "efgh"} {
		if err := q.HandleOffer(strings.ReplaceAll(browserOffer, "a=ice-ufrag:abcd", "a=ice-ufrag:"+ufrag)); err != nil {
			t.Fatal(err)
		}
		upUfrag(t, q, ufrag)
		for i := range maxRemoteCandidates {
			if err := q.HandleCandidate(Up, webrtc.ICECandidateInit{Candidate: hostCandidate(1000*g + i)}); err != nil {
				t.Fatalf("candidate %d of ICE ufrag %s: %v", i, ufrag, err)
			}
		}
	}

	// Those an offer lists count too.
	flood := withCandidates(0, maxRemoteCandidates+1)
	r, err := m.Join("c", "lister", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.HandleOffer(flood); !errors.Is(err, ErrProtocol) {
		t.Fatalf("an offer listing %d candidates: %v, want a protocol error", maxRemoteCandidates+1, err)
	}
}
