//go:build !unix

package server

// systemCPUSeconds is not known here.
func systemCPUSeconds() (float64, bool) { return 0, false }
