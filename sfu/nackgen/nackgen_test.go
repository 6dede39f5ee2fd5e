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

// feed returns a reader that hands out pkts one per read.
func feed(pkts *[][]byte) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n := copy(b, (*pkts)[0])
		*pkts = (*pkts)[1:]
		return n, a, nil
	})
}

func packets(ssrc uint32, seqs ...uint16) [][]byte {
	var out [][]byte
	for _, seq := range seqs {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq}, Payload: []byte{1}}).Marshal()
		out = append(out, b)
	}
	return out
}

// Two streams miss the same sequence number; the one whose repair was
// read, and only that one, has it.
func TestRepairOverRTXCountsAsReceived(t *testing.T) {
	i, _ := Factory{}.NewInterceptor("")
	g := i.(*Generator)
	defer func() { _ = g.Close() }()
	nackFB := []interceptor.RTCPFeedback{{Type: "nack"}}
	video, other := packets(7, 100, 101, 103), packets(8, 100, 101, 103)
	repairs := packets(77, 5000)
	vr := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 7, RTCPFeedback: nackFB}, feed(&video))
	or := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 8, RTCPFeedback: nackFB}, feed(&other))
	rr := g.BindRemoteStream(&interceptor.StreamInfo{SSRC: 77, MimeType: "video/rtx"}, feed(&repairs))
	buf := make([]byte, 1500)
	for range 3 {
		_, _, _ = vr.Read(buf, nil)
		_, _, _ = or.Read(buf, nil)
	}
	_, attr, err := rr.Read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !Received(attr, 7, 102) {
		t.Fatal("an RTX packet's attributes do not lead to its generator")
	}
	if got := g.streams[7].missing(nil); len(got) != 0 {
		t.Errorf("the repaired stream still misses %v", got)
	}
	if got := g.streams[8].missing(nil); !slices.Equal(got, []uint16{102}) {
		t.Errorf("the other stream misses %v, want [102]", got)
	}
	if Received(interceptor.Attributes{}, 7, 101) || Received(nil, 7, 101) {
		t.Error("a packet that did not come over RTX counted as a repair")
	}
}

// A sender that numbers its stream afresh, behind where it was (a
// restarted source behind a pion publisher), is NACKed from there on:
// the log took every packet less than 32768 behind its newest for an
// old one, asked for nothing the new stream lost until its numbers
// caught up, and went on asking for the old stream's holes. Old packets
// resent over RTX, as browsers probe their uplink, are no restart.
func TestLogStartsOverWhenTheNumberingStartsAgainBehind(t *testing.T) {
	l := &receiveLog{}
	for _, seq := range []uint16{40000, 40001, 40003, 30000, 30001, 30003} {
		l.add(seq)
	}
	if got := l.missing(nil); !slices.Equal(got, []uint16{30002}) {
		t.Fatalf("missing %v after the numbering started again at 30000, want [30002]", got)
	}
	l.repaired(29000)
	l.repaired(39000)
	l.add(30004)
	if got := l.missing(nil); !slices.Equal(got, []uint16{30002}) {
		t.Errorf("missing %v after old packets resent over RTX, want [30002]", got)
	}
}
