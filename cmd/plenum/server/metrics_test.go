package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/client"
)

// scrape fetches and parses the metrics at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %s: %s", url, resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want Prometheus text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return families
}

// value is the value of the sample of name whose labels include the
// given name=value pairs; ok is false when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			if !hasLabel(m, labels[i], labels[i+1]) {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func hasLabel(m *dto.Metric, name, val string) bool {
	for _, l := range m.Label {
		if l.GetName() == name && l.GetValue() == val {
			return true
		}
	}
	return false
}

func dialRoom(t *testing.T, srv *server.Server, room, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: room, Name: name, Publish: true})
	if err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestMetricsCountPacketsDuringACall(t *testing.T) {
	srv := start(t)
	url := "http://" + srv.Addr().String() + server.MetricsPath

	before := scrape(t, url)
	for _, name := range []string{
		"plenum_rooms", "plenum_participants", "plenum_tracks", "plenum_signaling_sessions",
		"plenum_sfu_rtp_packets_total", "plenum_sfu_rtp_bytes_total", "plenum_sfu_nacks_received_total",
		"plenum_sfu_rtx_packets_received_total", "plenum_sfu_retransmissions_total",
		"plenum_sfu_keyframe_requests_total", "plenum_sfu_forward_latency_seconds", "plenum_turn_allocations",
		"plenum_sfu_udp_datagrams_total", "plenum_sfu_udp_sends_total",
		"plenum_build_info", "go_goroutines", "process_cpu_seconds_total", "plenum_process_cpu_system_seconds_total", "process_resident_memory_bytes",
	} {
		if before[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if v, _ := value(before, "plenum_sfu_rtp_packets_total", "direction", "out"); v != 0 {
		t.Errorf("%v packets forwarded before anybody joined", v)
	}

	ana := dialRoom(t, srv, "counted", "Ana")
	ben := dialRoom(t, srv, "counted", "Ben")
	waitUntil(t, 15*time.Second, "Ana and Ben receive each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, ana.ID())
	})

	during := scrape(t, url)
	for _, g := range []struct {
		name string
		want float64
	}{
		{"plenum_rooms", 1}, {"plenum_participants", 2}, {"plenum_tracks", 4}, {"plenum_signaling_sessions", 2},
	} {
		if v, _ := value(during, g.name); v != g.want {
			t.Errorf("%s = %v during a call of two, want %v", g.name, v, g.want)
		}
	}
	in1, _ := value(during, "plenum_sfu_rtp_packets_total", "direction", "in")
	out1, _ := value(during, "plenum_sfu_rtp_packets_total", "direction", "out")
	bytesOut1, _ := value(during, "plenum_sfu_rtp_bytes_total", "direction", "out")
	if in1 == 0 || out1 == 0 || bytesOut1 == 0 {
		t.Fatalf("packets in %v, out %v, bytes out %v during a call: want all above 0", in1, out1, bytesOut1)
	}
	if lat, _ := value(during, "plenum_sfu_forward_latency_seconds"); lat == 0 {
		t.Error("the forwarding latency histogram has no sample")
	}
	checkHistogramCumulative(t, during["plenum_sfu_forward_latency_seconds"])

	var later map[string]*dto.MetricFamily
	waitUntil(t, 10*time.Second, "the packet counters rise between two scrapes", func() bool {
		later = scrape(t, url)
		in2, _ := value(later, "plenum_sfu_rtp_packets_total", "direction", "in")
		out2, _ := value(later, "plenum_sfu_rtp_packets_total", "direction", "out")
		return in2 > in1 && out2 > out1
	})
	// Media went out in batches; never more messages than datagrams.
	datagrams, _ := value(later, "plenum_sfu_udp_datagrams_total")
	sends, _ := value(later, "plenum_sfu_udp_sends_total")
	if datagrams < out1 || sends <= 0 || sends > datagrams {
		t.Errorf("%v datagrams in %v sends, %v packets forwarded before", datagrams, sends, out1)
	}
	if cpu, _ := value(later, "process_cpu_seconds_total"); cpu <= 0 {
		t.Errorf("process_cpu_seconds_total = %v", cpu)
	}
	if rss, _ := value(later, "process_resident_memory_bytes"); rss <= 0 {
		t.Errorf("process_resident_memory_bytes = %v", rss)
	}

	ana.Leave()
	ben.Leave()
	waitUntil(t, 10*time.Second, "the gauges fall back to zero when everybody left", func() bool {
		after := scrape(t, url)
		p, _ := value(after, "plenum_participants")
		tr, _ := value(after, "plenum_tracks")
		out3, _ := value(after, "plenum_sfu_rtp_packets_total", "direction", "out")
		return p == 0 && tr == 0 && out3 >= out1 // counters of ended tracks are kept
	})
}

func checkHistogramCumulative(t *testing.T, f *dto.MetricFamily) {
	t.Helper()
	if f == nil || len(f.Metric) != 1 || f.Metric[0].Histogram == nil {
		t.Fatalf("forwarding latency is not one histogram: %v", f)
	}
	h := f.Metric[0].Histogram
	var last uint64
	for _, b := range h.Bucket {
		if b.GetCumulativeCount() < last || b.GetCumulativeCount() > h.GetSampleCount() {
			t.Fatalf("buckets are not cumulative: %v", h)
		}
		last = b.GetCumulativeCount()
	}
}

func get(t *testing.T, url string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMetricsOnTheMainListenerOnlyForThisMachineUnproxied(t *testing.T) {
	srv := start(t)
	url := "http://" + srv.Addr().String() + server.MetricsPath
	if code, _ := get(t, url, nil); code != http.StatusOK {
		t.Errorf("a local client got %d, want 200", code)
	}
	proxied := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	if code, body := get(t, url, proxied); code != http.StatusForbidden || !strings.Contains(body, "--metrics-listen") {
		t.Errorf("a request relayed by a local proxy got %d %q, want 403 naming --metrics-listen", code, body)
	}
}

func TestMetricsListenMovesMetricsOffTheMainListener(t *testing.T) {
	srv, _ := startWith(t, func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" })
	main := "http://" + srv.Addr().String()
	metrics := "http://" + srv.ExtraAddr("metrics").String()
	if code, _ := get(t, main+server.MetricsPath, nil); code != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", code)
	}
	if f := scrape(t, metrics+server.MetricsPath); f["plenum_participants"] == nil {
		t.Error("the metrics listener lacks plenum_participants")
	}
	for _, base := range []string{main, metrics} {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := get(t, base+path, nil); code != http.StatusOK {
				t.Errorf("%s%s: %d %q", base, path, code, body)
			}
		}
	}
}

// BenchmarkScrapeDuringACall measures one /metrics scrape (gathering and
// text encoding, over loopback HTTP) while two participants publish.
func BenchmarkScrapeDuringACall(b *testing.B) {
	cfg := loopbackConfig()
	srv, err := server.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	for _, name := range []string{"Ana", "Ben"} {
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := client.Dial(dctx, client.Config{URL: wsURL(srv), Room: "bench", Name: name, Publish: true})
		dcancel()
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
	}
	url := "http://" + srv.Addr().String() + server.MetricsPath
	hc := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.SetBytes(n)
	}
}
