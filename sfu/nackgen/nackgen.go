// Package nackgen asks the senders of a connection's incoming video to
// resend what was lost (RTCP NACK, RFC 4585), and counts a packet that
// comes back over RTX (RFC 4588) as received.
//
// It replaces pion's NACK generator, which notes only the packets of the
// media stream: pion unwraps RTX after the interceptors, so a packet
// repaired on the RTX stream stayed missing to it, and was NACKed again
// every 100 ms for as long as its log remembered it (512 packets, some
// seconds of video). A browser answers each NACK whose packet it has not
// resent within a round trip: on a short round trip, a lost packet came
// back a dozen times.
//
// pion does not tell interceptors which media stream an RTX stream
// repairs (the SSRC group of the description or the repaired-stream id
// it reads are its own), and the original sequence numbers alone do not
// say: streams may share number ranges. So the generator marks each RTX
// packet with itself (in its attributes, which pion hands to the reader
// of the track with the unwrapped packet), and whoever reads the track
// reports the repaired packet with Received: one map lookup per repair,
// nothing per media packet.
package nackgen

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// Tuning.
const (
	// logSize is how many sequence numbers a stream's log covers (a
	// multiple of 64): a few seconds of video.
	logSize = 512
	// interval is how often missing packets are NACKed.
	interval = 100 * time.Millisecond
	// maxNacks is how many times one packet is asked for: a sender that
	// still has it resends within a round trip or two.
	maxNacks = 10
)

// Factory makes one Generator per peer connection.
type Factory struct{}

// NewInterceptor is called by pion for each new peer connection.
func (Factory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &Generator{
		streams: map[uint32]*receiveLog{},
		closed:  make(chan struct{}),
	}, nil
}

// Generator is the NACK generator of one peer connection.
type Generator struct {
	interceptor.NoOp

	mu      sync.Mutex
	streams map[uint32]*receiveLog // by media SSRC
	started bool

	closeOnce sync.Once
	closed    chan struct{}
	loop      sync.WaitGroup
}

// BindRTCPWriter starts the loop that sends NACKs (pion calls it once per
// connection); Close ends it.
func (g *Generator) BindRTCPWriter(writer interceptor.RTCPWriter) interceptor.RTCPWriter {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.closed:
		return writer
	default:
	}
	if !g.started {
		g.started = true
		g.loop.Add(1)
		go g.run(writer)
	}
	return writer
}

// BindRemoteStream logs the sequence numbers of media streams that
// negotiated NACK, and marks the packets of RTX streams for Received.
func (g *Generator) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if strings.EqualFold(info.MimeType, "video/rtx") {
		return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			n, attr, err := reader.Read(b, a)
			if err == nil {
				if attr == nil {
					attr = make(interceptor.Attributes) // pion makes one for an RTX packet anyway
				}
				attr.Set(repairKey{}, g)
			}
			return n, attr, err
		})
	}
	if !wantsNACK(info) {
		return reader
	}
	l := &receiveLog{}
	g.mu.Lock()
	g.streams[info.SSRC] = l
	g.mu.Unlock()
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err == nil && n >= 12 {
			l.add(binary.BigEndian.Uint16(b[2:4]))
		}
		return n, attr, err
	})
}

// UnbindRemoteStream forgets a stream.
func (g *Generator) UnbindRemoteStream(info *interceptor.StreamInfo) {
	g.mu.Lock()
	delete(g.streams, info.SSRC)
	g.mu.Unlock()
}

// Close ends the NACK loop.
func (g *Generator) Close() error {
	g.closeOnce.Do(func() {
		g.mu.Lock()
		close(g.closed)
		g.mu.Unlock()
	})
	g.loop.Wait()
	return nil
}

func wantsNACK(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}

// repairKey is the attribute under which an RTX packet carries its
// connection's Generator.
type repairKey struct{}

// Received counts a packet that was read from a track repaired, with the
// track's SSRC and its original sequence number, as received, if attr
// (what pion returned with it) says it came on an RTX stream of a
// connection with a Generator. It reports whether it did.
func Received(attr interceptor.Attributes, ssrc uint32, seq uint16) bool {
	if attr == nil {
		return false
	}
	g, ok := attr.Get(repairKey{}).(*Generator)
	if !ok {
		return false
	}
	g.mu.Lock()
	l := g.streams[ssrc]
	g.mu.Unlock()
	if l != nil {
		l.repaired(seq)
	}
	return true
}

func (g *Generator) run(writer interceptor.RTCPWriter) {
	defer g.loop.Done()
	sender := rand.Uint32() //nolint:gosec // an SSRC, not a secret
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	missing := make([]uint16, 0, logSize)
	var logs []*receiveLog
	var ssrcs []uint32
	for {
		select {
		case <-g.closed:
			return
		case <-ticker.C:
		}
		logs, ssrcs = logs[:0], ssrcs[:0]
		g.mu.Lock()
		for ssrc, l := range g.streams {
			logs = append(logs, l)
			ssrcs = append(ssrcs, ssrc)
		}
		g.mu.Unlock()
		for i, l := range logs {
			missing = l.missing(missing[:0])
			if len(missing) == 0 {
				continue
			}
			nack := &rtcp.TransportLayerNack{
				SenderSSRC: sender,
				MediaSSRC:  ssrcs[i],
				Nacks:      rtcp.NackPairsFromSequenceNumbers(missing),
			}
			_, _ = writer.Write([]rtcp.Packet{nack}, interceptor.Attributes{})
		}
	}
}
