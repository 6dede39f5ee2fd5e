package client

import "time"

// seqRange follows a stream's sequence numbers across wrap-arounds, as
// RFC 3550 (appendix A.1) does, to know how many packets were sent.
type seqRange struct {
	started bool
	base    uint64 // extended sequence number of the first packet
	highest uint64 // extended sequence number of the highest packet
}

func (s *seqRange) add(seq uint16) {
	if !s.started {
		s.started = true
		s.base, s.highest = uint64(seq)+1<<16, uint64(seq)+1<<16 // room to go back
		return
	}
	// The packet's extended number is the one nearest the highest seen.
	ext := s.highest + uint64(int64(int16(seq-uint16(s.highest))))
	if ext > s.highest {
		s.highest = ext
	}
	if ext < s.base {
		s.base = ext // reordered ahead of the first one
	}
}

// expected is how many packets the sender numbered so far.
func (s *seqRange) expected() uint64 {
	if !s.started {
		return 0
	}
	return s.highest - s.base + 1
}

// jitter is RFC 3550's interarrival jitter (section 6.4.1), computed
// from the send times the packets carry instead of their RTP
// timestamps, so that it is in nanoseconds whatever the clock rate.
type jitter struct {
	started     bool
	lastTransit int64
	value       float64 // nanoseconds
}

func (j *jitter) add(transit int64) {
	if j.started {
		d := float64(transit - j.lastTransit)
		if d < 0 {
			d = -d
		}
		j.value += (d - j.value) / 16
	}
	j.started, j.lastTransit = true, transit
}

// CounterStats is a snapshot of a Counter.
type CounterStats struct {
	// Packets and Bytes received.
	Packets, Bytes uint64
	// Expected is how many packets the sender numbered from the first
	// received to the highest: Expected - Packets were lost (less any
	// duplicates).
	Expected uint64
	// Latency holds the one-way latencies of the packets that carried a
	// send time.
	Latency LatencyHistogram
	// SocketLatency holds the latencies of those packets to when they
	// reached the client's socket, if Config.Arrivals is set.
	SocketLatency LatencyHistogram
	// Jitter is RFC 3550's interarrival jitter of those packets.
	Jitter time.Duration
}

// Stats returns a snapshot of the counter.
func (k *Counter) Stats() CounterStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := CounterStats{
		Packets:  k.packets.Load(),
		Bytes:    k.bytes.Load(),
		Expected: k.seq.expected(),
		Jitter:   time.Duration(k.jitter.value),
	}
	if k.latency != nil {
		s.Latency = *k.latency
	}
	if k.socketLatency != nil {
		s.SocketLatency = *k.socketLatency
	}
	return s
}
