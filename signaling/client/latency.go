package client

import (
	"encoding/binary"
	"math/bits"
	"time"
)

// Send-time stamps: every synthetic packet carries the time it was
// handed to pion, so that a receiver on the same machine can tell how
// long the packet took to arrive (one-way latency through the SFU).
// The stamp sits after the VP8 descriptor and keyframe header (bytes
// 0-10), where a real encoder would put picture data the SFU never
// reads; audio uses the same place.
const (
	stampOffset = 12
	stampMagic  = 0x706c6e6d // "plnm": tells a stamp from other bytes
	stampSize   = 12         // magic, then unix nanoseconds
)

// writeStamp puts the send time in b, if it is long enough.
func writeStamp(b []byte, now time.Time) {
	if len(b) < stampOffset+stampSize {
		return
	}
	binary.BigEndian.PutUint32(b[stampOffset:], stampMagic)
	binary.BigEndian.PutUint64(b[stampOffset+4:], uint64(now.UnixNano()))
}

// readStamp returns the send time a payload carries, if any.
func readStamp(b []byte) (unixNano int64, ok bool) {
	if len(b) < stampOffset+stampSize || binary.BigEndian.Uint32(b[stampOffset:]) != stampMagic {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b[stampOffset+4:])), true
}

// Latency histogram buckets, in microseconds, as HDR histograms count:
// below 64 µs one bucket per microsecond, above 32 buckets per doubling,
// so that every value is known within about 3 %, up to latencyMax.
const (
	latencyExact   = 64 // values below are exact
	latencySubBits = 5  // 32 sub-buckets per doubling
	latencyMax     = 16 * time.Second
	latencyBuckets = latencyExact + (25-latencySubBits-1)*(1<<latencySubBits) // up to 2^25 µs > latencyMax
)

// LatencyHistogram counts latencies in buckets of about 3 % width. The
// zero value is empty and ready to use; it is a value type, so copying
// it takes a snapshot.
type LatencyHistogram struct {
	counts [latencyBuckets]uint32
	n      uint64
	sum    time.Duration
	max    time.Duration
}

func latencyBucket(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < latencyExact {
		return int(us)
	}
	shift := bits.Len64(us) - latencySubBits - 1 // us>>shift is in [32, 64)
	i := latencyExact + (shift-1)*(1<<latencySubBits) + int(us>>shift) - (1 << latencySubBits)
	return min(i, latencyBuckets-1)
}

// bucketUpper is the largest latency that falls in bucket i.
func bucketUpper(i int) time.Duration {
	if i < latencyExact {
		return time.Duration(i+1)*time.Microsecond - 1
	}
	j := i - latencyExact
	shift := j/(1<<latencySubBits) + 1
	base := uint64(j%(1<<latencySubBits) + (1 << latencySubBits))
	return time.Duration((base+1)<<shift)*time.Microsecond - 1
}

// Add counts one latency.
func (h *LatencyHistogram) Add(d time.Duration) {
	d = min(max(d, 0), latencyMax)
	h.counts[latencyBucket(d)]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// Merge adds every count of o.
func (h *LatencyHistogram) Merge(o *LatencyHistogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Since returns what was counted after the snapshot earlier was taken;
// its maximum is the bound of the highest bucket counted since.
func (h LatencyHistogram) Since(earlier *LatencyHistogram) LatencyHistogram {
	top := -1
	for i, c := range earlier.counts {
		h.counts[i] -= c
		if h.counts[i] > 0 {
			top = i
		}
	}
	h.n -= earlier.n
	h.sum -= earlier.sum
	h.max = 0
	if top >= 0 {
		h.max = min(bucketUpper(top), latencyMax)
	}
	return h
}

// Count is the number of latencies counted.
func (h *LatencyHistogram) Count() uint64 { return h.n }

// Mean is the average latency, 0 if none was counted.
func (h *LatencyHistogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Max is the largest latency counted.
func (h *LatencyHistogram) Max() time.Duration { return h.max }

// Quantile is the latency below which a fraction q (0 to 1) of the
// counted ones fall, rounded up to its bucket's bound (so within about
// 3 % above the truth); 0 if none was counted.
func (h *LatencyHistogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return min(bucketUpper(i), h.max)
		}
	}
	return h.max
}
