package sfu

import (
	"sync"
	"testing"
)

// TestALayerThatComesAfterTheTrackEndedIsRefused: a track ends when its
// last layer's loop does, and a layer arriving after that (a late
// simulcast layer of a track already unpublished) starts nothing.
func TestALayerThatComesAfterTheTrackEndedIsRefused(t *testing.T) {
	up := &UpTrack{done: make(chan struct{})}
	if !up.startLoop() || !up.startLoop() {
		t.Fatal("a layer of a live track was refused")
	}
	up.endLoop()
	select {
	case <-up.done:
		t.Fatal("the track ended with a layer still forwarding")
	default:
	}
	up.endLoop()
	select {
	case <-up.done:
	default:
		t.Fatal("the track did not end with its last layer")
	}
	if up.startLoop() {
		t.Fatal("a layer that came after the end was started")
	}
}

// TestLayersComingAsTheLastEndsNeverPanic: layers that come while the
// last one ends either join the track before its end or are refused;
// the end comes once (a second close of done would panic), and nothing
// starts after it. With a WaitGroup, an Add racing the last Done could
// panic whoever waited for the end.
func TestLayersComingAsTheLastEndsNeverPanic(t *testing.T) {
	for range 2000 {
		up := &UpTrack{done: make(chan struct{})}
		if !up.startLoop() {
			t.Fatal("the first layer was refused")
		}
		var wg sync.WaitGroup
		wg.Go(up.endLoop)
		for range 3 {
			wg.Go(func() {
				if up.startLoop() {
					up.endLoop()
				}
			})
		}
		wg.Wait()
		<-up.done
		if up.startLoop() {
			t.Fatal("a layer started after the end")
		}
	}
}
