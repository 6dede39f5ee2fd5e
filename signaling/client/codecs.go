package client

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu/nackgen"
)

// clientMediaEngine registers pion's default codecs, with their RTX
// formats, or without RTX the codecs the SFU forwards.
func clientMediaEngine(noRTX bool) (*webrtc.MediaEngine, error) {
	me := &webrtc.MediaEngine{}
	if !noRTX {
		return me, me.RegisterDefaultCodecs()
	}
	// pion has no way to unregister a codec, nor a list of its defaults.
	audio := []webrtc.RTPCodecParameters{{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}}
	video := []webrtc.RTPCodecParameters{{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96,
	}, {
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		},
		PayloadType: 125,
	}}
	for _, c := range audio {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	for _, c := range video {
		c.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}}
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	return me, nil
}

// registerInterceptors registers pion's default interceptors with the
// SFU's NACK generator in place of pion's.
func registerInterceptors(me *webrtc.MediaEngine, reg *interceptor.Registry, logs logging.LoggerFactory) error {
	responder, err := nack.NewResponderInterceptor(nack.WithResponderLoggerFactory(logs))
	if err != nil {
		return err
	}
	reg.Add(rtxFixFactory{})
	reg.Add(responder)
	reg.Add(nackgen.Factory{})
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	if err := webrtc.ConfigureRTCPReportsWithOptions(reg, []report.ReceiverOption{report.WithReceiverLoggerFactory(logs)},
		report.WithSenderLoggerFactory(logs)); err != nil {
		return err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
		return err
	}
	if err := webrtc.ConfigureStatsInterceptor(reg); err != nil {
		return err
	}
	return webrtc.ConfigureTWCCSenderWithOptions(me, reg, twcc.WithLoggerFactory(logs))
}

// rtxFix makes the client's RTX packets what RFC 4588 and RFC 8852 say
// they are, where pion's NACK responder (interceptor v0.1.51) does not:
//   - It copies a simulcast layer's rid header extension into them, where
//     the repaired-rtp-stream-id belongs. pion tells an RTX stream it was
//     not told of by that extension: finding a rid instead, the SFU's pion
//     took the RTX stream for the layer itself (its stream replaced, the
//     layer read the retransmissions as media) and the picture stopped at
//     the first loss.
//   - It numbers a packet's retransmission when it caches the packet, so
//     the RTX stream's numbers run with the media's, and a second resend
//     of an old packet (the first one lost) came more than SRTP's replay
//     window (64) behind the newest and was dropped by the receiver: a
//     high layer kept a few holes for good. Here they are numbered as
//     sent.
//
// Registered before the responder, it sees what the responder writes.
type rtxFix struct{ interceptor.NoOp }

// rtxFixFactory makes an rtxFix per peer connection.
type rtxFixFactory struct{}

// NewInterceptor is called by pion for each new peer connection.
func (rtxFixFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return &rtxFix{}, nil }

// BindLocalStream renumbers the stream's RTX packets as they are sent
// and moves their rid to the repaired-rtp-stream-id.
func (*rtxFix) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	if info.SSRCRetransmission == 0 {
		return writer
	}
	var rid, rrid uint8
	for _, x := range info.RTPHeaderExtensions {
		switch x.URI {
		case sdp.SDESRTPStreamIDURI:
			rid = uint8(x.ID) //nolint:gosec // negotiated ids are 1-255
		case sdp.SDESRepairRTPStreamIDURI:
			rrid = uint8(x.ID) //nolint:gosec // negotiated ids are 1-255
		}
	}
	rtxSSRC := info.SSRCRetransmission
	var next atomic.Uint32            // the responder resends from several goroutines
	next.Store(rand.Uint32N(1 << 16)) //nolint:gosec // RFC 3550's random start, not a secret
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if h.SSRC != rtxSSRC {
			return writer.Write(h, payload, a)
		}
		h.SequenceNumber = uint16(next.Add(1) - 1) //nolint:gosec // modulo 2^16 on purpose
		if v := h.GetExtension(rid); rid != 0 && v != nil {
			_ = h.DelExtension(rid)
			if rrid != 0 {
				if err := h.SetExtension(rrid, v); err != nil {
					return 0, err
				}
			}
		}
		return writer.Write(h, payload, a)
	})
}
