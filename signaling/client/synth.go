package client

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Synthetic media: the shapes and rates of real media, not its content.
const (
	audioInterval    = 20 * time.Millisecond // Opus frames, 50 per second
	audioPayloadSize = 80                    // about 32 kbit/s
	videoFrameRate   = 30
	videoPacketSize  = 1000
	// maxVideoPacketSize bounds any layer's packets, under the MTU.
	maxVideoPacketSize = 1100
	videoPacketsPer    = 3  // packets per frame, about 720 kbit/s
	keyframeEvery      = 60 // frames
	// minVideoPacket leaves room for the descriptor and the send time.
	minVideoPacket = stampOffset + stampSize
)

// Shares of the full layer's bitrate that the lower simulcast layers
// take when a bitrate is given, as Chromium's caps for a 720p camera
// have them (about 2.5 Mbit/s, 700 and 200 kbit/s).
const (
	halfLayerShare    = 0.3
	quarterLayerShare = 0.1
)

// sendAudio sends Opus-sized packets until ctx ends, with the
// audio-level header extension once its id is negotiated.
func sendAudio(ctx context.Context, track *webrtc.TrackLocalStaticRTP, tr *webrtc.RTPTransceiver, level *atomic.Uint32) {
	var levelID uint8
	payload := make([]byte, audioPayloadSize)
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true}, Payload: payload}
	tick := time.NewTicker(audioInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pkt.SequenceNumber++
		pkt.Timestamp += 960
		if levelID == 0 {
			levelID = extensionID(tr, sdp.AudioLevelURI)
		}
		if levelID != 0 {
			l := byte(level.Load())
			if l < 127 {
				l |= 0x80 // V: voice activity
			}
			_ = pkt.SetExtension(levelID, []byte{l})
		}
		writeStamp(payload, time.Now())
		_ = track.WriteRTP(pkt)
	}
}

// videoLayer is one synthetic video stream: the only one, or one
// simulcast layer, each with its own picture size and rate.
type videoLayer struct {
	track           *layerTrack
	width, height   int
	packetsPerFrame int
	packetSize      int
	active          atomic.Bool  // false while the server says nobody needs it
	keyframe        atomic.Bool  // a keyframe was asked for
	requests        atomic.Int64 // keyframe requests received
	neverKey        bool         // a broken encoder: no keyframe, ever
	onlyAsked       bool         // no periodic keyframe: only the first and those asked for
	// ssrc, if not zero, replaces the negotiated SSRC (RenumberVideo).
	ssrc atomic.Uint32
	pkt  rtp.Packet
}

// layerTrack is a layer's track, which keeps what it was bound with so
// that its packets can go out under another SSRC than the one
// negotiated, as a sender's that started afresh (RenumberVideo).
type layerTrack struct {
	*webrtc.TrackLocalStaticRTP

	mu          sync.Mutex
	writer      webrtc.TrackLocalWriter
	payloadType uint8
}

func newLayerTrack(c webrtc.RTPCodecCapability, rid string) (*layerTrack, error) {
	var opts []func(*webrtc.TrackLocalStaticRTP)
	if rid != "" {
		opts = append(opts, webrtc.WithRTPStreamID(rid))
	}
	t, err := webrtc.NewTrackLocalStaticRTP(c, "video", "self", opts...)
	if err != nil {
		return nil, err
	}
	return &layerTrack{TrackLocalStaticRTP: t}, nil
}

// Bind is TrackLocalStaticRTP's, keeping the binding.
func (t *layerTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	c, err := t.TrackLocalStaticRTP.Bind(ctx)
	if err == nil {
		t.mu.Lock()
		t.writer, t.payloadType = ctx.WriteStream(), uint8(c.PayloadType)
		t.mu.Unlock()
	}
	return c, err
}

// writeAs writes pkt under ssrc instead of the negotiated SSRC.
func (t *layerTrack) writeAs(pkt *rtp.Packet, ssrc uint32) {
	t.mu.Lock()
	w, pt := t.writer, t.payloadType
	t.mu.Unlock()
	if w == nil {
		return
	}
	h := pkt.Header
	h.SSRC, h.PayloadType = ssrc, pt
	_, _ = w.WriteRTP(&h, pkt.Payload)
}

// simulcastLayers are the shapes of the three layers, as a browser
// sends a 720p camera: a quarter, half and full size, at about 110,
// 450 and 800 kbit/s.
var simulcastLayers = []struct {
	rid                       string
	width, height, pkts, size int
}{{"q", 320, 180, 1, 450}, {"h", 640, 360, 2, 930}, {"f", 1280, 720, 3, 1100}}

// newVideoLayers makes the one video stream, or the three simulcast
// layers. bitrate, if not zero, is that of the only or the full layer in
// bits per second; zero keeps the default shapes above.
func newVideoLayers(simulcast bool, bitrate int) ([]*videoLayer, error) {
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	if !simulcast {
		track, err := newLayerTrack(vp8, "")
		if err != nil {
			return nil, err
		}
		l := &videoLayer{track: track, width: 640, height: 480}
		l.packetsPerFrame, l.packetSize = videoShape(videoPacketsPer, videoPacketSize, bitrate)
		l.active.Store(true)
		return []*videoLayer{l}, nil
	}
	var out []*videoLayer
	shares := []float64{quarterLayerShare, halfLayerShare, 1}
	for i, s := range simulcastLayers {
		track, err := newLayerTrack(vp8, s.rid)
		if err != nil {
			return nil, err
		}
		l := &videoLayer{track: track, width: s.width, height: s.height}
		l.packetsPerFrame, l.packetSize = videoShape(s.pkts, s.size, int(float64(bitrate)*shares[i]))
		l.active.Store(true)
		out = append(out, l)
	}
	return out, nil
}

