package sfu

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// manualTimers stands in for time.AfterFunc: a test fires the timers
// itself, when it likes, even one that was stopped (as a timer does that
// fires just as it is stopped).
type manualTimers struct {
	mu    sync.Mutex
	fires []func()
}

func (m *manualTimers) afterFunc(_ time.Duration, f func()) stopper {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fires = append(m.fires, f)
	return lateTimer{}
}

// fire runs timer i (in the order they were armed).
func (m *manualTimers) fire(i int) {
	m.mu.Lock()
	f := m.fires[i]
	m.mu.Unlock()
	f()
}

func (m *manualTimers) armed() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.fires)
}

// lateTimer has always fired already: Stop cannot take it back.
type lateTimer struct{}

func (lateTimer) Stop() bool { return false }

func TestALowerDemandAfterATimerThatFiredAsItWasCancelledWaitsTheDelay(t *testing.T) {
	var announced []int
	var timers manualTimers
	l := newLayerDemandTimed(func(highest int) { announced = append(announced, highest) }, timers.afterFunc)

	l.set(1) // the top layer is no longer wanted: its pause is timed
	l.set(2) // wanted again before the delay: the pause is cancelled...
	l.set(0) // ...and a lower demand starts a delay of its own
	if timers.armed() != 2 {
		t.Fatalf("%d timers armed, want one per pause", timers.armed())
	}
	timers.fire(0) // the first timer, which fired as it was cancelled
	if len(announced) != 0 {
		t.Fatalf("announced %v at once; the pause to layer 0 must wait %v", announced, dynacastPauseDelay)
	}
	timers.fire(1) // the delay of the lower demand has passed
	if !slices.Equal(announced, []int{0}) {
		t.Errorf("announced %v after the delay, want [0]", announced)
	}
}

func TestNoLayerIsWantedUntilSomeoneSubscribes(t *testing.T) {
	var announced []int
	var timers manualTimers
	l := newLayerDemandTimed(func(highest int) { announced = append(announced, highest) }, timers.afterFunc)
	if timers.armed() != 1 {
		t.Fatalf("%d timers armed for a track nobody subscribed to, want the pause delay's", timers.armed())
	}
	timers.fire(0)
	if !slices.Equal(announced, []int{-1}) {
		t.Fatalf("announced %v after the delay with nobody subscribed, want [-1]: no layer", announced)
	}
	l.set(2) // the first subscriber
	if !slices.Equal(announced, []int{-1, 2}) {
		t.Errorf("announced %v when someone subscribed, want every layer at once", announced)
	}
}

func TestASubscriberWithinThePauseDelayKeepsEveryLayerOn(t *testing.T) {
	var announced []int
	var timers manualTimers
	l := newLayerDemandTimed(func(highest int) { announced = append(announced, highest) }, timers.afterFunc)
	l.set(2) // someone came in the first seconds
	timers.fire(0)
	if len(announced) != 0 {
		t.Errorf("announced %v; the publisher sends every layer already", announced)
	}
}
