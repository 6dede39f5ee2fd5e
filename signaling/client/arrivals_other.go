//go:build !linux

package client

import "net"

// stampArrivals does nothing here: arrivals are timed when read.
func stampArrivals(*net.UDPConn) {}

// kernelTimestamp is 0: no kernel timestamps here.
func kernelTimestamp([]byte) int64 { return 0 }
