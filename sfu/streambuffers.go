package sfu

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/transport/v5/packetio"
)

// pion gives every SSRC that a peer's RTP or RTCP names a read stream
// with its own buffer, and leaves unread the RTCP of an SSRC that nobody
// asked for. A down track's RTX SSRC is one: receiver reports name it,
// and so does the transport-wide feedback sent just after probe padding
// or a retransmission, as receivers (libwebrtc and pion alike) name the
// SSRC of the last packet they got. So the estimator missed that
// feedback, all of it during a probe whose padding kept step with the
// receiver's feedback timer, and pion let the stream's buffer grow to
// 100 KB: over a long meeting, 2.4 MB per participant in a meeting of
// 25, for what nobody read.
//
// rtxSSRCs knows the RTX SSRCs of one connection's down tracks and the
// connection's estimator (the retransmitter adds and removes them), and
// the connection's buffer factory gives the RTCP stream of each a writer
// that hands its transport-wide feedback to the estimator and keeps
// nothing. It is one connection's alone: what another connection's
// client sends never meets it.
type rtxSSRCs struct {
	mu    sync.Mutex
	ssrcs map[uint32]*estimator
	stats *rtxStats // the engine's
}

// rtxStats counts, over an engine's connections, the RTX SSRCs known
// and the RTCP streams of RTX SSRCs that were opened.
type rtxStats struct {
	known, heard atomic.Int64
}

// Buffer sizes of the other streams: pion's (srtp's defaults).
const (
	rtpBufferSize  = 1000 * 1000
	rtcpBufferSize = 100 * 1000
)

func (r *rtxSSRCs) add(ssrc uint32, e *estimator) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ssrcs == nil {
		r.ssrcs = map[uint32]*estimator{}
	}
	if _, ok := r.ssrcs[ssrc]; !ok && r.stats != nil {
		r.stats.known.Add(1)
	}
	r.ssrcs[ssrc] = e
}

func (r *rtxSSRCs) remove(ssrc uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.ssrcs[ssrc]; ok && r.stats != nil {
		r.stats.known.Add(-1)
	}
	delete(r.ssrcs, ssrc)
}

// clear forgets them all: the connection is closed.
func (r *rtxSSRCs) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stats != nil {
		r.stats.known.Add(-int64(len(r.ssrcs)))
	}
	r.ssrcs = nil
}

func (r *rtxSSRCs) lookup(ssrc uint32) (*estimator, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.ssrcs[ssrc]
	return e, ok
}

// newBuffer is the connection's webrtc.SettingEngine.BufferFactory.
func (r *rtxSSRCs) newBuffer(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind == packetio.RTCPBufferPacket {
		if e, ok := r.lookup(ssrc); ok {
			if r.stats != nil {
				r.stats.heard.Add(1)
			}
			return &rtxFeedback{ssrc: ssrc, e: e, closed: make(chan struct{})}
		}
	}
	b := packetio.NewBuffer()
	if kind == packetio.RTPBufferPacket {
		b.SetLimitSize(rtpBufferSize)
	} else {
		b.SetLimitSize(rtcpBufferSize)
	}
	return streamBuffer{b}
}

// rtxFeedback is the RTCP stream of a down track's RTX SSRC: what is
// written to it goes to the estimator, and nothing is there to read.
type rtxFeedback struct {
	ssrc   uint32
	e      *estimator // nil: a connection without one
	once   sync.Once
	closed chan struct{}
}

// Write hands the transport-wide feedback naming the stream to the
// estimator, at once: feedback naming the connection's other streams
// reaches it when their down tracks read it, sometimes later than
// feedback sent after it (the estimator takes it in any order).
func (f *rtxFeedback) Write(p []byte) (int, error) {
	if f.e == nil {
		return len(p), nil
	}
	pkts, err := rtcp.Unmarshal(p)
	if err != nil {
		return len(p), nil //nolint:nilerr // malformed: nothing to learn, nothing to keep
	}
	for _, pkt := range pkts {
		if fb, ok := pkt.(*rtcp.TransportLayerCC); ok && fb.MediaSSRC == f.ssrc {
			f.e.onFeedback(fb, time.Now())
		}
	}
	return len(p), nil
}

// Read waits for the stream to close: nobody reads it.
func (f *rtxFeedback) Read([]byte) (int, error) {
	<-f.closed
	return 0, io.EOF
}

// Close ends the stream.
func (f *rtxFeedback) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// streamBuffer is a packetio.Buffer as srtp's streams read and write
// it: with and without attributes (as srtp's own buffer does).
type streamBuffer struct{ *packetio.Buffer }

func (b streamBuffer) Read(p []byte) (int, error) {
	n, _, err := b.Buffer.Read(p, nil)
	return n, err
}

func (b streamBuffer) Write(p []byte) (int, error) { return b.Buffer.Write(p, nil) }

// ReadWithAttributes is srtp's read of a packet with its attributes.
func (b streamBuffer) ReadWithAttributes(p []byte, a packetio.Attributes) (int, packetio.Attributes, error) {
	return b.Buffer.Read(p, a)
}

// WriteWithAttributes is srtp's write of a packet with its attributes.
func (b streamBuffer) WriteWithAttributes(p []byte, a packetio.Attributes) (int, error) {
	return b.Buffer.Write(p, a)
}
