package sfu

import (
	"sync"
	"time"
)

// dynacastPauseDelay is how long a layer that no subscriber wants keeps
// being encoded before its publisher is told to stop it. A shorter delay
// saves more uplink; a longer one spares the flapping of a tile that is
// resized or scrolled past. LiveKit waits seconds for the same reason.
const dynacastPauseDelay = 3 * time.Second

// layerDemand tells a publisher which layers of one video track its
// subscribers need ("dynacast"): everything up to the highest layer
// wanted, nothing above. More is announced at once, less only after
// dynacastPauseDelay.
type layerDemand struct {
	notify func(highest int) // -1: no layer at all
	// afterFunc arms the pause delay: time.AfterFunc, or a test's.
	afterFunc func(time.Duration, func()) stopper

	mu        sync.Mutex
	announced int
	wanted    int
	timer     stopper
	// armed counts the timers armed: a timer that fired as it was
	// cancelled (Stop cannot take back a callback already started)
	// finds its number out of date and does nothing.
	armed   uint64
	stopped bool
}

// stopper is what layerDemand needs of a timer.
type stopper interface{ Stop() bool }

func newLayerDemand(notify func(highest int)) *layerDemand {
	return newLayerDemandTimed(notify, func(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) })
}

// newLayerDemandTimed is newLayerDemand with the pause delay armed by
// afterFunc.
//
// A publisher starts with every layer on, and nobody has subscribed yet:
// unless someone does within dynacastPauseDelay, it is told that no
// layer is wanted (a person alone in a room sent three layers for
// nobody). Demand changes only as subscribers come, go or change their
// views, so without this nothing would ever tell it.
func newLayerDemandTimed(notify func(highest int), afterFunc func(time.Duration, func()) stopper) *layerDemand {
	l := &layerDemand{notify: notify, afterFunc: afterFunc, announced: maxLayers - 1, wanted: maxLayers - 1}
	l.set(-1)
	return l
}

// set records the highest layer any subscriber wants now.
func (l *layerDemand) set(wanted int) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.wanted = wanted
	switch {
	case wanted > l.announced:
		l.cancelUnlocked()
		l.announced = wanted
		l.mu.Unlock()
		l.notify(wanted)
		return
	case wanted < l.announced && l.timer == nil:
		l.armed++
		armed := l.armed
		l.timer = l.afterFunc(dynacastPauseDelay, func() { l.apply(armed) })
	case wanted == l.announced:
		l.cancelUnlocked()
	}
	l.mu.Unlock()
}

// apply announces the demand once the pause delay of the timer numbered
// armed has passed, unless that timer was cancelled meanwhile: a later
// one may be counting the delay for a newer, lower demand.
func (l *layerDemand) apply(armed uint64) {
	l.mu.Lock()
	if armed != l.armed || l.timer == nil {
		l.mu.Unlock()
		return
	}
	l.timer = nil
	if l.stopped || l.wanted == l.announced {
		l.mu.Unlock()
		return
	}
	l.announced = l.wanted
	n := l.announced
	l.mu.Unlock()
	l.notify(n)
}

func (l *layerDemand) cancelUnlocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}

// stop cancels a pending announcement; later changes are ignored.
func (l *layerDemand) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	l.cancelUnlocked()
}

// repeat announces the current demand again, for a client that may have
// missed the last announcement.
func (l *layerDemand) repeat() {
	l.mu.Lock()
	n, stopped := l.announced, l.stopped
	l.mu.Unlock()
	if !stopped {
		l.notify(n)
	}
}
