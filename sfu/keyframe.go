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

// request asks for a keyframe now or as soon as the throttle allows.
func (k *keyframeRequester) request() {
	k.mu.Lock()
	if k.stopped || k.pending != nil {
		k.mu.Unlock()
		return
	}
	wait := time.Until(k.last.Add(keyframeMinInterval))
	if wait > 0 {
		k.pending = time.AfterFunc(wait, k.fire)
		k.mu.Unlock()
		return
	}
	k.last = time.Now()
	k.mu.Unlock()
	k.send()
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
