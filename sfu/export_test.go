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
	return registerCongestionControl(me, reg, BandwidthConfig{}.withDefaults(), make(chan *estimator), nil)
}

// RegisterInterceptorsForBench registers what the engine registers:
// its estimator, the SFU's retransmitter, NACK generator, reports and
// TWCC feedback (not RTX: the benchmark's codecs are its own).
func RegisterInterceptorsForBench(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
	return registerPipeline(me, reg, BandwidthConfig{}.withDefaults(), make(chan *estimator), newDownlinks())
}
