package client

import "testing"

// A layers message about the screen share leaves the camera's layers
// alone, and the other way round: the server pauses a screen share
// nobody watches while its camera is watched.
func TestLayersAreObeyedOnTheTrackTheyName(t *testing.T) {
	camera := []*videoLayer{{}, {}, {}}
	screen := []*videoLayer{{}}
	for _, l := range append(camera, screen...) {
		l.active.Store(true)
	}
	c := &Client{layers: map[string][]bool{}, encodersOf: func(mid string) []*videoLayer {
		switch mid {
		case "1":
			return camera
		case "2":
			return screen
		}
		return nil
	}}
	if err := c.handle(&serverMessage{Type: "layers", MID: "2", Active: []bool{false}}); err != nil {
		t.Fatal(err)
	}
	if screen[0].active.Load() {
		t.Error("the screen share still sends after it was told nobody needs it")
	}
	for i, l := range camera {
		if !l.active.Load() {
			t.Errorf("camera layer %d stopped for a message about the screen share", i)
		}
	}
	if err := c.handle(&serverMessage{Type: "layers", MID: "1", Active: []bool{true, false, false}}); err != nil {
		t.Fatal(err)
	}
	if got := []bool{camera[0].active.Load(), camera[1].active.Load(), camera[2].active.Load()}; got[0] != true || got[1] || got[2] {
		t.Errorf("camera layers %v, want [true false false]", got)
	}
}
