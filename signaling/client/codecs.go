package client

import (
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
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
func registerInterceptors(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
	responder, err := nack.NewResponderInterceptor()
	if err != nil {
		return err
	}
	reg.Add(rtxRIDFactory{})
	reg.Add(responder)
	reg.Add(nackgen.Factory{})
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
		return err
	}
	if err := webrtc.ConfigureStatsInterceptor(reg); err != nil {
		return err
	}
	return webrtc.ConfigureTWCCSender(me, reg)
}

// rtxRID makes the client's RTX packets name the simulcast layer they
// repair as RFC 8852 says: pion's NACK responder copies the layer's rid
// header extension into them, where the repaired-rtp-stream-id belongs.
// pion tells an RTX stream it was not told of by that extension: finding
// a rid instead, the SFU's pion took the RTX stream for the layer itself
// (its stream replaced, the layer read the retransmissions as media) and
// the picture stopped at the first loss. Registered before the
// responder, it sees what the responder writes.
type rtxRID struct{ interceptor.NoOp }

// rtxRIDFactory makes an rtxRID per peer connection.
type rtxRIDFactory struct{}

// NewInterceptor is called by pion for each new peer connection.
func (rtxRIDFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return &rtxRID{}, nil }

// BindLocalStream moves the rid of the stream's RTX packets to the
// repaired-rtp-stream-id.
func (*rtxRID) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var rid, rrid uint8
	for _, x := range info.RTPHeaderExtensions {
		switch x.URI {
		case sdp.SDESRTPStreamIDURI:
			rid = uint8(x.ID) //nolint:gosec // negotiated ids are 1-255
		case sdp.SDESRepairRTPStreamIDURI:
			rrid = uint8(x.ID) //nolint:gosec // negotiated ids are 1-255
		}
	}
	if info.SSRCRetransmission == 0 || rid == 0 {
		return writer
	}
	rtxSSRC := info.SSRCRetransmission
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if h.SSRC == rtxSSRC {
			if v := h.GetExtension(rid); v != nil {
				_ = h.DelExtension(rid)
				if rrid != 0 {
					if err := h.SetExtension(rrid, v); err != nil {
						return 0, err
					}
				}
			}
		}
		return writer.Write(h, payload, a)
	})
}
