package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// srRecorder keeps the sender reports a reporter writes.
type srRecorder struct {
	mu      sync.Mutex
	reports []rtcp.SenderReport
}

func (r *srRecorder) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			r.reports = append(r.reports, *sr)
		}
	}
	return 0, nil
}

func (r *srRecorder) last() (rtcp.SenderReport, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) == 0 {
		return rtcp.SenderReport{}, 0
	}
	return r.reports[len(r.reports)-1], len(r.reports)
}

var discardRTP = interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil })

func TestSenderReportCountsAndMapsTimestamps(t *testing.T) {
	s := newSenderReporter(20 * time.Millisecond)
	defer s.Close()
	rec := &srRecorder{}
	s.BindRTCPWriter(rec)
	write := s.BindLocalStream(&interceptor.StreamInfo{SSRC: 7, ClockRate: 90000}, discardRTP)
	s.BindLocalStream(&interceptor.StreamInfo{SSRC: 8, ClockRate: 48000}, discardRTP) // sends nothing

	// Three frames of three packets, 33 ms apart on the RTP clock, and a
	// late packet of the first frame, which must not move the mapping.
	payload := make([]byte, 1000)
	for f := range uint32(3) {
		for range 3 {
			_, _ = write.Write(&rtp.Header{SSRC: 7, Timestamp: 1000 + f*3000}, payload, nil)
		}
	}
	_, _ = write.Write(&rtp.Header{SSRC: 7, Timestamp: 1000}, payload[:500], nil)
	sentAt := time.Now()

	var sr rtcp.SenderReport
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if sr, n = rec.last(); n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sr.SSRC != 7 {
		t.Fatalf("report %+v, want one for SSRC 7 only (8 has sent nothing)", sr)
	}
	if sr.PacketCount != 10 || sr.OctetCount != 9500 {
		t.Errorf("counts %d packets %d octets, want 10 and 9500", sr.PacketCount, sr.OctetCount)
	}
	// The report maps its NTP time to the newest frame's timestamp plus
	// the time since that frame was sent, on the 90 kHz clock.
	reportAt := ntpToTime(sr.NTPTime)
	if d := time.Since(reportAt); d < 0 || d > 5*time.Second {
		t.Fatalf("NTP time %v is not now", reportAt)
	}
	elapsed := reportAt.Sub(sentAt)
	want := 7000 + uint32(elapsed.Seconds()*90000)
	if diff := int32(sr.RTPTime - want); diff < -90*5 || diff > 90*5 {
		t.Errorf("RTP time %d, want %d (±5 ms): %v after the last frame", sr.RTPTime, want, elapsed)
	}
}

func TestSenderReportCountsWithoutAllocating(t *testing.T) {
	st := &sentStream{ssrc: 1, clockRate: 90000}
	start := time.Now()
	h := &rtp.Header{SSRC: 1}
	if allocs := testing.AllocsPerRun(1000, func() {
		h.Timestamp += 1500
		st.count(h, 1000, start)
	}); allocs != 0 {
		t.Fatalf("counting a packet allocates %.1f times, want 0", allocs)
	}
}

func TestSenderReporterCloseEndsLoop(t *testing.T) {
	s := newSenderReporter(time.Millisecond)
	s.BindRTCPWriter(&srRecorder{})
	s.BindRTCPWriter(&srRecorder{}) // a second bind starts no second loop
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the report loop")
	}
	s.BindRTCPWriter(&srRecorder{}) // after Close: nothing starts
	_ = s.Close()
}

func TestNTPTime(t *testing.T) {
	at := time.Date(2026, 11, 26, 4, 30, 0, 250_000_000, time.UTC)
	got := ntpTime(at)
	if secs := got >> 32; secs != uint64(at.Unix())+ntpEpochOffset {
		t.Errorf("seconds %d, want %d", secs, uint64(at.Unix())+ntpEpochOffset)
	}
	if frac := uint32(got); frac != 1<<30 {
		t.Errorf("fraction %#x, want a quarter second (%#x)", frac, 1<<30)
	}
}

// ntpToTime is the inverse of ntpTime.
func ntpToTime(v uint64) time.Time {
	secs := int64(v>>32) - ntpEpochOffset
	ns := (int64(uint32(v)) * 1e9) >> 32
	return time.Unix(secs, ns)
}

// The report loop reads the clock once for all a connection's streams,
// and a frame may go out while it runs: a report at a time before the
// newest frame's maps back from that frame, not 2^32 units (five days)
// forward, which on a 48 kHz clock lands hours off.
func TestSenderReportOfAFrameSentAfterItsClockWasRead(t *testing.T) {
	st := &sentStream{ssrc: 1, clockRate: 48000}
	start := time.Now().Add(-time.Second)
	st.count(&rtp.Header{SSRC: 1, Timestamp: 480_000}, 100, start) // about a second after start
	sr := st.report(start.Add(500*time.Millisecond), start)        // the loop's clock, read earlier
	// Half a second before the frame, or a little more (the frame was
	// stamped when count ran, however late).
	if back := -int32(sr.RTPTime - 480_000); back < 24_000 || back > 10*48_000 {
		t.Errorf("RTP time %d half a second before a frame at 480000, want about 456000", sr.RTPTime)
	}
}
