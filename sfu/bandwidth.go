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
	// probeFirst and probeMaxBackoff bound how long an allocator that
	// holds tracks below the wanted layer waits before probing. The
	// estimate never grows beyond 1.5 times what arrives (estimator.go),
	// so without probing, a subscriber would stay on a low layer after
	// its network recovered. Five seconds at most, as libwebrtc probes
	// periodically when it sends less than it could: with 8, a subscriber
	// whose link recovered waited 9-11 s to climb back (impaired_test.go),
	// with 5, 7-8 s, and a weak link's audio was no worse.
	probeFirst      = 2 * time.Second
	probeMaxBackoff = 5 * time.Second
	// probeLimit ends a probe that has neither let a track up a layer
	// nor lifted the estimate by probeGrowth; a probe that does goes on
	// (toward the next layer) for as long again.
	probeLimit  = 2500 * time.Millisecond
	probeGrowth = 1.2
	// probeJudge is how long a step up must hold, without congestion,
	// before the backoff between probes is reset.
	probeJudge = 2 * time.Second
	// probeFailRatio: a fall of the estimate below this share of the
	// last one is congestion, which ends a probe at once.
	probeFailRatio = 0.85
	// probeFill is how far toward the estimate a probe pads.
	probeFill = 0.5
	// padInterval paces probe padding; padBurstMax bounds what one tick
	// sends after a stall, in ticks' worth.
	padInterval = 50 * time.Millisecond
	padBurstMax = 2
	// padPacketBytes is what one padding packet weighs in the estimate:
	// header, transport-wide sequence number and padding.
	padPacketBytes = 12 + 8 + paddingSize
	// pauseRatio: a track already flowing is paused only when the budget
	// falls below this share of its lowest layer.
	pauseRatio = 0.7
	// audioReserve is set aside for an audio track whose rate is not
	// known yet: video is paused before audio suffers.
	audioReserve = 64_000
)

// allocator shares one subscriber's estimated downlink among the video
// tracks it receives: screen shares first (what people share is what
// they are talking about, and text must stay legible), then the dominant
// speaker's camera, then the others, each at the highest layer that both
// fits and is wanted (by tile size), and pauses video that does not fit
// at all, so that audio goes on.
//
// When tracks are held below what the subscriber wants, it probes: it
// pads the subscriber's stream with padding-only packets up to the
// estimate or the next layer's cost, whichever is less, so that the
// estimate can grow (it follows what arrives) without a layer being
// sent that the network may not carry. A track moves up as soon as the
// estimate makes room for it; congestion ends the probe at once, and
// the next waits twice as long. This is how libwebrtc, LiveKit and
// Jitsi's bridge probe too; switching a layer up to find out, as
// Plenum did first, overloaded a weak link several times over for
// seconds, and audio suffered.
type allocator struct {
	p *Participant
	// bwe estimates the down connection's bandwidth; it is replaced,
	// under bweMu, with the connection (ExpectReturn).
	bweMu sync.Mutex
	bwe   bandwidthEstimate
	// max caps the budget (--room-bitrate-max); 0 for none.
	max int
	// every is allocateInterval; changed asks for a round before the
	// next tick (viewChanged).
	every   time.Duration
	changed chan struct{}

	mu      sync.Mutex
	lastEst int
	// Probing state: padRate is the padding being sent (bits/s, 0 when
	// not probing), owed the bytes of padding due but not yet sent.
	probing    bool
	probeStart time.Time
	probeFrom  int // the estimate when the probe started, or last went on
	nextProbe  time.Time
	backoff    time.Duration
	rose       time.Time // when a probe last lifted a track, until judged
	allocated  int       // video bits/s allocated at the last round
	padRate    int
	owed       float64
	lastPad    time.Time
}

func newAllocator(p *Participant, bwe bandwidthEstimate, max int) *allocator {
	return &allocator{p: p, bwe: bwe, max: max, every: allocateInterval, changed: make(chan struct{}, 1),
		backoff: probeFirst, nextProbe: time.Now().Add(probeFirst)}
}