// videoShape is how many packets of what size make one frame at
// bitrate (bits per second), or defaultPackets of defaultSize bytes when
// bitrate is zero.
func videoShape(defaultPackets, defaultSize, bitrate int) (packets, size int) {
	if bitrate <= 0 {
		return defaultPackets, defaultSize
	}
	frame := max(bitrate/8/videoFrameRate, minVideoPacket)
	packets = (frame + maxVideoPacketSize - 1) / maxVideoPacketSize
	return packets, max(frame/packets, minVideoPacket)
}

// simulcastIDs are what a simulcast sender must put in every packet so
// that the receiver can tell the layers apart: the media id and the
// layer's rid, in header extensions whose ids were negotiated.
type simulcastIDs struct {
	mid          string
	midID, ridID uint8
}

// extensionID is the id negotiated for a header extension, 0 until known.
func extensionID(tr *webrtc.RTPTransceiver, uri string) uint8 {
	for _, e := range tr.Sender().GetParameters().HeaderExtensions {
		if e.URI == uri {
			return uint8(e.ID)
		}
	}
	return 0
}

// lookupSimulcastIDs finds the negotiated extension ids, once known.
func lookupSimulcastIDs(tr *webrtc.RTPTransceiver) (simulcastIDs, bool) {
	ids := simulcastIDs{mid: tr.Mid()}
	for _, e := range tr.Sender().GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			ids.midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ids.ridID = uint8(e.ID)
		}
	}
	return ids, ids.mid != "" && ids.midID != 0 && ids.ridID != 0
}

// sendVideo sends frames of every active layer until ctx ends; a
// keyframe every keyframeEvery frames, and at once when asked. Simulcast
// layers wait for the negotiation of their header extensions.
func sendVideo(ctx context.Context, layers []*videoLayer, tr *webrtc.RTPTransceiver) {
	simulcast := len(layers) > 1
	var ids simulcastIDs
	buf := make([]byte, maxVideoPacketSize)
	tick := time.NewTicker(time.Second / videoFrameRate)
	defer tick.Stop()
	for frame := 0; ; frame++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if simulcast && ids.ridID == 0 {
			var ok bool
			if ids, ok = lookupSimulcastIDs(tr); !ok {
				continue
			}
		}
		for _, l := range layers {
			if !l.active.Load() {
				continue
			}
			if simulcast {
				_ = l.pkt.SetExtension(ids.midID, []byte(ids.mid))
				_ = l.pkt.SetExtension(ids.ridID, []byte(l.track.RID()))
			}
			payload := buf[:l.packetSize]
			l.pkt.Version = 2
			l.pkt.Payload = payload
			l.pkt.Timestamp += 90000 / videoFrameRate
			periodic := frame%keyframeEvery == 0 && (frame == 0 || !l.onlyAsked)
			key := (periodic || l.keyframe.Swap(false)) && !l.neverKey
			for i := range l.packetsPerFrame {
				l.pkt.SequenceNumber++
				l.pkt.Marker = i == l.packetsPerFrame-1
				writeVP8Descriptor(payload, i == 0, key, l.width, l.height)
				writeStamp(payload, time.Now())
				if ssrc := l.ssrc.Load(); ssrc != 0 {
					l.track.writeAs(&l.pkt, ssrc)
				} else {
					_ = l.track.WriteRTP(&l.pkt)
				}
			}
		}
	}
}

// watchKeyframeRequests marks a keyframe due on layer l when the server
// asks for one, as an encoder would, until the sender stops; the loss
// the server reports of the layer goes to loss, if not nil.
func watchKeyframeRequests(sender *webrtc.RTPSender, l *videoLayer, loss *reportedLoss) {
	for {
		var pkts []rtcp.Packet
		var err error
		if rid := l.track.RID(); rid != "" {
			pkts, _, err = sender.ReadSimulcastRTCP(rid)
		} else {
			pkts, _, err = sender.ReadRTCP()
		}
		if err != nil {
			return
		}
		if loss != nil {
			loss.note(pkts)
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				l.requests.Add(1)
				l.keyframe.Store(true)
			}
		}
	}
}

// writeVP8Descriptor writes a minimal VP8 payload descriptor (RFC 7741)
// and, at the start of a frame, a VP8 frame tag, so that an SFU that
// looks for keyframes finds them where a browser would put them.
func writeVP8Descriptor(b []byte, start, keyframe bool, width, height int) {
	b[0] = 0
	if start {
		b[0] = 0x10 // S bit: start of a partition
	}
	b[1] = 0x01 // frame tag: P bit set means interframe
	if start && keyframe {
		b[1] = 0x00
		// Start code, then 14-bit width and height, little-endian.
		copy(b[4:], []byte{0x9d, 0x01, 0x2a, byte(width), byte(width >> 8), byte(height), byte(height >> 8)})
	}
}
