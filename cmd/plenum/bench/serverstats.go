package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// serverSample is what the server says of itself at one moment.
type serverSample struct {
	at         time.Time
	cpuSeconds float64 // user and system CPU time of the whole process
	// systemSeconds is the system part of cpuSeconds, when known.
	systemSeconds float64
	hasSystem     bool
	rssBytes      float64
	// From Plenum's own metrics; zero when only /proc could be read.
	packetsOut, bytesOut, packetsIn float64
	datagrams, kernelSends          float64  // the media port's, sent in batches
	latency                         []bucket // forwarding latency, cumulative
	hasCounters                     bool
}

// bucket is one cumulative bucket of a Prometheus histogram.
type bucket struct {
	le    float64
	count float64
}

// serverProbe reads serverSamples, from the server's /metrics or, if it
// has none, from /proc.
type serverProbe struct {
	metricsURL string
	pid        int // 0: none
	client     *http.Client
	source     string // what the figures come from, for the report
}

// scrapeTimeout bounds one read of /metrics.
const scrapeTimeout = 5 * time.Second

func newServerProbe(ctx context.Context, metricsURL string, pid int, inProcess bool) (*serverProbe, serverSample, error) {
	p := &serverProbe{metricsURL: metricsURL, pid: pid, client: &http.Client{Timeout: scrapeTimeout}}
	s, err := p.scrape(ctx)
	if err == nil {
		p.source = "server /metrics (" + metricsURL + ")"
		if inProcess {
			p.source += ", in-process: CPU and memory include the load generator"
		}
		return p, s, nil
	}
	p.metricsURL = ""
	if pid == 0 && inProcess {
		pid = os.Getpid()
	}
	if pid == 0 {
		return nil, serverSample{}, fmt.Errorf("server metrics: %w (give the server's process id to read /proc instead)", err)
	}
	p.pid = pid
	p.source = fmt.Sprintf("/proc/%d (no /metrics: %v)", pid, err)
	if inProcess {
		p.source = "/proc/self, in-process: CPU and memory include the load generator"
	}
	s, err = p.sample(ctx)
	return p, s, err
}

func (p *serverProbe) sample(ctx context.Context) (serverSample, error) {
	if p.metricsURL != "" {
		return p.scrape(ctx)
	}
	return readProc(p.pid)
}

func (p *serverProbe) scrape(ctx context.Context) (serverSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metricsURL, nil)
	if err != nil {
		return serverSample{}, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return serverSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverSample{}, fmt.Errorf("GET %s: %s", p.metricsURL, resp.Status)
	}
	m, err := parseMetrics(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return serverSample{}, err
	}
	s := serverSample{at: time.Now()}
	var ok bool
	if s.cpuSeconds, ok = m["process_cpu_seconds_total"]; !ok {
		return serverSample{}, errors.New("no process_cpu_seconds_total in the metrics")
	}
	s.rssBytes = m["process_resident_memory_bytes"]
	s.systemSeconds, s.hasSystem = m["plenum_process_cpu_system_seconds_total"]
	s.packetsOut, s.hasCounters = m[`plenum_sfu_rtp_packets_total{direction="out"}`]
	s.packetsIn = m[`plenum_sfu_rtp_packets_total{direction="in"}`]
	s.bytesOut = m[`plenum_sfu_rtp_bytes_total{direction="out"}`]
	s.datagrams = m["plenum_sfu_udp_datagrams_total"]
	s.kernelSends = m["plenum_sfu_udp_sends_total"]
	const prefix = `plenum_sfu_forward_latency_seconds_bucket{le="`
	for k, v := range m {
		if le, ok := strings.CutPrefix(k, prefix); ok {
			f, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			if err == nil {
				s.latency = append(s.latency, bucket{f, v})
			}
		}
	}
	sort.Slice(s.latency, func(i, j int) bool { return s.latency[i].le < s.latency[j].le })
	return s, nil
}

// parseMetrics reads Prometheus' text format into "name{labels}" ->
// value; it needs no more than that.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name, val := line[:i], line[i+1:]
		// A sample may end with a timestamp: "name value ts".
		if j := strings.LastIndexByte(name, ' '); j >= 0 && !strings.Contains(name[j:], "}") {
			name, val = name[:j], name[j+1:]
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		out[name] = f
	}
	return out, sc.Err()
}

// clockTicks is Linux' USER_HZ, the unit of /proc's CPU times: 100 on
// every architecture Go supports.
const clockTicks = 100

// readProc reads a process' CPU time and resident memory from /proc.
func readProc(pid int) (serverSample, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return serverSample{}, err
	}
	// The command name may hold spaces: fields start after its ')'.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return serverSample{}, fmt.Errorf("%s/stat: too few fields", dir)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64) // field 14 of proc(5)
	stime, err2 := strconv.ParseFloat(f[12], 64) // field 15
	if err1 != nil || err2 != nil {
		return serverSample{}, fmt.Errorf("%s/stat: bad CPU times", dir)
	}
	s := serverSample{at: time.Now(), cpuSeconds: (utime + stime) / clockTicks, systemSeconds: stime / clockTicks, hasSystem: true}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return serverSample{}, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			s.rssBytes = kb * 1024
		}
	}
	return s, nil
}

// histogramQuantile estimates quantile q of what a cumulative histogram
// counted between two samples, as Prometheus' histogram_quantile does
// (linear within a bucket); NaN if nothing was counted.
func histogramQuantile(q float64, before, after []bucket) float64 {
	if len(after) == 0 {
		return math.NaN()
	}
	delta := make([]bucket, len(after))
	for i, b := range after {
		delta[i] = b
		for _, o := range before {
			if o.le == b.le {
				delta[i].count -= o.count
			}
		}
	}
	total := delta[len(delta)-1].count // the +Inf bucket
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range delta {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lower // beyond the last bound: say the bound
			}
			if b.count == below {
				return b.le
			}
			return lower + (b.le-lower)*(rank-below)/(b.count-below)
		}
		lower, below = b.le, b.count
	}
	return lower
}
