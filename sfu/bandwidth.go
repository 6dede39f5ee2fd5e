package sfu

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// BandwidthConfig bounds the estimate of each subscriber's downlink.
type BandwidthConfig struct {
	// Initial is the estimate a new subscriber starts with, bits/s. High
	// enough for a good first picture on a normal network; a weaker one
	// is found out within a second or two.
	Initial int
	// Min and Max bound the estimate; Max is the most any one subscriber
	// is sent (--room-bitrate-max).
	Min, Max int
	// Screen is what a screen share is budgeted before its bitrate is
	// measured: the cap clients are given (--screen-bitrate-max).
	Screen int
}

// Defaults of BandwidthConfig.
const (
	defaultInitialBitrate = 1_500_000
	defaultMinBitrate     = 100_000
	defaultMaxBitrate     = 10_000_000
)

func (c BandwidthConfig) withDefaults() BandwidthConfig {
	if c.Initial <= 0 {
		c.Initial = defaultInitialBitrate
	}
	if c.Min <= 0 {
		c.Min = defaultMinBitrate
	}
	if c.Max <= 0 {
		c.Max = defaultMaxBitrate
	}
	if c.Screen <= 0 {
		c.Screen = defaultScreenBudget
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	return c
}

// bandwidthEstimate is what the allocator needs of an estimator.
type bandwidthEstimate interface {
	// GetTargetBitrate is the estimated downlink, bits/s.
	GetTargetBitrate() int
}

// registerCongestionControl numbers what the SFU sends with
// transport-wide sequence numbers and adds an estimator
// (sfu/estimator.go) per peer connection, which does both. NewEngine
// picks each new connection's estimator up through estimators.
func registerCongestionControl(me *webrtc.MediaEngine, reg *interceptor.Registry, cfg BandwidthConfig, estimators chan<- *estimator, links *downlinks) error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return err
		}
	}
	reg.Add(&estimatorFactory{cfg: cfg, out: estimators, links: links})
	return nil
}

// Allocation timing.
const (
	// allocateInterval is how often a subscriber's estimate is shared out
	// among its tracks.
	allocateInterval = 500 * time.Millisecond
	// probeFirst and probeMaxBackoff bound how often an allocator that
	// holds tracks below the wanted layer tries one layer more. The
	// estimate never grows beyond 1.5 times what arrives (estimator.go),
	// so without trying, a subscriber would stay on a low layer after its
	// network recovered.
	probeFirst      = 2 * time.Second
	probeMaxBackoff = 8 * time.Second
	// probeJudge is how long a probe runs before it is judged: a drop of
	// the estimate by probeFailRatio means the network could not take it.
	probeJudge     = 2 * time.Second
	probeFailRatio = 0.85
	// audioReserve is set aside for each audio track before any video:
	// video is paused before audio suffers.
	audioReserve = 64_000
)

// allocator shares one subscriber's estimated downlink among the video
// tracks it receives: screen shares first (what people share is what
// they are talking about, and text must stay legible), then the dominant
// speaker's camera, then the others, each
// at the highest layer that both fits and is wanted (by tile size), and
// pauses video that does not fit at all.
type allocator struct {
	p   *Participant
	bwe bandwidthEstimate
	// max caps the budget whatever probes proved (--room-bitrate-max);
	// 0 for none.
	max int

	mu          sync.Mutex
	nextProbe   time.Time
	backoff     time.Duration
	probing     bool
	probeStart  time.Time
	probeBefore int
	// proven is a rate the network carried through a whole probe without
	// the estimate falling: the estimate follows only within a second or
	// two, so the allocator trusts what it has seen work until congestion
	// says no.
	proven  int
	lastEst int
}

func newAllocator(p *Participant, bwe bandwidthEstimate, max int) *allocator {
	return &allocator{p: p, bwe: bwe, max: max, backoff: probeFirst, nextProbe: time.Now().Add(probeFirst)}
}

// run allocates every allocateInterval until the participant leaves.
func (a *allocator) run() {
	tick := time.NewTicker(allocateInterval)
	defer tick.Stop()
	for {
		select {
		case <-a.p.done:
			return
		case now := <-tick.C:
			a.allocate(now)
		}
	}
}

// Estimate is the current estimate of the subscriber's downlink, bits/s.
func (a *allocator) estimate() int { return a.bwe.GetTargetBitrate() }

func (a *allocator) allocate(now time.Time) {
	est := a.estimate()
	a.mu.Lock()
	if float64(est) < probeFailRatio*float64(a.lastEst) {
		a.proven = 0 // congestion: trust only the estimate again
	}
	a.lastEst = est
	budget := max(est, a.proven)
	// At the admin's cap there is nothing to find out by probing, and
	// what probes proved must not lift the budget past it.
	capped := a.max > 0 && est >= a.max
	if a.max > 0 {
		budget = min(budget, a.max)
	}
	a.mu.Unlock()
	total := budget
	downs := a.p.videoDowns()
	budget -= audioReserve * a.p.audioDownCount()
	speaker := a.p.room.speakers.Dominant()
	slices.SortStableFunc(downs, func(x, y *DownTrack) int { return comparePriority(x.up, y.up, speaker) })

	probe := !capped && a.probeDue(now, est)
	constrained := false
	for _, d := range downs {
		wanted := d.wantedLayer()
		layer := wanted
		for layer >= 0 && d.up.layerBitrate(layer) > budget {
			layer--
		}
		if layer < wanted && wanted >= 0 {
			// Try one layer more than the estimate allows, but never
			// past the admin's cap: there is nothing to find out there.
			if probe && !constrained && (a.max <= 0 || total-budget+d.up.layerBitrate(layer+1) <= a.max) {
				layer++
			}
			constrained = true
		}
		if layer >= 0 {
			budget -= d.up.layerBitrate(layer)
		}
		d.setBandwidthCap(layer)
	}
	a.finishProbe(now, est, total-budget, constrained)
}

// probeDue reports whether to try one layer more now.
func (a *allocator) probeDue(now time.Time, est int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.probing || now.Before(a.nextProbe) {
		return a.probing
	}
	a.probing, a.probeStart, a.probeBefore = true, now, est
	return true
}

// finishProbe judges a running probe: the estimate held, so the network
// takes more and the next probe may come soon; or it fell, so the probe
// is withdrawn and the next waits twice as long.
func (a *allocator) finishProbe(now time.Time, est, allocated int, constrained bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.probing {
		return
	}
	failed := float64(est) < probeFailRatio*float64(a.probeBefore)
	if !failed && now.Sub(a.probeStart) < probeJudge && constrained {
		return // still running
	}
	a.probing = false
	if failed {
		a.backoff = min(2*a.backoff, probeMaxBackoff)
		a.proven = 0
	} else {
		a.backoff = probeFirst
		a.proven = max(a.proven, allocated)
	}
	a.nextProbe = now.Add(a.backoff)
}

// comparePriority orders video up tracks for one subscriber's budget:
// screen shares, then the speaker's camera, then the others in a fixed
// order.
func comparePriority(x, y *UpTrack, speaker string) int {
	if x.screen != y.screen {
		if x.screen {
			return -1
		}
		return 1
	}
	xs, ys := x.publisherID == speaker, y.publisherID == speaker
	if xs != ys {
		if xs {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(x.publisherID, y.publisherID), cmp.Compare(x.mid, y.mid))
}
