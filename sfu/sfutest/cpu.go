package sfutest

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time of the whole process, every thread: unlike
// ns/op it holds when some of the work runs on another goroutine, and
// when other processes take turns on the cores. Benchmarks report its
// difference per operation.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
