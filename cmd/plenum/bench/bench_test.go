package bench

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// TestRunSmallRoom is the load generator end to end, kept cheap: one
// publisher and two subscribers for two seconds against a server in
// this process.
func TestRunSmallRoom(t *testing.T) {
	srv, err := StartLocalServer("127.0.0.1:0", []string{"lo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		URL: srv.URL(), InProcess: true,
		Rooms: 1, Publishers: 1, Subscribers: 2,
		Duration: 2 * time.Second, Warmup: 500 * time.Millisecond, Ramp: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Joined != 3 || res.TracksReceived != 4 || res.TracksExpected != 4 {
		t.Errorf("joined %d, tracks %d/%d; want 3 and 4/4", res.Joined, res.TracksReceived, res.TracksExpected)
	}
	// 2 subscribers x (50 audio + 90 video packets/s) = 280 packets/s,
	// less any video the server's bandwidth allocator holds back on a
	// slow (race-detecting) machine: audio alone is 100.
	if res.ReceivedPPS < 90 || res.ForwardedPPS < 90 || res.ReceivedPPS > 300 {
		t.Errorf("received %.0f and forwarded %.0f packets/s, want up to 280", res.ReceivedPPS, res.ForwardedPPS)
	}
	if res.LatencySamples == 0 || res.LatencyP99Ms <= 0 || res.LatencyP50Ms > res.LatencyP99Ms {
		t.Errorf("latency p50 %v p99 %v from %d samples", res.LatencyP50Ms, res.LatencyP99Ms, res.LatencySamples)
	}
	// Every packet but a repair reaches a socket before it is read.
	if res.SocketLatencySamples < res.LatencySamples*9/10 || res.SocketLatencyP50Ms > res.LatencyP50Ms {
		t.Errorf("latency to the socket p50 %v from %d samples, delivered p50 %v from %d", res.SocketLatencyP50Ms,
			res.SocketLatencySamples, res.LatencyP50Ms, res.LatencySamples)
	}
	if res.ServerRSSMB <= 0 || !strings.Contains(res.ServerStatsSource, "/metrics") {
		t.Errorf("server RSS %v MB from %q", res.ServerRSSMB, res.ServerStatsSource)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"forwarded_pps", "loss_pct", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
		"socket_latency_p99_ms", "jitter_ms", "server_cpu_us_per_packet", "server_rss_mb", "server_stats_source"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("the JSON result has no %q", k)
		}
	}
	var sb strings.Builder
	if err := res.WriteTable(&sb); err != nil || !strings.Contains(sb.String(), "µs per forwarded packet") {
		t.Errorf("table: %v\n%s", err, sb.String())
	}
}

func TestConfigIsBounded(t *testing.T) {
	for _, c := range []Config{
		{URL: "http://x/", Rooms: 1, Publishers: 1, Duration: time.Hour},
		{URL: "http://x/", Rooms: 100, Publishers: 10, Subscribers: 20},
		{URL: "http://x/", Rooms: 1, Publishers: 0},
		{URL: "http://x/", Rooms: 1, Publishers: 1, Ramp: 1e6},
		{Rooms: 1, Publishers: 1},
	} {
		if err := c.setDefaults(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	c := Config{URL: "http://x/", Rooms: 2, Publishers: 3, Subscribers: 4}
	if err := c.setDefaults(); err != nil {
		t.Fatal(err)
	}
	// Per room: 3 publishers receive 2 others, 4 subscribers receive 3; two kinds.
	if got, want := c.tracksExpected(), 2*2*(3*2+4*3); got != want {
		t.Errorf("tracks expected %d, want %d", got, want)
	}
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct{ in, ws, metrics string }{
		{"http://127.0.0.1:8080/", "ws://127.0.0.1:8080/_/ws", "http://127.0.0.1:8080/metrics"},
		{"https://meet.example.org", "wss://meet.example.org/_/ws", "https://meet.example.org/metrics"},
		{"ws://[::1]:9/_/ws", "ws://[::1]:9/_/ws", "http://[::1]:9/metrics"},
	} {
		ws, m, err := endpoints(tc.in)
		if err != nil || ws != tc.ws || m != tc.metrics {
			t.Errorf("endpoints(%q) = %q, %q, %v; want %q, %q", tc.in, ws, m, err, tc.ws, tc.metrics)
		}
	}
	if _, _, err := endpoints("ftp://x/"); err == nil {
		t.Error("ftp accepted")
	}
}

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(`# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 1.2345e+08
plenum_sfu_rtp_packets_total{direction="in"} 100
plenum_sfu_rtp_packets_total{direction="out"} 2000 1700000000000
plenum_sfu_forward_latency_seconds_bucket{le="0.001"} 90
plenum_sfu_forward_latency_seconds_bucket{le="+Inf"} 100
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"process_cpu_seconds_total":                            12.5,
		"process_resident_memory_bytes":                        1.2345e8,
		`plenum_sfu_rtp_packets_total{direction="in"}`:         100,
		`plenum_sfu_rtp_packets_total{direction="out"}`:        2000,
		`plenum_sfu_forward_latency_seconds_bucket{le="+Inf"}`: 100,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	before := []bucket{{0.001, 10}, {0.002, 10}, {math.Inf(1), 10}}
	after := []bucket{{0.001, 60}, {0.002, 110}, {math.Inf(1), 110}}
	// 100 new: 50 under 1 ms, 50 between 1 and 2 ms.
	if got := histogramQuantile(0.5, before, after); math.Abs(got-0.001) > 1e-9 {
		t.Errorf("median %v, want 0.001", got)
	}
	if got := histogramQuantile(0.75, before, after); math.Abs(got-0.0015) > 1e-9 {
		t.Errorf("p75 %v, want 0.0015", got)
	}
	if got := histogramQuantile(0.5, after, after); !math.IsNaN(got) {
		t.Errorf("nothing counted: %v, want NaN", got)
	}
}
