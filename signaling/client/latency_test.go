package client

import (
	"testing"
	"time"
)

func TestLatencyHistogramQuantiles(t *testing.T) {
	var h LatencyHistogram
	for i := 1; i <= 1000; i++ { // 10 µs to 10 ms, evenly
		h.Add(time.Duration(i) * 10 * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.95, 9500 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := h.Quantile(tc.q)
		if got < tc.want || float64(got) > float64(tc.want)*1.04 {
			t.Errorf("q%.2f = %v, want %v to 4%% above", tc.q, got, tc.want)
		}
	}
	if h.Count() != 1000 || h.Max() != 10*time.Millisecond {
		t.Errorf("count %d max %v", h.Count(), h.Max())
	}
	snap := h
	for range 10 {
		h.Add(time.Second)
	}
	since := h.Since(&snap)
	if since.Count() != 10 || since.Quantile(0.5) < time.Second || since.Max() > 1040*time.Millisecond {
		t.Errorf("since: count %d median %v max %v", since.Count(), since.Quantile(0.5), since.Max())
	}
	var empty LatencyHistogram
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Error("an empty histogram has latencies")
	}
	h.Add(-time.Second) // clocks apart: counted as zero
	h.Add(time.Hour)    // beyond the range: counted at the top
	if h.Max() != latencyMax {
		t.Errorf("max %v, want %v", h.Max(), latencyMax)
	}
}

func TestLatencyBucketsAreOrdered(t *testing.T) {
	prev := -1
	for us := time.Duration(0); us < latencyMax; us = us*11/10 + time.Microsecond {
		b := latencyBucket(us)
		if b < prev || us > bucketUpper(b) || (b > 0 && us <= bucketUpper(b-1)) {
			t.Fatalf("%v in bucket %d (upper %v), previous %d", us, b, bucketUpper(b), prev)
		}
		prev = b
	}
}

func TestSeqRangeAcrossWrap(t *testing.T) {
	var s seqRange
	for _, seq := range []uint16{65530, 65532, 65531, 65535, 0, 3} { // 65533, 65534, 1 and 2 lost
		s.add(seq)
	}
	if got := s.expected(); got != 10 {
		t.Errorf("expected %d packets, want 10", got)
	}
}

func TestStampRoundTrip(t *testing.T) {
	b := make([]byte, 80)
	now := time.Now()
	writeStamp(b, now)
	got, ok := readStamp(b)
	if !ok || got != now.UnixNano() {
		t.Errorf("stamp %v %v, want %v", got, ok, now.UnixNano())
	}
	if _, ok := readStamp(make([]byte, 80)); ok {
		t.Error("a stamp found in zeros")
	}
}

func TestVideoShape(t *testing.T) {
	if n, size := videoShape(3, videoPacketSize, 0); n != 3 || size != videoPacketSize {
		t.Errorf("default: %d x %d bytes", n, size)
	}
	// 2.5 Mbit/s at 30 frames/s: 10416 bytes a frame, 10 packets.
	n, size := videoShape(3, videoPacketSize, 2_500_000)
	if n != 10 || size > maxVideoPacketSize || n*size*8*videoFrameRate < 2_490_000 {
		t.Errorf("2.5M: %d x %d bytes", n, size)
	}
	if n, size := videoShape(1, 450, 1000); n != 1 || size != minVideoPacket {
		t.Errorf("tiny: %d x %d bytes", n, size)
	}
}
