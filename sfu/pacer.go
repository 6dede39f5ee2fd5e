package sfu

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// passPacer is the pacer given to pion's congestion controller: it sends
// every packet at once, as the SFU forwards at the publisher's pace
// already, and unlike pion's NoOpPacer it takes no lock on the way: its
// stream table is replaced, never modified.
type passPacer struct {
	mu      sync.Mutex // serializes AddStream
	streams atomic.Pointer[map[uint32]interceptor.RTPWriter]
}

func newPassPacer() *passPacer {
	p := &passPacer{}
	p.streams.Store(&map[uint32]interceptor.RTPWriter{})
	return p
}

// AddStream registers the writer of one outgoing stream.
func (p *passPacer) AddStream(ssrc uint32, w interceptor.RTPWriter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.streams.Load()
	next := make(map[uint32]interceptor.RTPWriter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[ssrc] = w
	p.streams.Store(&next)
}

// Write sends a packet on its stream's writer.
func (p *passPacer) Write(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
	w, ok := (*p.streams.Load())[h.SSRC]
	if !ok {
		return 0, fmt.Errorf("pacer: unknown SSRC %d", h.SSRC)
	}
	return w.Write(h, payload, a)
}

// SetTargetBitrate is ignored: nothing is paced.
func (p *passPacer) SetTargetBitrate(int) {}

// Close releases nothing.
func (p *passPacer) Close() error { return nil }
