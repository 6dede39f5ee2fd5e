package sfu

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Payload types offered on down connections. Browsers' own numbers are
// accepted on up connections; the SFU rewrites them per subscriber.
const (
	payloadTypeOpus = 111
	payloadTypeVP8  = 96
)

// videoFeedback lists what registerInterceptors does not add by itself
// (it adds nack, nack pli and transport-cc).
var videoFeedback = []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"}}

// registerCodecs offers Opus and VP8, the two codecs every browser
// encodes and decodes. RTX is left out on purpose: retransmissions then
// use the media SSRC, which the SFU forwards and caches without
// translation.
func registerCodecs(me *webrtc.MediaEngine) error {
	codecs := []struct {
		params webrtc.RTPCodecParameters
		kind   webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
				SDPFmtpLine: "minptime=10;useinbandfec=1;usedtx=1",
			},
			PayloadType: payloadTypeOpus,
		}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
			},
			PayloadType: payloadTypeVP8,
		}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.params, c.kind); err != nil {
			return fmt.Errorf("register codec %s: %w", c.params.MimeType, err)
		}
	}
	return nil
}

// registerInterceptors builds the per-packet pipeline explicitly rather
// than taking pion's defaults: NACK generation toward publishers and a
// retransmission cache toward subscribers, RTCP sender and receiver
// reports, and transport-wide congestion feedback so that browsers can
// estimate their upload bandwidth.
func registerInterceptors(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
	if err := webrtc.ConfigureNack(me, reg); err != nil {
		return fmt.Errorf("configure NACK: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return fmt.Errorf("configure RTCP reports: %w", err)
	}
	if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
		return fmt.Errorf("configure TWCC: %w", err)
	}
	// mid and rid let pion tell simulcast layers apart; the audio level
	// feeds active-speaker detection.
	if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
		return fmt.Errorf("configure simulcast: %w", err)
	}
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("configure audio level: %w", err)
	}
	return nil
}
