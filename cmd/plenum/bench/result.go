package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
)

// Result is what a run measured. Its JSON form is what other tools read.
type Result struct {
	Scenario Scenario `json:"scenario"`
	Machine  Machine  `json:"machine"`

	Joined      int      `json:"joined"`
	JoinErrors  []string `json:"join_errors,omitempty"`
	JoinSeconds float64  `json:"join_seconds"`
	// TracksExpected counts (receiver, publisher, kind) streams;
	// TracksReceived those that brought packets.
	TracksExpected int `json:"tracks_expected"`
	TracksReceived int `json:"tracks_received"`
	// TracksStalled counts received tracks that brought no packet while
	// measuring (paused by the server, or stuck).
	TracksStalled   int     `json:"tracks_stalled"`
	MeasuredSeconds float64 `json:"measured_seconds"`

	// ForwardedPPS and ForwardedMbps are what the server sent to
	// subscribers (its own counters, or what arrived if it has none).
	ForwardedPPS  float64 `json:"forwarded_pps"`
	ForwardedMbps float64 `json:"forwarded_mbps"`
	ReceivedPPS   float64 `json:"received_pps"`
	ReceivedMbps  float64 `json:"received_mbps"`
	// LossPct is the share of the packets the server numbered for the
	// receivers that never arrived.
	LossPct float64 `json:"loss_pct"`
	// Latency is one-way, from the publisher handing a packet to pion
	// to the subscriber reading it from its track, through the server:
	// the receiving pion stack's queueing and decryption included.
	LatencyP50Ms   float64 `json:"latency_p50_ms"`
	LatencyP95Ms   float64 `json:"latency_p95_ms"`
	LatencyP99Ms   float64 `json:"latency_p99_ms"`
	LatencyMaxMs   float64 `json:"latency_max_ms"`
	LatencySamples uint64  `json:"latency_samples"`
	// SocketLatency is one-way too, from the publisher handing a packet
	// to pion to the kernel receiving it on the subscriber's socket (its
	// receive timestamp): what the server's forwarding adds, without the
	// load generator's own receive path. Repairs over RTX are left out.
	SocketLatencyP50Ms   float64 `json:"socket_latency_p50_ms"`
	SocketLatencyP95Ms   float64 `json:"socket_latency_p95_ms"`
	SocketLatencyP99Ms   float64 `json:"socket_latency_p99_ms"`
	SocketLatencyMaxMs   float64 `json:"socket_latency_max_ms"`
	SocketLatencySamples uint64  `json:"socket_latency_samples"`
	// JitterMs is RFC 3550's interarrival jitter, averaged over tracks.
	JitterMs float64 `json:"jitter_ms"`
	// ServerForwardP99Ms is the server's own forwarding time (arrival to
	// the last copy written), from its metrics.
	ServerForwardP99Ms float64 `json:"server_forward_p99_ms"`

	ServerCPUPct             float64 `json:"server_cpu_pct"`
	ServerCPUMicrosPerPacket float64 `json:"server_cpu_us_per_packet"`
	// ServerCPUSystemMicrosPerPacket is the kernel's part of it (0 when
	// the server does not say): on loopback, the receivers' delivery too.
	ServerCPUSystemMicrosPerPacket float64 `json:"server_cpu_system_us_per_packet"`
	// DatagramsPerSend is how many datagrams the server's media port sent
	// per message it handed the kernel (0 when the server does not say):
	// above 1 where the kernel cut runs for one subscriber (UDP GSO).
	DatagramsPerSend          float64 `json:"datagrams_per_send"`
	ServerRSSMB               float64 `json:"server_rss_mb"`
	ServerRSSBaselineMB       float64 `json:"server_rss_baseline_mb"`
	ServerRSSPerParticipantMB float64 `json:"server_rss_per_participant_mb"`
	ServerStatsSource         string  `json:"server_stats_source"`
	// LoadgenCPUPct is this process' CPU use (100 = one core): near the
	// cores it may use, the load generator, not the server, is the limit.
	LoadgenCPUPct float64 `json:"loadgen_cpu_pct"`
	// UDPReceiveDrops counts datagrams the kernel dropped for full
	// receive buffers while measuring, in the whole network namespace
	// (server and load generator: where loss on loopback happens).
	UDPReceiveDrops uint64 `json:"udp_receive_drops"`
	// OtherCPUPct is the CPU that other processes of the machine used
	// while measuring (100 = one core): with a server on its own core,
	// anything well above zero means the figures were disturbed.
	OtherCPUPct float64 `json:"other_cpu_pct"`
	// SoftirqCPUPct is the machine's interrupt time while measuring: on
	// loopback mostly the kernel delivering the packets, which the kernel
	// counts to no process (so not in the server's CPU figures).
	SoftirqCPUPct float64 `json:"softirq_cpu_pct"`
}

