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
// The RTX stream of a media stream is learnt from the traffic: the first
// RTX packet whose original sequence number is missing from exactly one
// media stream ties the two (the SSRC group of the description or the
// repaired-stream id, which pion reads, do not reach interceptors).
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
		repairs: map[uint32]uint32{},
		closed:  make(chan struct{}),
	}, nil
}

// Generator is the NACK generator of one peer connection.
type Generator struct {
	interceptor.NoOp

	mu      sync.Mutex
	streams map[uint32]*receiveLog // by media SSRC
	repairs map[uint32]uint32      // RTX SSRC to media SSRC, once learnt
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
// negotiated NACK, and the original sequence numbers RTX streams carry.
func (g *Generator) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if strings.EqualFold(info.MimeType, "video/rtx") {
		rtxSSRC := info.SSRC
		return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			n, attr, err := reader.Read(b, a)
			if err == nil {
				if osn, ok := OriginalSequenceNumber(b[:n]); ok {
					g.repaired(rtxSSRC, osn)
				}
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
	defer g.mu.Unlock()
	delete(g.streams, info.SSRC)
	delete(g.repairs, info.SSRC)
	for rtx, media := range g.repairs {
		if media == info.SSRC {
			delete(g.repairs, rtx)
		}
	}
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

// OriginalSequenceNumber reads the original sequence number of an RTX
// packet (its first two bytes of payload); false for a packet too short
// to carry one, such as a padding-only bandwidth probe.
func OriginalSequenceNumber(b []byte) (uint16, bool) {
	if len(b) < 12 {
		return 0, false
	}
	start := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // header extension
		if len(b) < start+4 {
			return 0, false
		}
		start += 4 + 4*int(binary.BigEndian.Uint16(b[start+2:start+4]))
	}
	end := len(b)
	if b[0]&0x20 != 0 && end > 0 { // padding
		end -= int(b[end-1])
	}
	if end-start < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(b[start : start+2]), true
}

// repaired counts a packet that arrived over RTX as received.
func (g *Generator) repaired(rtxSSRC uint32, osn uint16) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if media, ok := g.repairs[rtxSSRC]; ok {
		if l := g.streams[media]; l != nil {
			l.add(osn)
		}
		return
	}
	// Not learnt yet: the media stream missing that packet. Should two
	// miss the same number, both are marked (one packet of the other may
	// then go unrepaired) until a later packet tells them apart.
	var match uint32
	found := 0
	for ssrc, l := range g.streams {
		if l.markIfMissing(osn) {
			match = ssrc
			found++
		}
	}
	if found == 1 {
		g.repairs[rtxSSRC] = match
	}
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
