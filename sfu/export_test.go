package sfu

import (
	"fmt"
	"net"
	"strings"

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
	return registerPipeline(me, reg, BandwidthConfig{}.withDefaults(), make(chan *estimator), newPipelineShared())
}

// EstimatorTrace is the last judgements of the estimator of a
// participant's downlink, oldest first, one line each.
func (m *Manager) EstimatorTrace(participantID string) string {
	p := m.participant(participantID)
	if p == nil || p.alloc == nil {
		return "no such participant or no allocator"
	}
	e, ok := p.alloc.bwe.(*estimator)
	if !ok {
		return "not the SFU's estimator"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for i := range judgedKept {
		j := e.judged[(e.judgedAt+i)%judgedKept]
		if j.at.IsZero() {
			continue
		}
		fmt.Fprintf(&b, "%s recv %d lost %d loss %.3f queue %v carried %.0f est %d->%d backoff %v growth %v held %v\n",
			j.at.Format("15:04:05.000"), j.received, j.lost, j.loss, j.queue, j.carried, j.before, j.after, j.backoff, j.growth, j.held)
	}
	return b.String()
}

// RTXFeedbackStreams counts the RTCP streams of down tracks' RTX SSRCs
// opened (their feedback goes to the estimator).
func (m *Manager) RTXFeedbackStreams() int64 { return m.engine.rtx.heard.Load() }

// KnownRTXSSRCs counts the down tracks' RTX SSRCs the engine knows.
func (m *Manager) KnownRTXSSRCs() int {
	return int(m.engine.rtx.known.Load())
}

// WaitingResendSources counts the video down tracks offered to a
// retransmitter and not taken (sentlog.go).
func (m *Manager) WaitingResendSources() int64 { return m.engine.sources.offered.Load() }

// participant finds a participant in any room, nil if none.
func (m *Manager) participant(id string) *Participant {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rooms {
		r.mu.Lock()
		for _, q := range r.participants {
			if q.id == id {
				r.mu.Unlock()
				return q
			}
		}
		r.mu.Unlock()
	}
	return nil
}

// FailMedia reports participant id's peer connection of role failed, as
// pion's state callback does when ICE fails (newPeerConnection).
func (m *Manager) FailMedia(id string, role PeerRole) {
	p := m.participant(id)
	p.mu.Lock()
	pc := p.down
	if role == Up {
		pc = p.up
	}
	p.mu.Unlock()
	p.mediaFailed(role, pc)
}