// Scenario is the shape of the load.
type Scenario struct {
	Name         string  `json:"name,omitempty"`
	Rooms        int     `json:"rooms"`
	Publishers   int     `json:"publishers"`
	Subscribers  int     `json:"subscribers"`
	Participants int     `json:"participants"`
	DurationS    float64 `json:"duration_s"`
	Bitrate      int     `json:"bitrate"`
	Simulcast    bool    `json:"simulcast"`
	Relay        bool    `json:"relay,omitempty"`
	TCP          bool    `json:"tcp,omitempty"`
	ViewHeight   int     `json:"view_height,omitempty"`
	Ramp         float64 `json:"ramp"`
}

func scenarioOf(c Config) Scenario {
	return Scenario{
		Rooms: c.Rooms, Publishers: c.Publishers, Subscribers: c.Subscribers,
		Participants: c.participants(), DurationS: c.Duration.Seconds(),
		Bitrate: c.Bitrate, Simulcast: c.Simulcast, Relay: c.Relay, TCP: c.TCP, ViewHeight: c.ViewHeight, Ramp: c.Ramp,
	}
}

// Shape is the scenario in short: "4x20" (publishers x subscribers), with
// the number of rooms if more than one, "simulcast", "over TURN" and
// "over TCP".
func (s Scenario) Shape() string {
	out := fmt.Sprintf("%dx%d", s.Publishers, s.Subscribers)
	if s.Rooms > 1 {
		out = fmt.Sprintf("%d rooms of %s", s.Rooms, out)
	}
	if s.Simulcast {
		out += " simulcast"
		if s.ViewHeight > 0 {
			out += fmt.Sprintf(" (%dp tiles)", s.ViewHeight)
		}
	}
	if s.Relay {
		out += " over TURN"
	}
	if s.TCP {
		out += " over TCP"
	}
	return out
}

// Machine is what the run ran on.
type Machine struct {
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
	OS    string `json:"os"`
}

func thisMachine() Machine {
	// runtime.NumCPU counts only the cores this process may use (one,
	// under taskset): /proc/cpuinfo lists the machine's.
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cores := 0
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			switch strings.TrimSpace(k) {
			case "processor":
				cores++
			case "model name":
				if ok && m.CPU == "unknown" {
					m.CPU = strings.TrimSpace(v)
				}
			}
		}
		m.Cores = max(m.Cores, cores)
	}
	return m
}

// WriteTable writes the result for a person to read.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	s := r.Scenario
	row("scenario", "%s: %d participants, %.0fs measured", s.Shape(), s.Participants, r.MeasuredSeconds)
	row("joined", "%d/%d in %.1fs", r.Joined, s.Participants, r.JoinSeconds)
	for _, e := range r.JoinErrors {
		row("  join error", "%s", e)
	}
	row("tracks", "%d/%d received, %d stalled while measuring", r.TracksReceived, r.TracksExpected, r.TracksStalled)
	row("forwarded", "%.0f packets/s, %.1f Mbit/s", r.ForwardedPPS, r.ForwardedMbps)
	row("received", "%.0f packets/s, %.1f Mbit/s", r.ReceivedPPS, r.ReceivedMbps)
	row("loss", "%.3f %%", r.LossPct)
	row("latency", "p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms (%d packets)", r.LatencyP50Ms, r.LatencyP95Ms, r.LatencyP99Ms, r.LatencyMaxMs, r.LatencySamples)
	row("latency to the socket", "p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms (%d packets)", r.SocketLatencyP50Ms, r.SocketLatencyP95Ms, r.SocketLatencyP99Ms, r.SocketLatencyMaxMs, r.SocketLatencySamples)
	row("jitter", "%.3f ms", r.JitterMs)
	row("server forwarding p99", "%.3f ms", r.ServerForwardP99Ms)
	row("server CPU", "%.1f %% of a core, %.2f µs per forwarded packet (%.2f µs of it in the kernel)", r.ServerCPUPct, r.ServerCPUMicrosPerPacket, r.ServerCPUSystemMicrosPerPacket)
	row("server sends", "%.2f datagrams per message to the kernel", r.DatagramsPerSend)
	row("server memory", "%.1f MB resident (%.1f before), %.2f MB per participant", r.ServerRSSMB, r.ServerRSSBaselineMB, r.ServerRSSPerParticipantMB)
	row("server figures from", "%s", r.ServerStatsSource)
	row("load generator CPU", "%.0f %% of a core", r.LoadgenCPUPct)
	row("UDP receive drops", "%d (kernel, whole network namespace)", r.UDPReceiveDrops)
	row("other processes' CPU", "%.0f %% of a core", r.OtherCPUPct)
	row("interrupts (softirq)", "%.0f %% of a core, whole machine", r.SoftirqCPUPct)
	return tw.Flush()
}

