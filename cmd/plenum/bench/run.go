package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// participant is one synthetic participant of the run.
type participant struct {
	room      int
	publisher bool
	name      string
	c         *client.Client // nil until joined, or if the join failed
}

// Run measures one scenario against the server at cfg.URL.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	wsURL, metricsURL, err := endpoints(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.MetricsURL != "" {
		metricsURL = cfg.MetricsURL
	}
	// The whole run is bounded, whatever happens to the server.
	joinTime := time.Duration(float64(cfg.participants())/cfg.Ramp*float64(time.Second)) + joinTimeout
	limit := joinTime + settleMax + cfg.Warmup + cfg.Duration + leaveTimeout + time.Minute
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	probe, baseline, err := newServerProbe(ctx, metricsURL, cfg.ServerPID, cfg.InProcess)
	if err != nil {
		return nil, err
	}
	arrivals := client.NewArrivals()
	opts := client.APIOptions{Interfaces: cfg.Interfaces, Arrivals: arrivals}
	if cfg.TCP {
		opts.Networks = []webrtc.NetworkType{webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6}
	}
	r := &run{cfg: cfg, probe: probe, arrivals: arrivals, api: client.NewAPI(opts)}
	r.result.Scenario = scenarioOf(cfg)
	r.result.ServerStatsSource = probe.source
	r.result.ServerRSSBaselineMB = baseline.rssBytes / 1e6
	r.result.Machine = thisMachine()
	defer r.leaveAll()

	started := time.Now()
	r.join(ctx, wsURL)
	r.result.JoinSeconds = time.Since(started).Seconds()
	if r.result.Joined == 0 {
		return nil, fmt.Errorf("nobody could join: %s", r.result.JoinErrors[0])
	}
	if cfg.ViewHeight != 0 {
		r.setViews()
	}
	r.settle(ctx)
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return nil, err
	}
	if err := r.measure(ctx); err != nil {
		return nil, err
	}
	return &r.result, nil
}

// endpoints derives the WebSocket and metrics URLs from the server's.
func endpoints(raw string) (ws, metrics string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("server URL %q: want http://host:port/ or ws://host:port%s", raw, signaling.Path)
	}
	base := *u
	base.Path, base.RawQuery, base.Fragment = "", "", ""
	switch u.Scheme {
	case "http", "ws":
		base.Scheme = "http"
	case "https", "wss":
		base.Scheme = "https"
	default:
		return "", "", fmt.Errorf("server URL %q: scheme must be http, https, ws or wss", raw)
	}
	ws = "ws" + strings.TrimPrefix(base.String(), "http") + signaling.Path
	if u.Scheme == "ws" || u.Scheme == "wss" {
		ws = u.String()
	}
	return ws, base.String() + "/metrics", nil
}

type run struct {
	cfg   Config
	probe *serverProbe
	api   *webrtc.API
	// arrivals times what reaches the subscribers' sockets.
	arrivals *client.Arrivals
	people   []*participant
	result   Result
}

// join brings every participant in at cfg.Ramp joins per second: the
// publishers of every room first, then the subscribers. Joins overlap;
// each is bounded by joinTimeout. A failed join is counted, not fatal.
func (r *run) join(ctx context.Context, wsURL string) {
	tag := randomTag()
	for _, publishers := range []bool{true, false} {
		for room := range r.cfg.Rooms {
			n := r.cfg.Subscribers
			if publishers {
				n = r.cfg.Publishers
			}
			for i := range n {
				kind := "sub"
				if publishers {
					kind = "pub"
				}
				r.people = append(r.people, &participant{room: room, publisher: publishers, name: fmt.Sprintf("%s-%d-%d", kind, room, i)})
			}
		}
	}
	interval := time.Duration(float64(time.Second) / r.cfg.Ramp)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := time.Now()
	for i, p := range r.people {
		if err := sleep(ctx, time.Until(next)); err != nil {
			break
		}
		next = next.Add(interval)
		wg.Go(func() {
			jctx, cancel := context.WithTimeout(ctx, joinTimeout)
			defer cancel()
			c, err := client.Dial(jctx, client.Config{
				URL:          wsURL,
				Room:         fmt.Sprintf("bench-%s-%d", tag, p.room),
				Name:         p.name,
				API:          r.api,
				Publish:      p.publisher,
				Simulcast:    r.cfg.Simulcast,
				RelayOnly:    r.cfg.Relay,
				VideoBitrate: r.cfg.Bitrate,
				Arrivals:     r.arrivals,
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.result.JoinErrors = appendBounded(r.result.JoinErrors, fmt.Sprintf("%s: %v", p.name, err))
				return
			}
			p.c = c
			r.result.Joined++
		})
		if r.cfg.Progress != nil && (i+1)%max(1, int(r.cfg.Ramp)) == 0 {
			fmt.Fprintf(r.cfg.Progress, "joining: %d/%d\n", i+1, len(r.people))
		}
	}
	wg.Wait()
}

// maxErrors bounds the join errors kept for the report.
const maxErrors = 10

func appendBounded(list []string, s string) []string {
	if len(list) < maxErrors {
		return append(list, s)
	}
	return list
}

// setViews tells every receiver at what height it shows each publisher.
func (r *run) setViews() {
	for _, p := range r.people {
		if p.c == nil {
			continue
		}
		for id, info := range p.c.Participants() {
			if strings.HasPrefix(info.Name, "pub-") {
				_ = p.c.SetView(id, r.cfg.ViewHeight, true)
			}
		}
	}
}

// settle waits, bounded, until every expected track has brought packets.
func (r *run) settle(ctx context.Context) {
	limit := min(settleBase+time.Duration(len(r.people))*settlePerJoin, settleMax)
	deadline := time.Now().Add(limit)
	expected := r.cfg.tracksExpected()
	for {
		got := r.tracksFlowing()
		if r.cfg.Progress != nil {
			fmt.Fprintf(r.cfg.Progress, "waiting for media: %d/%d tracks\n", got, expected)
		}
		if got >= expected || time.Now().After(deadline) || sleep(ctx, 500*time.Millisecond) != nil {
			return
		}
	}
}

// tracksFlowing counts received tracks that brought a packet.
func (r *run) tracksFlowing() int {
	n := 0
	for _, p := range r.people {
		if p.c == nil {
			continue
		}
		for _, k := range p.c.ReceivedTracks() {
			if c := p.c.Received(k.Publisher, k.Kind); c != nil && c.Packets() > 0 {
				n++
			}
		}
	}
	return n
}

// leaveAll closes every participant, a few at a time, bounded.
func (r *run) leaveAll() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, p := range r.people {
		if p.c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.c.Leave()
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(leaveTimeout):
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randomTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
