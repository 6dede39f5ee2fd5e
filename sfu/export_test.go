package sfu

import (
	"net"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// NewBatchConnForBench wraps c as the engine wraps its media sockets and
// returns it with its flush, for the down-path benchmark.
func NewBatchConnForBench(c *net.UDPConn) (net.PacketConn, func()) {
	bc, err := newBatchConn(c)
	if err != nil {
		panic(err)
	}
	return bc, bc.Flush
}

// RegisterEstimatorForBench registers the SFU's bandwidth estimator and
// transport-wide sequence numbers, as the engine does.
func RegisterEstimatorForBench(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
	return registerCongestionControl(me, reg, BandwidthConfig{}.withDefaults(), make(chan *estimator))
}
