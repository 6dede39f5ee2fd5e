package server

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/plenum-meet/plenum/sfu"
)

// MetricsPath is where the Prometheus metrics are served.
const MetricsPath = "/metrics"

// newRegistry gathers the Go runtime, the process (CPU seconds, resident
// memory, open files) and Plenum's own metrics. Each server has its own
// registry, so that several servers in one test process do not collide.
func (s *Server) newRegistry(version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&plenumCollector{s: s},
	)
	if _, ok := systemCPUSeconds(); ok {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "plenum_process_cpu_system_seconds_total",
			Help: "Part of process_cpu_seconds_total spent in the kernel. On loopback it includes delivering each datagram to its receiver, which a network card would spare the server.",
		}, func() float64 { v, _ := systemCPUSeconds(); return v }))
	}
	if version == "" {
		version = "devel"
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "plenum_build_info",
		Help:        "Always 1; the version label says which Plenum runs.",
		ConstLabels: prometheus.Labels{"version": version},
	}, func() float64 { return 1 }))
	return reg
}

// Descriptions of Plenum's metrics. Counters are read from the SFU's
// totals at scrape time, so the media path pays nothing for them beyond
// its own atomic adds.
var (
	descRooms        = prometheus.NewDesc("plenum_rooms", "Rooms open now.", nil, nil)
	descParticipants = prometheus.NewDesc("plenum_participants", "Participants in all rooms now.", nil, nil)
	descTracks       = prometheus.NewDesc("plenum_tracks", "Published tracks (audio and video) now.", nil, nil)
	descSessions     = prometheus.NewDesc("plenum_signaling_sessions", "Open signaling WebSocket sessions.", nil, nil)
	descPackets      = prometheus.NewDesc("plenum_sfu_rtp_packets_total",
		"RTP packets: direction=in received from publishers, direction=out forwarded to subscribers.", []string{"direction"}, nil)
	descBytes = prometheus.NewDesc("plenum_sfu_rtp_bytes_total",
		"RTP bytes: direction=in received from publishers, direction=out forwarded to subscribers.", []string{"direction"}, nil)
	descNACKs = prometheus.NewDesc("plenum_sfu_nacks_received_total",
		"RTCP NACK packets received from subscribers.", nil, nil)
	descRepaired = prometheus.NewDesc("plenum_sfu_rtx_packets_received_total",
		"RTP packets publishers sent on an RTX stream: retransmissions, and the old packets browsers resend to probe their bandwidth (counted in plenum_sfu_packets_total too).", nil, nil)
	descResent = prometheus.NewDesc("plenum_sfu_retransmissions_total",
		"RTP packets resent to subscribers on their NACKs: stream=rtx on the subscriber's RTX stream, stream=media on the media stream (no RTX negotiated).", []string{"stream"}, nil)
	descKeyframes = prometheus.NewDesc("plenum_sfu_keyframe_requests_total",
		"Keyframe requests: direction=in PLI/FIR from subscribers, direction=out PLI sent to publishers.", []string{"direction"}, nil)
	descLossKeyframes = prometheus.NewDesc("plenum_sfu_loss_keyframe_requests_total",
		"Keyframe requests the SFU made because a subscriber NACKed video packets it could no longer resend, or not within its resend budget (counted in plenum_sfu_keyframe_requests_total direction=out too).", nil, nil)
	descLatency = prometheus.NewDesc("plenum_sfu_forward_latency_seconds",
		"Time from a packet's arrival in the SFU to its last copy handed to the network (one packet in 16 is sampled).", nil, nil)
	descDatagrams = prometheus.NewDesc("plenum_sfu_udp_datagrams_total",
		"UDP datagrams the media port sent in batches (media, RTCP, ICE).", nil, nil)
	descKernelSends = prometheus.NewDesc("plenum_sfu_udp_sends_total",
		"Messages the kernel was handed for plenum_sfu_udp_datagrams_total: fewer where it cut a run of datagrams for one subscriber itself (UDP GSO).", nil, nil)
	descTURNAllocations = prometheus.NewDesc("plenum_turn_allocations", "Allocations on the built-in TURN server now.", nil, nil)
	descTURNDropped     = prometheus.NewDesc("plenum_turn_relay_dropped_bytes_total",
		"Bytes the built-in TURN server dropped because of --turn-bandwidth-max.", nil, nil)
)

