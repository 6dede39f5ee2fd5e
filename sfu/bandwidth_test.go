package sfu

import (
	"log/slog"
	"testing"
	"time"
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