// viewChanged has the budget shared out again at once: the subscriber
// shows a tile again, or hides one, or resizes it. A tile shown again
// was allocated nothing while hidden and would show nothing until the
// next round, up to allocateInterval later; one hidden frees its share
// for the others. Rounds asked for in a burst run as one.
func (a *allocator) viewChanged() {
	select {
	case a.changed <- struct{}{}:
	default: // one is due already
	}
}

// run allocates every allocateInterval, and paces probe padding, until
// the participant leaves.
func (a *allocator) run() {
	tick := time.NewTicker(a.every)
	defer tick.Stop()
	// The padding ticker runs only while a probe does: a room of two
	// hundred would otherwise wake four thousand times a second for
	// nothing.
	pad := time.NewTicker(padInterval)
	pad.Stop()
	defer pad.Stop()
	padding := false
	for {
		select {
		case <-a.p.done:
			return
		case now := <-tick.C:
			padding = a.round(now, padding, pad)
		case <-a.changed:
			padding = a.round(time.Now(), padding, pad)
		case now := <-pad.C:
			a.pad(now)
		}
	}
}

// round allocates at now and starts or stops the padding ticker pad as
// a probe begins or ends; padding says whether it runs, and round
// returns whether it does now.
func (a *allocator) round(now time.Time, padding bool, pad *time.Ticker) bool {
	a.allocate(now)
	probing := a.padding()
	if probing != padding {
		if probing {
			pad.Reset(padInterval)
		} else {
			pad.Stop()
		}
	}
	return probing
}

// estimate is the current estimate of the subscriber's downlink, bits/s.
func (a *allocator) estimate() int {
	a.bweMu.Lock()
	bwe := a.bwe
	a.bweMu.Unlock()
	return bwe.GetTargetBitrate()
}

// setEstimate has the allocator follow the estimate of a new down
// connection.
func (a *allocator) setEstimate(bwe bandwidthEstimate) {
	a.bweMu.Lock()
	a.bwe = bwe
	a.bweMu.Unlock()
}

func (a *allocator) allocate(now time.Time) {
	est := a.estimate()
	budget := est
	// At the admin's cap there is nothing to find out by probing.
	capped := a.max > 0 && est >= a.max
	if a.max > 0 {
		budget = min(budget, a.max)
	}
	total := budget
	downs := a.p.videoDowns()
	budget -= a.p.audioDownBitrate(now)
	speaker := a.p.room.speakers.Dominant()
	slices.SortStableFunc(downs, func(x, y *DownTrack) int { return comparePriority(x.up, y.up, speaker) })

	// upgrade is what the first track held below its wish would cost
	// one layer up: the next step a probe looks for.
	upgrade := 0
	video := 0
	for _, d := range downs {
		top := d.up.topLayer()
		if top < 0 {
			continue // nothing arrived yet: nothing to share out
		}
		// A track of fewer layers than simulcast's three is wanted at
		// its best, not at a layer it does not have.
		wanted := min(d.wantedLayer(), top)
		layer := wanted
		for layer >= 0 && d.up.layerBitrate(layer) > budget {
			layer--
		}
		if layer < 0 && wanted >= 0 && d.bwCap.Load() >= 0 && float64(d.up.layerBitrate(0))*pauseRatio <= float64(budget) {
			// Flowing, and not far short: the estimate dips after
			// every backoff, and a pause costs a keyframe to undo.
			layer = 0
		}
		// What flows is the highest layer up to the limit that the
		// publisher sends (DownTrack.retargetUnlocked): one it stopped
		// costs nothing and is not probed for, a camera turned off (the
		// browser stops sending, the track stays) or a top layer its
		// encoder dropped for lack of uplink. Each such track held its
		// last bitrate back from every subscriber's live video, and kept
		// probes going for a layer that did not come. The limit stays
		// what fits in its place, should the layer come back.
		flowing := d.up.sendingLayer(layer, now)
		if next := layer + 1; layer < wanted && upgrade == 0 && d.up.sendingLayer(next, now) == next {
			upgrade = d.up.layerBitrate(next)
			if flowing >= 0 {
				upgrade -= d.up.layerBitrate(flowing)
			}
			upgrade = max(upgrade, 1)
		}
		if flowing >= 0 {
			budget -= d.up.layerBitrate(flowing)
			video += d.up.layerBitrate(flowing)
		}
		if before := d.setBandwidthCap(layer); before != layer {
			a.p.log.Debug("bandwidth layer", "track", d.id, "from", before, "to", layer, "wanted", wanted,
				"estimate", est, "left", budget, "lowest", d.up.layerBitrate(0))
		}
	}
	a.decideProbe(now, est, total-budget, upgrade, video, capped)
}

