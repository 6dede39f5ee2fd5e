package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/plenum-meet/plenum/signaling/client"
)

// snapshot is the state of every receiver and of the server at once.
type snapshot struct {
	at       time.Time
	packets  uint64 // received by all participants
	bytes    uint64
	expected uint64 // numbered by the server for them
	latency  client.LatencyHistogram
	// socketLatency is to the subscriber's socket (kernel timestamps).
	socketLatency client.LatencyHistogram
	jitter        time.Duration // mean over the received tracks
	tracks        int           // received tracks with packets
	perTrack      map[*client.Counter]uint64
	server        serverSample
	selfCPU       float64 // the load generator's CPU seconds (its whole process)
	udpDrops      uint64  // datagrams the kernel dropped for full receive buffers
	busyCPU       float64 // CPU seconds the machine spent in processes
	irqCPU        float64 // CPU seconds the machine spent in interrupts
}

func (r *run) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{at: time.Now(), perTrack: map[*client.Counter]uint64{}}
	var jitterSum time.Duration
	for _, p := range r.people {
		if p.c == nil {
			continue
		}
		for _, k := range p.c.ReceivedTracks() {
			c := p.c.Received(k.Publisher, k.Kind)
			if c == nil {
				continue
			}
			st := c.Stats()
			if st.Packets == 0 {
				continue
			}
			s.tracks++
			s.perTrack[c] = st.Packets
			s.packets += st.Packets
			s.bytes += st.Bytes
			s.expected += st.Expected
			s.latency.Merge(&st.Latency)
			s.socketLatency.Merge(&st.SocketLatency)
			jitterSum += st.Jitter
		}
	}
	if s.tracks > 0 {
		s.jitter = jitterSum / time.Duration(s.tracks)
	}
	if self, err := readProc(os.Getpid()); err == nil {
		s.selfCPU = self.cpuSeconds
	}
	s.udpDrops = udpReceiveDrops()
	s.busyCPU, s.irqCPU = machineCPUSeconds()
	var err error
	s.server, err = r.probe.sample(ctx)
	return s, err
}

// window is what happened between two snapshots.
type window struct {
	seconds                    float64
	received, receivedBytes    float64
	expected                   float64
	latency, socketLatency     client.LatencyHistogram
	serverCPU, forwarded       float64
	serverSystemCPU            float64 // NaN when the server does not say
	forwardedBytes, selfCPU    float64
	datagrams, kernelSends     float64 // the server's media port
	serverLatencyP99           float64
	serverHasCounters          bool
	serverRSS                  float64
	tracks                     int
	stalled                    int // tracks that brought nothing in the window
	udpDrops                   uint64
	busyCPU, irqCPU            float64
	jitter                     time.Duration
	serverForwardLatencyBucket []bucket
}

func between(a, b *snapshot) window {
	w := window{
		seconds:           b.at.Sub(a.at).Seconds(),
		received:          float64(b.packets - a.packets),
		receivedBytes:     float64(b.bytes - a.bytes),
		expected:          float64(b.expected) - float64(a.expected),
		latency:           b.latency.Since(&a.latency),
		socketLatency:     b.socketLatency.Since(&a.socketLatency),
		serverCPU:         b.server.cpuSeconds - a.server.cpuSeconds,
		serverSystemCPU:   math.NaN(),
		selfCPU:           b.selfCPU - a.selfCPU,
		serverHasCounters: b.server.hasCounters,
		serverRSS:         b.server.rssBytes,
		tracks:            b.tracks,
		jitter:            b.jitter,
		udpDrops:          b.udpDrops - a.udpDrops,
		busyCPU:           b.busyCPU - a.busyCPU,
		irqCPU:            b.irqCPU - a.irqCPU,
	}
	if a.server.hasSystem && b.server.hasSystem {
		w.serverSystemCPU = b.server.systemSeconds - a.server.systemSeconds
	}
	for c, n := range b.perTrack {
		if n == a.perTrack[c] {
			w.stalled++
		}
	}
	if w.serverHasCounters {
		w.forwarded = b.server.packetsOut - a.server.packetsOut
		w.forwardedBytes = b.server.bytesOut - a.server.bytesOut
		w.datagrams = b.server.datagrams - a.server.datagrams
		w.kernelSends = b.server.kernelSends - a.server.kernelSends
		w.serverLatencyP99 = histogramQuantile(0.99, a.server.latency, b.server.latency)
	}
	return w
}

func (w *window) lossPct() float64 {
	if w.expected <= 0 {
		return 0
	}
	return max(0, (w.expected-w.received)/w.expected*100)
}

// forwardedPackets is the server's count when it has one, else what the
// participants received.
func (w *window) forwardedPackets() float64 {
	if w.serverHasCounters {
		return w.forwarded
	}
	return w.received
}

func (w *window) cpuPerPacket() float64 {
	if f := w.forwardedPackets(); f > 0 {
		return w.serverCPU / f * 1e6
	}
	return math.NaN()
}

// measure takes a snapshot, prints progress until cfg.Duration is over,
// takes another and fills the result from the two.
func (r *run) measure(ctx context.Context) error {
	first, err := r.snapshot(ctx)
	for try := 1; err != nil && try < 3; try++ { // a busy server may answer late
		first, err = r.snapshot(ctx)
	}
	if err != nil {
		return fmt.Errorf("server figures: %w", err)
	}
	prev := first
	end := first.at.Add(r.cfg.Duration)
	for ticks := 0; time.Now().Before(end) && ticks < int(MaxDuration/r.cfg.ProgressEvery)+1; ticks++ {
		if err := sleep(ctx, min(r.cfg.ProgressEvery, time.Until(end))); err != nil {
			return err
		}
		cur, err := r.snapshot(ctx)
		if err != nil {
			// A saturated server may not answer in time: carry on, the
			// figures span from the first to the last answer.
			if r.cfg.Progress != nil {
				fmt.Fprintf(r.cfg.Progress, "%5.1fs  no server figures: %v\n", time.Since(first.at).Seconds(), err)
			}
			continue
		}
		if r.cfg.Progress != nil {
			w := between(&prev, &cur)
			fmt.Fprintln(r.cfg.Progress, r.progressLine(cur.at.Sub(first.at), &w))
		}
		prev = cur
	}
	if !prev.at.After(first.at) {
		return errors.New("the server gave no figures while measuring")
	}
	w := between(&first, &prev)
	r.fill(&w)
	return nil
}