// WriteMarkdown writes results as one Markdown table, a row each.
func WriteMarkdown(w io.Writer, results []*Result) error {
	_, err := fmt.Fprintln(w, "| scenario | participants | forwarded pkt/s | Mbit/s | loss % | latency to the socket p50 / p95 / p99 ms | latency delivered p50 / p99 ms | jitter ms | server CPU % | µs CPU / packet (kernel) | datagrams / send | server RSS MB | MB / participant | load generator CPU % | other CPU % |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		if err != nil {
			return err
		}
		name := r.Scenario.Shape()
		if r.TracksReceived < r.TracksExpected || r.TracksStalled > 0 {
			name += fmt.Sprintf(" (%d/%d tracks, %d stalled)", r.TracksReceived, r.TracksExpected, r.TracksStalled)
		}
		cpu := fmt.Sprintf("%.2f", r.ServerCPUMicrosPerPacket)
		if r.ServerCPUSystemMicrosPerPacket > 0 {
			cpu += fmt.Sprintf(" (%.2f)", r.ServerCPUSystemMicrosPerPacket)
		}
		socket := "–" // not measured: over TCP, the load generator sees no datagrams
		if r.SocketLatencySamples > 0 {
			socket = fmt.Sprintf("%.2f / %.2f / %.2f", r.SocketLatencyP50Ms, r.SocketLatencyP95Ms, r.SocketLatencyP99Ms)
		}
		_, err = fmt.Fprintf(w, "| %s | %d | %.0f | %.1f | %.3f | %s | %.2f / %.2f | %.3f | %.1f | %s | %.2f | %.0f | %.2f | %.0f | %.0f |\n",
			name, r.Joined, r.ForwardedPPS, r.ForwardedMbps, r.LossPct, socket,
			r.LatencyP50Ms, r.LatencyP99Ms,
			r.JitterMs, r.ServerCPUPct, cpu, r.DatagramsPerSend, r.ServerRSSMB, r.ServerRSSPerParticipantMB, r.LoadgenCPUPct, r.OtherCPUPct)
	}
	return err
}

// Targets of issue 9 for one core of a small VPS.
const (
	TargetMicrosPerPacket   = 5.0 // server CPU per forwarded packet at 4x20
	TargetLossPct           = 0.1
	TargetLatencyP99Ms      = 2.0
	TargetMBPerParticipant  = 3.0
	targetScenarioPublisher = 4
	targetScenarioSubscribe = 20
)

// WriteTargets writes a Markdown table of where results stand against
// the targets: at 4x20 (one room, no simulcast) and at the worst of all.
func WriteTargets(w io.Writer, results []*Result) error {
	var at *Result
	for _, r := range results {
		s := r.Scenario
		if s.Rooms == 1 && s.Publishers == targetScenarioPublisher && s.Subscribers == targetScenarioSubscribe && !s.Simulcast && !s.Relay && !s.TCP {
			at = r
		}
	}
	worst := func(f func(*Result) float64) (float64, string) {
		v, name := -1.0, ""
		for _, r := range results {
			if x := f(r); x > v {
				v, name = x, r.Scenario.Shape()
			}
		}
		return v, name
	}
	rows := []struct {
		what   string
		target float64
		unit   string
		f      func(*Result) float64
	}{
		{"server CPU per forwarded packet (one core)", TargetMicrosPerPacket, "µs", func(r *Result) float64 { return r.ServerCPUMicrosPerPacket }},
		{"loss on loopback", TargetLossPct, "%", func(r *Result) float64 { return r.LossPct }},
		{"p99 forwarding latency, publisher's send to the subscriber's socket (kernel timestamp)", TargetLatencyP99Ms, "ms", func(r *Result) float64 { return r.SocketLatencyP99Ms }},
		{"p99 latency as delivered, the load generator's receive path included", TargetLatencyP99Ms, "ms", func(r *Result) float64 { return r.LatencyP99Ms }},
		{"p99 forwarding time in the server (its histogram)", TargetLatencyP99Ms, "ms", func(r *Result) float64 { return r.ServerForwardP99Ms }},
		{"server memory per participant", TargetMBPerParticipant, "MB", func(r *Result) float64 { return r.ServerRSSPerParticipantMB }},
	}
	if _, err := fmt.Fprintln(w, "| target | goal | at 4x20 | met at 4x20 | worst scenario |\n|---|---:|---:|:---:|---|"); err != nil {
		return err
	}
	for _, row := range rows {
		here, met := "not run", "–"
		if at != nil {
			v := row.f(at)
			here = fmt.Sprintf("%.2f %s", v, row.unit)
			met = "no"
			if v <= row.target {
				met = "yes"
			}
		}
		v, name := worst(row.f)
		if _, err := fmt.Fprintf(w, "| %s | ≤ %g %s | %s | %s | %.2f %s (%s) |\n", row.what, row.target, row.unit, here, met, v, row.unit, name); err != nil {
			return err
		}
	}
	return nil
}
