package sfu

import (
	"log/slog"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestProbeGoesOnWhileItLiftsTheEstimate(t *testing.T) {
	a := newAllocator(&Participant{log: slog.New(slog.DiscardHandler)}, nil, 0)
	now, est := time.Now().Add(probeFirst), 150_000
	// Video paused: the lowest layer (113 kbit/s) is the step to find.
	a.decideProbe(now, est, 40_000, 113_000, 0, false)
	if !a.probing {
		t.Fatal("held below the wanted layer, no probe started")
	}
	// The estimate grows 10 % a round, short of the next step for 5 s.
	for range 10 {
		now, est = now.Add(allocateInterval), est*110/100
		a.decideProbe(now, est, 40_000, 1_000_000, 0, false)
	}
	if !a.probing {
		t.Error("a probe that kept lifting the estimate ended")
	}
	// A flat estimate: the link is full.
	for range 11 {
		now = now.Add(allocateInterval)
		a.decideProbe(now, est, 40_000, 1_000_000, 0, false)
	}
	if a.probing {
		t.Error("a probe that lifted nothing for 5.5 s went on")
	}
}

// cameraDown is a down track of a simulcast camera whose layers cost
// 150, 500 and 1500 kbit/s, of which the lowest sending send now and
// the others have been silent for a minute (0: a camera turned off, the
// browser sends nothing and the track stays).
func cameraDown(publisher string, sending int, now time.Time) *DownTrack {
	up := &UpTrack{publisherID: publisher, kind: webrtc.RTPCodecTypeVideo, mimeType: webrtc.MimeTypeVP8, done: make(chan struct{})}
	for i, bps := range []int64{150_000, 500_000, 1_500_000} {
		l := &upLayer{index: i, keyframes: newKeyframeRequester(func() {})}
		l.bitrate.Store(bps)
		last := now
		if i >= sending {
			last = now.Add(-time.Minute)
		}
		l.lastNs.Store(last.UnixNano())
		up.layers[i].Store(l)
	}
	return newDownTrack(up)
}

type fixedEstimate int

func (e fixedEstimate) GetTargetBitrate() int { return int(e) }

func TestACameraTurnedOffTakesNoBandwidthFromTheOthers(t *testing.T) {
	now := time.Now()
	off, on := cameraDown("a", 0, now), cameraDown("b", 3, now)
	p := &Participant{log: slog.New(slog.DiscardHandler), room: &Room{}, subs: map[*UpTrack]*DownTrack{off.up: off, on.up: on}}
	a := newAllocator(p, fixedEstimate(2_000_000), 0)
	a.allocate(now)
	if got := on.bwCap.Load(); got != 2 {
		t.Errorf("with 2 Mbit/s and one camera sending, it is held to layer %d, want the high layer (1.5 Mbit/s)", got)
	}

	// Alone, on a link too slow for its high layer, it is not probed for.
	if probesFor(off, 400_000, now) {
		t.Error("probing for a camera that sends nothing")
	}
}

// probesFor reports whether a subscriber to d alone, with an estimate
// of est bits/s, probes in the allocation round at now, when a probe is
// due.
func probesFor(d *DownTrack, est int, now time.Time) bool {
	p := &Participant{log: slog.New(slog.DiscardHandler), room: &Room{}, subs: map[*UpTrack]*DownTrack{d.up: d}}
	a := newAllocator(p, fixedEstimate(est), 0)
	a.nextProbe = now
	a.allocate(now)
	return a.padding()
}

func TestAMicrophoneThatSendsNothingTakesNoBandwidthFromVideo(t *testing.T) {
	now := time.Now()
	camera := cameraDown("b", 3, now)
	mic := &UpTrack{publisherID: "a", kind: webrtc.RTPCodecTypeAudio, mimeType: webrtc.MimeTypeOpus, done: make(chan struct{})}
	l := &upLayer{index: 0}
	l.bitrate.Store(64_000)
	l.lastNs.Store(now.Add(-time.Minute).UnixNano()) // unplugged a minute ago
	mic.layers[0].Store(l)
	p := &Participant{log: slog.New(slog.DiscardHandler), room: &Room{}, subs: map[*UpTrack]*DownTrack{camera.up: camera, mic: newDownTrack(mic)}}
	newAllocator(p, fixedEstimate(560_000), 0).allocate(now)
	if got := camera.bwCap.Load(); got != 1 {
		t.Errorf("with 560 kbit/s, a silent microphone and a camera, the camera is held to layer %d, want the middle one (500 kbit/s)", got)
	}
}

// A publisher short of uplink stops sending its top layer: subscribers
// get the middle one, which is all a subscriber's allocator may count.
func TestATopLayerThePublisherDroppedTakesNoBandwidthFromTheOthers(t *testing.T) {
	now := time.Now()
	short, full := cameraDown("a", 2, now), cameraDown("b", 3, now)
	p := &Participant{log: slog.New(slog.DiscardHandler), room: &Room{}, subs: map[*UpTrack]*DownTrack{short.up: short, full.up: full}}
	newAllocator(p, fixedEstimate(2_200_000), 0).allocate(now)
	if got := full.bwCap.Load(); got != 2 {
		t.Errorf("with 2.2 Mbit/s, a camera sending its middle layer and one sending all, the latter is held to layer %d, want the high one", got)
	}

	// Alone, on a link too slow for the layer it dropped, it is not
	// probed for.
	if probesFor(short, 1_000_000, now) {
		t.Error("probing for a layer the publisher does not send")
	}
}

// A tile hidden is allocated nothing; shown again, its share must come
// at once, not at the next round, up to allocateInterval later, before
// which nothing of it may flow.
func TestATileShownAgainIsAllocatedWithoutWaitingForTheNextRound(t *testing.T) {
	now := time.Now()
	camera := cameraDown("ana", 3, now)
	room := &Room{participants: []*Participant{{id: "ana"}}}
	p := &Participant{log: slog.New(slog.DiscardHandler), room: room, done: make(chan struct{}),
		subs: map[*UpTrack]*DownTrack{camera.up: camera}, views: map[string]int{}}
	p.alloc = newAllocator(p, fixedEstimate(2_000_000), 0)
	p.SetView("ana", 0, false)
	p.alloc.allocate(now)
	if got := camera.bwCap.Load(); got != -1 {
		t.Fatalf("a hidden tile is allocated layer %d, want none", got)
	}

	p.alloc.every = time.Hour // no round comes by itself in this test
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		p.alloc.run()
	}()
	defer func() {
		close(p.done)
		<-ended
	}()
	p.SetView("ana", 360, true)
	for deadline := time.Now().Add(10 * time.Second); camera.bwCap.Load() < 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the tile shown again is allocated nothing until the next round")
		}
	}
}
