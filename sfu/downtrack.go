package sfu

import (
	"strings"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// DownTrack is the copy of an up track sent to one subscriber. It
// implements webrtc.TrackLocal so that pion negotiates it like any other
// track, and rewrites SSRC and payload type to what was negotiated with
// the subscriber.
type DownTrack struct {
	up       *UpTrack
	id       string
	streamID string
	sender   *webrtc.RTPSender

	binding atomic.Pointer[downBinding]

	// hdr and ext are scratch space for the forwarding goroutine of up,
	// the only writer, so that rewriting a header allocates nothing.
	hdr rtp.Header
	ext [4]rtp.Extension
}

type downBinding struct {
	ssrc        uint32
	payloadType uint8
	writer      webrtc.TrackLocalWriter
}

func newDownTrack(up *UpTrack) *DownTrack {
	kind := up.Kind().String()
	return &DownTrack{
		up:       up,
		id:       kind + "-" + up.publisherID,
		streamID: up.publisherID,
	}
}

// Bind is called by pion when negotiation has settled on a codec.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	want := d.up.remote.Codec().MimeType
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, want) {
			d.binding.Store(&downBinding{
				ssrc:        uint32(ctx.SSRC()),
				payloadType: uint8(c.PayloadType),
				writer:      ctx.WriteStream(),
			})
			// A new subscriber needs a keyframe to show anything.
			d.up.requestKeyframe()
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind is called by pion when the track stops being sent.
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.binding.Store(nil)
	return nil
}

// ID is unique per publisher and kind.
func (d *DownTrack) ID() string { return d.id }

// RID is empty: a down track is a single stream.
func (d *DownTrack) RID() string { return "" }

// StreamID is the publisher's participant id, which clients use to put
// the track on the right tile.
func (d *DownTrack) StreamID() string { return d.streamID }

// Kind tells audio from video.
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.up.Kind() }

// writeRTP sends one packet to the subscriber. Header extensions are not
// forwarded: their ids were negotiated with the publisher and mean
// something else, or nothing, to the subscriber.
// It reports whether the packet was sent.
func (d *DownTrack) writeRTP(pkt *rtp.Packet) bool {
	b := d.binding.Load()
	if b == nil {
		return false
	}
	d.hdr = pkt.Header
	d.hdr.SSRC = b.ssrc
	d.hdr.PayloadType = b.payloadType
	d.hdr.Padding = false
	d.hdr.PaddingSize = 0
	d.hdr.Extension = false
	d.hdr.Extensions = d.ext[:0]
	_, err := b.writer.WriteRTP(&d.hdr, pkt.Payload)
	return err == nil
}

// readRTCP reads the subscriber's RTCP for this track until the sender
// stops. Reading drives pion's interceptors (the NACK responder among
// them); picture-loss and full-intra requests go to the publisher.
func (d *DownTrack) readRTCP() {
	for {
		pkts, _, err := d.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.up.stats.keyframeRequestsIn.Add(1)
				d.up.requestKeyframe()
			case *rtcp.TransportLayerNack:
				d.up.stats.nacksIn.Add(1)
			}
		}
	}
}
