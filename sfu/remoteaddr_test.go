package sfu

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestCheckable(t *testing.T) {
	lan := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fe80::/64"), netip.MustParsePrefix("127.0.0.0/8")}
	for _, c := range []struct {
		addr      string
		local     []netip.Prefix
		checkable bool
	}{
		{"8.8.8.8", nil, true},
		{"2001:4860:4860::8888", nil, true},
		{"10.1.2.3", nil, false},
		{"10.1.2.3", lan, true},
		{"10.2.2.3", lan, false},
		{"192.168.1.20", nil, false},
		{"172.16.0.1", nil, false},
		{"fd00::1", nil, false},
		{"127.0.0.1", nil, false},
		{"127.0.0.1", lan, true},
		{"::1", nil, false},
		{"169.254.1.1", nil, false},
		{"fe80::1%eth0", nil, false},
		{"fe80::1%eth0", lan, true},
		{"224.0.0.251", lan, false},
		{"ff02::1", lan, false},
		{"255.255.255.255", nil, false},
		{"0.0.0.0", lan, false},
		{"::", lan, false},
		{"0.1.2.3", nil, false},
		{"100.64.1.1", nil, false},
		{"240.1.2.3", nil, false},
		{"192.0.2.1", nil, false},
		{"2001:db8::1", nil, false},
		{"::ffff:10.1.2.3", nil, false},
		{"::ffff:8.8.8.8", nil, true},
	} {
		if got := checkable(netip.MustParseAddr(c.addr), c.local); got != c.checkable {
			t.Errorf("checkable(%s, %v) = %v, want %v", c.addr, c.local, got, c.checkable)
		}
	}
}

func TestOnlyTheCheckableCandidateLinesAreKept(t *testing.T) {
	sdp := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=candidate:1 1 udp 2122260223 10.9.9.9 40000 typ host\r\n" +
		"a=candidate:2 1 udp 2122260223 8.8.8.8 40001 typ host\r\n" +
		"a=candidate:3 1 udp 2122260223 host.example 40002 typ host\r\n" +
		"a=candidate:4 1 udp 2122260223 abc.local 40003 typ host\r\n" +
		"a=mid:0\r\n"
	want := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=candidate:2 1 udp 2122260223 8.8.8.8 40001 typ host\r\n" +
		"a=mid:0\r\n"
	if got := withCheckableCandidates(sdp, nil); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := withCheckableCandidates(strings.ReplaceAll(sdp, "\r\n", "\n"), nil); got != strings.ReplaceAll(want, "\r\n", "\n") {
		t.Errorf("with bare newlines: %q", got)
	}
}

// remoteCandidatePorts lists the ports of the remote candidates pc's ICE
// agent holds, those it sends connectivity checks to.
func remoteCandidatePorts(pc *webrtc.PeerConnection) []int {
	var ports []int
	for _, s := range pc.GetStats() {
		if c, ok := s.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeRemoteCandidate {
			ports = append(ports, int(c.Port))
		}
	}
	slices.Sort(ports)
	return ports
}

// TestTheServerChecksOnlyCandidatesItCouldReach: candidates a client
// names on a private network the server is not on, multicast or
// link-local, in its offer or trickled, are not taken (so never sent
// connectivity checks); those on the server's own networks (loopback
// here) are.
func TestTheServerChecksOnlyCandidatesItCouldReach(t *testing.T) {
	m := newLoopbackManager(t)
	p, err := m.Join("c", "ana", quietSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	listed := "a=candidate:1 1 udp 2122260223 10.99.0.1 40001 typ host\r\n" +
		"a=candidate:2 1 udp 2122260223 127.0.0.1 40002 typ host\r\n"
	if err := p.HandleOffer(strings.Replace(browserOffer, "a=ice-options:trickle\r\n", "a=ice-options:trickle\r\n"+listed, 1)); err != nil {
		t.Fatal(err)
	}
	upUfrag(t, p, "abcd")
	for _, c := range []string{
		"candidate:3 1 udp 2122260223 10.99.0.3 40003 typ host",
		"candidate:4 1 udp 2122260223 224.0.0.251 40004 typ host",
		"candidate:5 1 udp 1686052607 169.254.1.1 40005 typ srflx raddr 0.0.0.0 rport 0",
		"candidate:6 1 udp 2122260223 127.0.0.1 40006 typ host",
	} {
		if err := p.HandleCandidate(Up, webrtc.ICECandidateInit{Candidate: c}); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	p.mu.Lock()
	up := p.up
	p.mu.Unlock()
	want := []int{40002, 40006}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := remoteCandidatePorts(up)
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server holds remote candidates on ports %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Those refused count as those taken do: the bound still holds.
	p.mu.Lock()
	counted := len(p.candidates[Up].seen)
	p.mu.Unlock()
	if counted != 6 {
		t.Errorf("%d candidates counted, want the offer's 2 and the 4 trickled", counted)
	}
}