// decideProbe starts, goes on with or ends a probe after an allocation
// that used allocated bits/s (audio included) and left upgrade bits/s
// short of moving one more track up a layer (0: nothing held back).
func (a *allocator) decideProbe(now time.Time, est, allocated, upgrade, video int, capped bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	wasProbing := a.probing
	congested := float64(est) < probeFailRatio*float64(a.lastEst)
	a.lastEst = est
	rose := video > a.allocated
	a.allocated = video
	if rose && a.probing {
		a.probeStart, a.probeFrom, a.rose = now, est, now // a step up: go on, and judge it
	}
	// Congestion soon after a probe lifted a track counts against the
	// probe: the step was one too many, and the next probe waits longer.
	blamed := a.probing || (!a.rose.IsZero() && now.Sub(a.rose) < probeJudge)
	if !a.rose.IsZero() && now.Sub(a.rose) >= probeJudge && !congested {
		a.rose, a.backoff = time.Time{}, probeFirst // the step held
	}
	switch {
	case upgrade == 0 || capped:
		// Nothing held back, or nothing to find out.
		a.probing = false
		if a.rose.IsZero() {
			a.backoff = probeFirst
		}
		a.nextProbe = now.Add(a.backoff)
	case congested:
		if blamed {
			a.backoff = min(2*a.backoff, probeMaxBackoff)
		}
		a.probing, a.rose = false, time.Time{}
		a.nextProbe = now.Add(a.backoff)
	case a.probing && now.Sub(a.probeStart) > probeLimit && float64(est) >= probeGrowth*float64(a.probeFrom):
		// Not there yet, but the estimate is growing: go on.
		a.probeStart, a.probeFrom = now, est
	case a.probing && now.Sub(a.probeStart) > probeLimit:
		// The estimate did not make room for the next step: the link
		// is full, or nearly; look again later.
		a.probing = false
		a.backoff = min(2*a.backoff, probeMaxBackoff)
		a.nextProbe = now.Add(a.backoff)
	case !a.probing && !now.Before(a.nextProbe):
		a.probing, a.probeStart, a.probeFrom = true, now, est
	}
	if a.probing != wasProbing {
		a.p.log.Debug("bandwidth probe", "probing", a.probing, "estimate", est, "allocated", allocated,
			"upgrade", upgrade, "congested", congested, "backoff", a.backoff)
	}
	a.padRate = 0
	if a.probing {
		// Half the way to the estimate: it stands up to 1.5 times what
		// arrives, so padding up to it would overshoot a link that is
		// nearly full by as much; half the way, each round's padding
		// lifts the estimate for the next.
		target := min(allocated+upgrade, allocated+int(probeFill*float64(est-allocated)))
		if a.max > 0 {
			target = min(target, a.max)
		}
		a.padRate = max(target-allocated, 0)
	}
}

// padding reports whether a probe wants padding sent.
func (a *allocator) padding() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.padRate > 0
}

// pad sends the probe padding due since the last tick.
func (a *allocator) pad(now time.Time) {
	a.mu.Lock()
	rate, last := a.padRate, a.lastPad
	a.lastPad = now
	if rate == 0 || last.IsZero() {
		a.owed = 0
		a.mu.Unlock()
		return
	}
	a.owed = min(a.owed+float64(rate)/8*now.Sub(last).Seconds(), float64(rate)/8*padBurstMax*padInterval.Seconds())
	n := int(a.owed / padPacketBytes)
	a.mu.Unlock()
	if n == 0 {
		return
	}
	sent := 0
	for _, d := range a.p.videoDowns() {
		if sent += d.writePadding(n - sent/padPacketBytes); sent >= n*padPacketBytes {
			break
		}
	}
	if sent > 0 {
		a.p.flushDown()
	}
	a.mu.Lock()
	a.owed = max(a.owed-float64(sent), 0)
	a.mu.Unlock()
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