func (r *run) progressLine(elapsed time.Duration, w *window) string {
	line := fmt.Sprintf("%5.1fs  %d/%d joined  %d/%d tracks (%d stalled)  fwd %s pkt/s  rx %.1f Mbit/s  loss %.2f%%  latency p50 %.2f p99 %.2f ms (socket p99 %.2f)  jitter %.3f ms",
		elapsed.Seconds(), r.result.Joined, len(r.people), w.tracks, r.cfg.tracksExpected(), w.stalled,
		si(w.forwardedPackets()/w.seconds), w.receivedBytes*8/w.seconds/1e6, w.lossPct(),
		ms(w.latency.Quantile(0.5)), ms(w.latency.Quantile(0.99)), ms(w.socketLatency.Quantile(0.99)), ms(w.jitter))
	return line + fmt.Sprintf("  server cpu %.0f%% %.2f µs/pkt rss %.0f MB  loadgen cpu %.0f%%  others %.0f%%",
		w.serverCPU/w.seconds*100, w.cpuPerPacket(), w.serverRSS/1e6, w.selfCPU/w.seconds*100,
		max(0, w.busyCPU-w.serverCPU-w.selfCPU)/w.seconds*100) + fmt.Sprintf(" softirq %.0f%%", w.irqCPU/w.seconds*100)
}

func (r *run) fill(w *window) {
	res := &r.result
	res.MeasuredSeconds = w.seconds
	res.TracksExpected = r.cfg.tracksExpected()
	res.TracksReceived = w.tracks
	res.TracksStalled = w.stalled
	res.ForwardedPPS = w.forwardedPackets() / w.seconds
	res.ForwardedMbps = w.receivedBytes * 8 / w.seconds / 1e6
	if w.serverHasCounters {
		res.ForwardedMbps = w.forwardedBytes * 8 / w.seconds / 1e6
		res.ServerForwardP99Ms = nanToZero(w.serverLatencyP99 * 1000)
	}
	res.ReceivedPPS = w.received / w.seconds
	res.ReceivedMbps = w.receivedBytes * 8 / w.seconds / 1e6
	res.LossPct = w.lossPct()
	res.LatencyP50Ms = ms(w.latency.Quantile(0.50))
	res.LatencyP95Ms = ms(w.latency.Quantile(0.95))
	res.LatencyP99Ms = ms(w.latency.Quantile(0.99))
	res.LatencyMaxMs = ms(w.latency.Max())
	res.LatencySamples = w.latency.Count()
	res.SocketLatencyP50Ms = ms(w.socketLatency.Quantile(0.50))
	res.SocketLatencyP95Ms = ms(w.socketLatency.Quantile(0.95))
	res.SocketLatencyP99Ms = ms(w.socketLatency.Quantile(0.99))
	res.SocketLatencyMaxMs = ms(w.socketLatency.Max())
	res.SocketLatencySamples = w.socketLatency.Count()
	res.JitterMs = ms(w.jitter)
	res.ServerCPUPct = w.serverCPU / w.seconds * 100
	res.ServerCPUMicrosPerPacket = nanToZero(w.cpuPerPacket())
	if f := w.forwardedPackets(); f > 0 && !math.IsNaN(w.serverSystemCPU) {
		res.ServerCPUSystemMicrosPerPacket = w.serverSystemCPU / f * 1e6
	}
	if w.kernelSends > 0 {
		res.DatagramsPerSend = w.datagrams / w.kernelSends
	}
	res.ServerRSSMB = w.serverRSS / 1e6
	if res.Joined > 0 {
		res.ServerRSSPerParticipantMB = max(0, res.ServerRSSMB-res.ServerRSSBaselineMB) / float64(res.Joined)
	}
	res.LoadgenCPUPct = w.selfCPU / w.seconds * 100
	res.UDPReceiveDrops = w.udpDrops
	if !r.cfg.InProcess {
		res.OtherCPUPct = max(0, w.busyCPU-w.serverCPU-w.selfCPU) / w.seconds * 100
	}
	res.SoftirqCPUPct = w.irqCPU / w.seconds * 100
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func nanToZero(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// si writes a rate with a k or M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// udpReceiveDrops is the kernel's count of UDP datagrams dropped for a
// full socket receive buffer (RcvbufErrors in /proc/net/snmp), for the
// whole network namespace: server and load generator alike.
func udpReceiveDrops() uint64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "Udp: ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseUint(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// machineCPUSeconds is the CPU time all cores of the machine spent in
// processes (user, nice, system, steal) and in interrupts (irq, softirq:
// loopback delivery of the packets runs there, and the kernel counts it
// to no process), from /proc/stat.
func machineCPUSeconds() (processes, interrupts float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:9] {
		x, _ := strconv.ParseFloat(v, 64)
		switch i {
		case 0, 1, 2, 7: // user, nice, system, steal (guest time is in user already)
			processes += x
		case 5, 6: // irq, softirq
			interrupts += x
		}
	}
	return processes / clockTicks, interrupts / clockTicks
}
