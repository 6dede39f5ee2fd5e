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
// rtxSSRCs knows the RTX SSRCs of the engine's down tracks and their
// connections' estimators (the retransmitter adds and removes them), and
// the engine's buffer factory gives the RTCP stream of each a writer
// that hands its transport-wide feedback to the estimator and keeps
// nothing. SSRCs are random and never shown to other participants:
// another connection's stream of the same number, at odds of 2^-32 per
// pair, would feed its feedback to the wrong estimator.
type rtxSSRCs struct {
	ssrcs sync.Map // uint32 → *estimator
	// heard counts the RTCP streams of RTX SSRCs that were opened.
	heard atomic.Uint64
}

// Buffer sizes of the other streams: pion's (srtp's defaults).
const (
	rtpBufferSize  = 1000 * 1000
	rtcpBufferSize = 100 * 1000
)

func (r *rtxSSRCs) add(ssrc uint32, e *estimator) { r.ssrcs.Store(ssrc, e) }
func (r *rtxSSRCs) remove(ssrc uint32)            { r.ssrcs.Delete(ssrc) }

// newBuffer is the engine's webrtc.SettingEngine.BufferFactory.
func (r *rtxSSRCs) newBuffer(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind == packetio.RTCPBufferPacket {
		if v, ok := r.ssrcs.Load(ssrc); ok {
			r.heard.Add(1)
			return &rtxFeedback{ssrc: ssrc, e: v.(*estimator), closed: make(chan struct{})}
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
// estimator (a compound packet also goes to the other SSRCs it names,
// and what they read, the estimator reads too: it counts a report once).
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