// latencyUpperBounds are sfu.LatencyBuckets in seconds, Prometheus' unit.
var latencyUpperBounds = func() []float64 {
	out := make([]float64, len(sfu.LatencyBuckets))
	for i, d := range sfu.LatencyBuckets {
		out[i] = d.Seconds()
	}
	return out
}()

// plenumCollector reads the SFU, signaling and TURN counters when
// Prometheus scrapes.
type plenumCollector struct{ s *Server }

func (c *plenumCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descRooms, descParticipants, descTracks, descSessions, descPackets, descBytes,
		descNACKs, descRepaired, descResent, descKeyframes, descLossKeyframes, descLatency, descDatagrams, descKernelSends, descTURNAllocations, descTURNDropped,
	} {
		ch <- d
	}
}

func (c *plenumCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	g := s.manager.Gauges()
	gauge(descRooms, g.Rooms)
	gauge(descParticipants, g.Participants)
	gauge(descTracks, g.Tracks)
	gauge(descSessions, s.signaling.SessionCount())

	t := s.manager.Totals()
	counter(descPackets, t.PacketsIn, "in")
	counter(descPackets, t.PacketsOut, "out")
	counter(descBytes, t.BytesIn, "in")
	counter(descBytes, t.BytesOut, "out")
	counter(descNACKs, t.NACKsIn)
	counter(descRepaired, t.RepairedIn)
	counter(descResent, t.Resent-t.ResentRTX, "media")
	counter(descResent, t.ResentRTX, "rtx")
	counter(descKeyframes, t.KeyframeRequestsIn, "in")
	counter(descKeyframes, t.KeyframeRequestsOut, "out")
	counter(descLossKeyframes, t.KeyframeRequestsForLoss)
	counter(descDatagrams, t.Datagrams)
	counter(descKernelSends, t.KernelSends)
	ch <- latencyHistogram(s.manager.ForwardLatency())

	if s.turn != nil {
		gauge(descTURNAllocations, s.turn.Allocations())
		counter(descTURNDropped, s.turn.RelayDroppedBytes())
	}
}

// latencyHistogram turns the SFU's per-bucket counts into Prometheus'
// cumulative ones; packets slower than the last bound count only in
// the total (the +Inf bucket).
func latencyHistogram(h sfu.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(latencyUpperBounds))
	var cumulative uint64
	for i, le := range latencyUpperBounds {
		if i < len(h.Counts) {
			cumulative += h.Counts[i]
		}
		buckets[le] = cumulative
	}
	return prometheus.MustNewConstHistogram(descLatency, h.Count, h.Sum.Seconds(), buckets)
}

// metricsHandler serves the registry. On the public listener it answers
// only clients on the same machine that came directly, not through a
// proxy: the numbers say how many people meet, which is nobody else's
// business. --metrics-listen serves them to whoever can reach that
// address instead.
func (s *Server) metricsHandler(public bool) http.Handler {
	h := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{s.log},
		ErrorHandling: promhttp.ContinueOnError,
	})
	if !public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !directLoopback(r) {
			http.Error(w, "metrics are served to this machine only; see --metrics-listen", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// directLoopback reports whether r comes from this machine and carries
// no forwarding header, i.e. was not relayed by a reverse proxy running
// here on behalf of someone else. It looks at the connection's own peer
// address, never at what a proxy claims.
func directLoopback(r *http.Request) bool {
	peer := r.RemoteAddr
	if a, ok := r.Context().Value(peerAddrKey{}).(string); ok {
		peer = a
	}
	host, _, err := net.SplitHostPort(peer)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return false
	}
	if proxied, ok := r.Context().Value(proxiedKey{}).(bool); ok {
		return !proxied
	}
	return !hasProxyHeader(r.Header)
}
