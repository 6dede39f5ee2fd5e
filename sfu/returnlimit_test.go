package sfu

import (
	"testing"
	"time"
)

func TestReturnsAreCountedOverTheLastMinute(t *testing.T) {
	var l returnLog
	start := time.Unix(1_000_000, 0)
	for i := range MaxReturnsPerMinute {
		if !l.allow(start.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("return %d within a minute refused", i+1)
		}
	}
	if l.allow(start.Add(59 * time.Second)) {
		t.Fatalf("return %d within a minute allowed", MaxReturnsPerMinute+1)
	}
	// A minute after the first, one more may come; not two.
	if !l.allow(start.Add(time.Minute)) {
		t.Fatal("a return a minute after the first refused")
	}
	if l.allow(start.Add(time.Minute)) {
		t.Fatal("two returns allowed for the one that left the window")
	}
	if len(l) != MaxReturnsPerMinute {
		t.Fatalf("%d returns held, want %d", len(l), MaxReturnsPerMinute)
	}
}
