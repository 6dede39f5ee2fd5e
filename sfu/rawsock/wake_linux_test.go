package rawsock

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSender moves the calling process (the sender, still on one thread)
// to the given CPU, if one is given, so that it can leave the core its
// parent was pinned to.
func pinSender(cpu string) error {
	if cpu == "" {
		return nil
	}
	n, err := strconv.Atoi(cpu)
	if err != nil {
		return err
	}
	var set unix.CPUSet
	set.Set(n)
	return unix.SchedSetaffinity(0, &set)
}
