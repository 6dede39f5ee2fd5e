package sfu

import (
	"testing"
	"time"
)

// A down track asks for keyframes under its lock, in the middle of a
// fan-out: the request must not wait for its write, which goes out on
// a socket that may be full.
func TestAKeyframeRequestDoesNotWaitForItsWrite(t *testing.T) {
	release := make(chan struct{})
	sent := make(chan struct{}, 1)
	k := newKeyframeRequester(func() {
		sent <- struct{}{}
		<-release // a write that waits
	})
	defer k.stop()
	defer close(release)
	returned := make(chan struct{})
	go func() {
		k.request()
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("the request waited for the write of the keyframe request")
	}
	select {
	case <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("the keyframe request was never sent")
	}
}
