package sfu

import (
	"slices"
	"testing"
)

func TestScreenSharesComeFirstInTheBudget(t *testing.T) {
	tracks := []*UpTrack{
		{publisherID: "b", mid: "1"},
		{publisherID: "c", mid: "1"}, // the speaker's camera
		{publisherID: "a", mid: "3", screen: true},
		{publisherID: "a", mid: "1"},
		{publisherID: "d", mid: "2", screen: true},
	}
	slices.SortStableFunc(tracks, func(x, y *UpTrack) int { return comparePriority(x, y, "c") })
	var got []string
	for _, u := range tracks {
		name := u.publisherID + "/" + u.mid
		if u.screen {
			name += " screen"
		}
		got = append(got, name)
	}
	want := []string{"a/3 screen", "d/2 screen", "c/1", "a/1", "b/1"}
	if !slices.Equal(got, want) {
		t.Fatalf("budget order %v, want %v (screens, then the speaker, then the others)", got, want)
	}
}
