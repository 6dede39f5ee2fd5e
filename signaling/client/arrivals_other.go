//go:build !linux

package client

import "net"

// stampArrivals does nothing here: arrivals are timed when read.
func stampArrivals(*net.UDPConn) {}

// coalesceArrivals is false: no coalesced reads here.
func coalesceArrivals(*net.UDPConn) bool { return false }

// coalescedSegment is 0: no coalesced reads here.
func coalescedSegment([]byte) int { return 0 }

// kernelTimestamp is 0: no kernel timestamps here.
func kernelTimestamp([]byte) int64 { return 0 }
