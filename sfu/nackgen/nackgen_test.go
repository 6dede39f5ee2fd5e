package nackgen

import (
	"slices"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

func TestLogReportsGapsAcrossTheWrap(t *testing.T) {
	l := &receiveLog{}
	for _, seq := range []uint16{65530, 65531, 65533, 1, 2} {
		l.add(seq)
	}
	want := []uint16{65532, 65534, 65535, 0}
	if got := l.missing(nil); !slices.Equal(got, want) {
		t.Fatalf("missing %v, want %v", got, want)
	}
	l.add(65534) // late
	if got := l.missing(nil); !slices.Equal(got, []uint16{65532, 65535, 0}) {
		t.Errorf("after a late packet, missing %v", got)
	}
}

func TestLogGivesUpAfterMaxNACKs(t *testing.T) {
	l := &receiveLog{}
	l.add(10)
	l.add(12)
	for range maxNacks {
		if got := l.missing(nil); !slices.Equal(got, []uint16{11}) {
			t.Fatalf("missing %v, want [11]", got)
		}
	}
	if got := l.missing(nil); len(got) != 0 {
		t.Errorf("still NACKing %v after %d times", got, maxNacks)
	}
}

func TestLogStartsOverAfterAJump(t *testing.T) {
	l := &receiveLog{}
	l.add(10)
	l.add(10 + 2*logSize)
	l.add(12 + 2*logSize)
	if got := l.missing(nil); !slices.Equal(got, []uint16{11 + 2*logSize}) {
		t.Errorf("missing %v, want only the gap after the jump", got)
	}
}

// rtxPacket marshals an RTX packet carrying osn.
func rtxPacket(t *testing.T, ssrc uint32, seq, osn uint16, padding bool) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq, PayloadType: 97}, Payload: []byte{byte(osn >> 8), byte(osn), 0xaa}}
	if err := p.SetExtension(3, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if padding {
		p.Padding, p.PaddingSize = true, 4
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOriginalSequenceNumber(t *testing.T) {
	for _, padding := range []bool{false, true} {
		if osn, ok := OriginalSequenceNumber(rtxPacket(t, 1, 5, 4242, padding)); !ok || osn != 4242 {
			t.Errorf("padding %v: %d %v, want 4242", padding, osn, ok)
		}
	}
	probe := rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, PaddingSize: 200}}
	b, _ := probe.Marshal()
	if _, ok := OriginalSequenceNumber(b); ok {
		t.Error("a padding-only probe carries no original sequence number")
	}
	if _, ok := OriginalSequenceNumber(b[:5]); ok {
		t.Error("a truncated packet carries no original sequence number")
	}
}

// feed returns a reader that hands out pkts one per read.
func feed(pkts *[][]byte) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n := copy(b, (*pkts)[0])
		*pkts = (*pkts)[1:]
		return n, a, nil
	})
}

func TestRepairOverRTXCountsAsReceived(t *testing.T) {
	i, _ := Factory{}.NewInterceptor("")
	g := i.(*Generator)
	nackFB := []interceptor.RTCPFeedback{{Type: "nack"}}
	var video, other, repairs [][]byte
	for _, seq := range []uint16{100, 101, 103, 104} { // 102 lost
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7, SequenceNumber: seq}, Payload: []byte{1}}).Marshal()
		video = append(video, b)
	}
	for _, seq := range []uint16{900, 902} { // 901 lost
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 8, SequenceNumber: seq}, Payload: []byte{1}}).Marshal()
		other = append(other, b)
	}
	vr := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 7, RTCPFeedback: nackFB}, feed(&video))
	or := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 8, RTCPFeedback: nackFB}, feed(&other))
	rr := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 77, MimeType: "video/rtx"}, feed(&repairs))
	buf := make([]byte, 1500)
	for range 4 {
		_, _, _ = vr.Read(buf, nil)
	}
	for range 2 {
		_, _, _ = or.Read(buf, nil)
	}
	repairs = append(repairs, rtxPacket(t, 77, 1, 102, false))
	_, _, _ = rr.Read(buf, nil)
	if got := g.streams[7].missing(nil); len(got) != 0 {
		t.Errorf("the video stream still misses %v after the repair", got)
	}
	if got := g.streams[8].missing(nil); !slices.Equal(got, []uint16{901}) {
		t.Errorf("the other stream misses %v, want [901]", got)
	}
	if g.repairs[77] != 7 {
		t.Errorf("RTX stream 77 tied to %d, want 7", g.repairs[77])
	}
	_ = g.Close()
}
