//go:build unix

package server

import "syscall"

// systemCPUSeconds is the CPU time the process has spent in the kernel,
// which the standard process collector adds into user time. For a media
// server it is mostly system calls that send and receive datagrams.
func systemCPUSeconds() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Stime.Nano()) / 1e9, true
}
