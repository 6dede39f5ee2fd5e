package client

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Synthetic media: the shapes and rates of real media, not its content.
const (
	audioInterval    = 20 * time.Millisecond // Opus frames, 50 per second
	audioPayloadSize = 80                    // about 32 kbit/s
	videoFrameRate   = 30
	videoPacketSize  = 1000
	videoPacketsPer  = 3  // packets per frame, about 720 kbit/s
	keyframeEvery    = 60 // frames
)

func sendAudio(ctx context.Context, track *webrtc.TrackLocalStaticRTP) {
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
		_ = track.WriteRTP(pkt)
	}
}

// sendVideo sends frames until ctx ends; a keyframe every keyframeEvery
// frames, and at once when keyframe is set (a keyframe request came).
func sendVideo(ctx context.Context, track *webrtc.TrackLocalStaticRTP, keyframe *atomic.Bool) {
	payload := make([]byte, videoPacketSize)
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2}, Payload: payload}
	tick := time.NewTicker(time.Second / videoFrameRate)
	defer tick.Stop()
	for frame := 0; ; frame++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pkt.Timestamp += 90000 / videoFrameRate
		key := frame%keyframeEvery == 0 || keyframe.Swap(false)
		for i := range videoPacketsPer {
			pkt.SequenceNumber++
			pkt.Marker = i == videoPacketsPer-1
			writeVP8Descriptor(payload, i == 0, key)
			_ = track.WriteRTP(pkt)
		}
	}
}

// watchKeyframeRequests sets keyframe when the server asks for one, as an
// encoder would, until the sender stops.
func watchKeyframeRequests(sender *webrtc.RTPSender, keyframe *atomic.Bool) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				keyframe.Store(true)
			}
		}
	}
}

// writeVP8Descriptor writes a minimal VP8 payload descriptor (RFC 7741)
// and, at the start of a frame, a VP8 frame tag, so that an SFU that
// looks for keyframes finds them where a browser would put them.
func writeVP8Descriptor(b []byte, start, keyframe bool) {
	b[0] = 0
	if start {
		b[0] = 0x10 // S bit: start of a partition
	}
	b[1] = 0x01 // frame tag: P bit set means interframe
	if start && keyframe {
		b[1] = 0x00
		copy(b[4:], []byte{0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}) // start code, 640x480
	}
}
