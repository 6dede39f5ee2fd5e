package sfu

import (
	"net"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// BenchSends is a batched socket's hold and release, which bracket a
// fan-out.
type BenchSends interface {
	Hold()
	Release()
}

type benchSends struct{ c *batchConn }

func (s benchSends) Hold()    { s.c.hold() }
func (s benchSends) Release() { s.c.release() }

// NewBatchConnForBench wraps c as the engine wraps its media sockets, for
// the down-path benchmark.
func NewBatchConnForBench(c *net.UDPConn) (net.PacketConn, BenchSends) {
	bc, err := newBatchConn(c)
	if err != nil {
		panic(err)
	}
	return bc, benchSends{bc}
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
	return registerPipeline(me, reg, BandwidthConfig{}.withDefaults(), make(chan *estimator), newDownlinks(), &resendCounts{})
}
