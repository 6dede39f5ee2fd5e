package sfu

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/transport/v5/packetio"
)

// held is how many bytes of 100-byte packets b takes before it is full.
func held(b io.Writer) int {
	pkt := make([]byte, 100)
	n := 0
	for range 12000 {
		if _, err := b.Write(pkt); err == nil {
			n += len(pkt)
		}
	}
	return n
}

func TestFeedbackNamingADownTracksRTXStreamReachesTheEstimator(t *testing.T) {
	s := newEstimatorSim(t)
	r := rtxSSRCs{stats: &rtxStats{}}
	r.add(42, s.e)
	// The feedback of pion's own receiver, which names the SSRC of the
	// last packet it got.
	rec := twcc.NewRecorder(1)
	for i := range 20 {
		s.send(20*time.Millisecond, false)
		rec.Record(42, uint16(i), int64(i)*1000)
	}
	raw, err := rtcp.Marshal(rec.BuildFeedbackPacket())
	if err != nil {
		t.Fatal(err)
	}
	stream := r.newBuffer(packetio.RTCPBufferPacket, 42)
	if _, err := stream.Write(raw); err != nil {
		t.Fatal(err)
	}
	s.e.mu.Lock()
	got := s.e.reportedEnd
	s.e.mu.Unlock()
	if got != s.seq {
		t.Errorf("the estimator heard of packets up to %d, want all %d sent", got, s.seq)
	}
	if n := r.stats.heard.Load(); n != 1 {
		t.Errorf("heard %d RTX streams, want 1", n)
	}
	// It keeps nothing, and reading it waits for the close.
	if n := held(stream); n != 12000*100 {
		t.Errorf("took %d bytes of 1.2 MB", n)
	}
	done := make(chan error)
	go func() {
		_, err := stream.Read(make([]byte, 100))
		done <- err
	}()
	_ = stream.Close()
	if err := <-done; err != io.EOF {
		t.Errorf("read: %v, want EOF once closed", err)
	}
}

func TestOtherStreamsKeepPionsBuffers(t *testing.T) {
	var r rtxSSRCs
	r.add(42, nil)
	if n := held(r.newBuffer(packetio.RTCPBufferPacket, 43)); n < rtcpBufferSize*9/10 || n > rtcpBufferSize {
		t.Errorf("another SSRC's RTCP stream held %d bytes, want pion's %d", n, rtcpBufferSize)
	}
	if n := held(r.newBuffer(packetio.RTPBufferPacket, 42)); n < rtpBufferSize*9/10 || n > rtpBufferSize {
		t.Errorf("an RTP stream held %d bytes, want pion's %d", n, rtpBufferSize)
	}
	r.remove(42)
	if n := held(r.newBuffer(packetio.RTCPBufferPacket, 42)); n < rtcpBufferSize*9/10 {
		t.Errorf("once the RTX stream is gone, its SSRC's RTCP stream held %d bytes, want pion's %d", n, rtcpBufferSize)
	}
}

func TestStreamBufferReadsWhatWasWritten(t *testing.T) {
	var r rtxSSRCs
	b := r.newBuffer(packetio.RTCPBufferPacket, 7).(streamBuffer)
	if _, err := b.WriteWithAttributes([]byte{1, 2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte{4, 5}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, _, err := b.ReadWithAttributes(buf, nil)
	if err != nil || !bytes.Equal(buf[:n], []byte{1, 2, 3}) {
		t.Errorf("read %x, %v, want 010203", buf[:n], err)
	}
	n, err = b.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte{4, 5}) {
		t.Errorf("read %x, %v, want 0405", buf[:n], err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(buf); err != io.EOF {
		t.Errorf("read after close: %v, want EOF", err)
	}
}
