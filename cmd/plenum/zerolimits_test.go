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
