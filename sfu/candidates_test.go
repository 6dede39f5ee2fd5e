package sfu

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// offerCatcher hands over the down offers the SFU sends its client.
type offerCatcher struct {
	quietSignaler
	offers chan string
}

func (o offerCatcher) SendDescription(role PeerRole, d webrtc.SessionDescription) {
	if role == Down {
		o.offers <- d.SDP
	}
}

// answerOf is a real pion peer's answer to offer, its ICE ufrag made
// ufrag, listing the candidates from to from+n-1 of hostCandidate.
func answerOf(t *testing.T, offer, ufrag string, from, n int) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	sdp := regexp.MustCompile(`a=ice-ufrag:[^\r\n]*`).ReplaceAllString(answer.SDP, "a=ice-ufrag:"+ufrag)
	var lines strings.Builder
	for i := range n {
		fmt.Fprintf(&lines, "a=%s\r\n", hostCandidate(from+i))
	}
	at := strings.Index(sdp, "a=ice-pwd:")
	at += strings.Index(sdp[at:], "\r\n") + 2
	return sdp[:at] + lines.String() + sdp[at:]
}

// downOffer waits for the SFU's next down offer to p's client.
func downOffer(t *testing.T, offers chan string) string {
	t.Helper()
	select {
	case sdp := <-offers:
		return sdp
	case <-time.After(10 * time.Second):
		t.Fatal("no down offer")
		return ""
	}
}

// A client's answer with another ICE ufrag restarts nothing (pion keeps
// the candidates it had), so it starts no new count; only the server's
// ICE restart does.
func TestAnAnswerWithANewUfragStartsNoNewCountOfCandidates(t *testing.T) {
	m := newLoopbackManager(t)
	sig := offerCatcher{offers: make(chan string, 4)}
	p, err := m.Join("c", "answerer", sig)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if _, err := down.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	half := maxRemoteCandidates / 2
	p.negotiate()
	if err := p.HandleAnswer(answerOf(t, downOffer(t, sig.offers), "abcd", 0, half)); err != nil {
		t.Fatal(err)
	}
	p.negotiate()
	if err := p.HandleAnswer(answerOf(t, downOffer(t, sig.offers), "efgh", half, half)); err != nil {
		t.Fatal(err)
	}
	err = p.HandleCandidate(Down, webrtc.ICECandidateInit{Candidate: hostCandidate(2 * half)})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("candidate %d of the down connection, its ufrag changed by an answer: %v, want a protocol error", 2*half+1, err)
	}

	q, err := m.Join("c", "restarted", sig)
	if err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	down = q.down
	q.mu.Unlock()
	if _, err := down.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	q.negotiate()
	if err := q.HandleAnswer(answerOf(t, downOffer(t, sig.offers), "abcd", 0, maxRemoteCandidates)); err != nil {
		t.Fatal(err)
	}
	q.offerDown(true)
	if err := q.HandleAnswer(answerOf(t, downOffer(t, sig.offers), "efgh", maxRemoteCandidates, maxRemoteCandidates)); err != nil {
		t.Fatalf("the candidates of the answer to the server's ICE restart: %v", err)
	}
}
