package main

import (
	"strings"
	"testing"
)

// turn.Config takes 0 allocations for its default: 1000 in all, 10 per
// participant. Every other limit's 0 means none, so 0 is refused.
func TestZeroTURNAllocationsIsRefusedNotTakenForADefault(t *testing.T) {
	for _, flag := range []string{"--turn-max-allocations", "--turn-max-allocations-per-user"} {
		err := checkServeFlags(t, flag, "0")
		if err == nil || !strings.HasPrefix(err.Error(), flag+" 0:") || !strings.Contains(err.Error(), "at least 1") {
			t.Errorf("%s 0: error %v, want one that names the flag and asks for at least 1", flag, err)
		}
		if err := checkServeFlags(t, flag, "1"); err != nil {
			t.Errorf("%s 1: %v", flag, err)
		}
	}
}

// The SFU and the page take a bitrate of 0 for their default, so 0 is
// refused rather than quietly taken for 1.5M, 2.5M or 10M.
func TestZeroVideoBitratesAreRefusedNotTakenForADefault(t *testing.T) {
	for _, args := range [][]string{
		{"--video-bitrate-max", "0"},
		{"--screen-bitrate-max", "0"},
		{"--room-bitrate-max", "0"},
		{"--simulcast-bitrates", "0,500k,1.5M"},
		{"--simulcast-bitrates", "0,0,0"},
	} {
		err := checkServeFlags(t, args...)
		if err == nil || !strings.HasPrefix(err.Error(), args[0]+":") {
			t.Errorf("%v: error %v does not name %s", args, err, args[0])
		}
	}
	if err := checkServeFlags(t, "--audio-bitrate", "0"); err != nil {
		t.Errorf("--audio-bitrate 0 leaves the bitrate to the browser: %v", err)
	}
}
