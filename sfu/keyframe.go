package sfu

import (
	"sync"
	"time"
)

// keyframeMinInterval is the least time between two keyframe requests
// sent upstream for one track. Every new subscriber and every decoder
// error downstream asks for a keyframe; without a throttle a room of
// fifty would make a publisher send nothing but keyframes. Galène uses
// 500 ms, mediasoup one second.
const keyframeMinInterval = 500 * time.Millisecond

// keyframeRequester sends keyframe requests for one up track at most once
// per keyframeMinInterval. A request that comes too early is not dropped
// but deferred to the end of the interval, so a late joiner always gets
// its picture.
type keyframeRequester struct {
	send func()

	mu      sync.Mutex
	last    time.Time
	pending *time.Timer
	stopped bool
}

func newKeyframeRequester(send func()) *keyframeRequester {
	return &keyframeRequester{send: send}
}

// request asks for a keyframe now or as soon as the throttle allows. It
// never writes the request itself: down tracks ask under their lock, in
// the middle of a fan-out, and a write to the publisher may wait for
// the socket, which held that lock, and the fan-out, across I/O. A
// timer's goroutine sends it, once per keyframeMinInterval at most. It
// reports whether it made a new request: false if one is waiting to be
// sent already, which this one joins, or the requester is stopped.
func (k *keyframeRequester) request() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped || k.pending != nil {
		return false
	}
	k.pending = time.AfterFunc(max(time.Until(k.last.Add(keyframeMinInterval)), 0), k.fire)
	return true
}

func (k *keyframeRequester) fire() {
	k.mu.Lock()
	k.pending = nil
	if k.stopped {
		k.mu.Unlock()
		return
	}
	k.last = time.Now()
	k.mu.Unlock()
	k.send()
}

// stop cancels a deferred request; later requests are ignored.
func (k *keyframeRequester) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.pending != nil {
		k.pending.Stop()
		k.pending = nil
	}
}
