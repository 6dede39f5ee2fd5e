package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu/nackgen"
	"github.com/plenum-meet/plenum/sfu/pionlog"
)

// Payload types offered on down connections. Browsers' own numbers are
// accepted on up connections; the SFU rewrites them per subscriber.
const (
	payloadTypeOpus = 111
	payloadTypeVP8  = 96
	payloadTypeH264 = 102
	// The RTX (RFC 4588) payload types of the video codecs, as pion and
	// Chromium number them.
	payloadTypeVP8RTX  = 97
	payloadTypeH264RTX = 103
)

// rtxPayloadTypes maps each video payload type to its RTX payload type.
var rtxPayloadTypes = map[webrtc.PayloadType]webrtc.PayloadType{
	payloadTypeVP8:  payloadTypeVP8RTX,
	payloadTypeH264: payloadTypeH264RTX,
}

// videoFeedback lists what registerInterceptors does not add by itself
// (it adds nack, nack pli and transport-cc).
var videoFeedback = []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"}}

// videoCodecs are the video codecs the SFU can forward, by the names the
// --video-codecs flag uses. Both switch simulcast layers at keyframes;
// only VP8 carries picture ids that the munger rewrites.
var videoCodecs = map[string]webrtc.RTPCodecParameters{
	"vp8": {
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback},
		PayloadType:        payloadTypeVP8,
	},
	"h264": {
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFeedback,
			// Constrained baseline, which every browser decodes.
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		},
		PayloadType: payloadTypeH264,
	},
}

// DefaultVideoCodecs is the video codec preference when none is given.
var DefaultVideoCodecs = []string{"vp8", "h264"}

// registerCodecs offers Opus and the video codecs in the order of
// preference given.
func registerCodecs(me *webrtc.MediaEngine, video []string) error {
	opus := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1;usedtx=1",
		},
		PayloadType: payloadTypeOpus,
	}
	if err := me.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("register Opus: %w", err)
	}
	if len(video) == 0 {
		video = DefaultVideoCodecs
	}
	for _, name := range video {
		c, ok := videoCodecs[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return fmt.Errorf("video codec %q is not supported (supported: vp8, h264)", name)
		}
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// registerRTX offers RTX (RFC 4588) for each video codec. With RTX,
// retransmissions travel on a stream of their own (its own SSRC, payload
// type and sequence numbers, the original sequence number in front of
// the payload), so that receivers tell repairs from media:
// browsers then count them apart from loss and use them as bandwidth
// probes. Up, pion unwraps the publisher's RTX before the SFU reads the
// track (uptrack.go sees repaired packets with their original numbers);
// down, the SFU's retransmitter wraps what it resends (retransmit.go).
// A peer that does not offer RTX gets retransmissions on the media SSRC.
//
// It must come after every RegisterFeedback: pion adds feedback to all
// codecs registered, and an RTX stream takes none (RFC 4588 section 6.3:
// NACKs name the original stream only).
func registerRTX(me *webrtc.MediaEngine, video []string) error {
	if len(video) == 0 {
		video = DefaultVideoCodecs
	}
	for _, name := range video {
		c := videoCodecs[strings.ToLower(strings.TrimSpace(name))] // checked by registerCodecs
		rtx := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeRTX, ClockRate: 90000,
				SDPFmtpLine: fmt.Sprintf("apt=%d", c.PayloadType),
			},
			PayloadType: rtxPayloadTypes[c.PayloadType],
		}
		if err := me.RegisterCodec(rtx, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("register RTX of %s: %w", name, err)
		}
	}
	return nil
}

// registerPipeline registers the interceptors of every connection. The
// estimator comes first, innermost of the chain (pion chains each
// interceptor around the ones added before it): what the retransmitter
// resends then passes through it, so that a retransmission gets a
// transport-wide sequence number of its own and counts as sent.
func registerPipeline(me *webrtc.MediaEngine, reg *interceptor.Registry, bw BandwidthConfig, estimators chan<- *estimator, sh *pipelineShared) error {
	if err := registerCongestionControl(me, reg, bw, estimators, sh.links); err != nil {
		return fmt.Errorf("congestion control: %w", err)
	}
	return registerInterceptors(me, reg, sh)
}

// pipelineShared is what the interceptors of all an engine's connections
// share.
type pipelineShared struct {
	links  *downlinks    // each connection's estimator, for its round trip
	resent *resendCounts // the retransmissions, for the metrics
	rtx    *rtxStats     // the down tracks' RTX SSRCs, counted
	// rtxConns hands each new connection's RTX SSRCs to its
	// retransmitter (streambuffers.go; Engine.newPeerConnection).
	rtxConns chan *rtxSSRCs
	// sources hands each video down track to its retransmitter.
	sources *resendSources
	// logs is where pion's interceptors log (sfu/pionlog).
	logs logging.LoggerFactory
	// losses are the publishers' audio streams whose receiver reports
	// carry their subscribers' loss (lossfeedback.go).
	losses *audioLosses
}

func newPipelineShared() *pipelineShared {
	return &pipelineShared{links: newDownlinks(), resent: &resendCounts{}, rtx: &rtxStats{}, rtxConns: make(chan *rtxSSRCs, 1), sources: &resendSources{}, logs: pionlog.Factory{}, losses: newAudioLosses()}
}

// registerInterceptors builds the per-packet pipeline explicitly rather
// than taking pion's defaults: NACK generation toward publishers and a
// retransmission cache toward subscribers, RTCP sender and receiver
// reports, and transport-wide congestion feedback so that browsers can
// estimate their upload bandwidth.
func registerInterceptors(me *webrtc.MediaEngine, reg *interceptor.Registry, sh *pipelineShared) error {
	// Toward subscribers, the SFU's own retransmitter (retransmit.go),
	// whose cache follows the round trip: pion's responder kept 256 or
	// 1024 packets per down track whatever the network, most of the
	// server's memory (docs/performance.md).
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	reg.Add(&retransmitterFactory{links: sh.links, resent: sh.resent, rtxConns: sh.rtxConns, sources: sh.sources})
	// Toward publishers, a NACK generator that counts what comes back
	// over RTX as received (nackgen; pion's would ask again and again).
	reg.Add(nackgen.Factory{})
	// Receiver reports from pion, with the subscribers' loss of audio
	// (lossfeedback.go, registered first to see what pion's writes);
	// sender reports from the SFU's own interceptor (reports.go), which
	// costs less per packet forwarded.
	reg.Add(lossFeedbackFactory{losses: sh.losses})
	receiverReports, err := report.NewReceiverInterceptor(report.WithReceiverLoggerFactory(sh.logs))
	if err != nil {
		return fmt.Errorf("configure RTCP reports: %w", err)
	}
	reg.Add(receiverReports)
	reg.Add(senderReportFactory{})
	if err := webrtc.ConfigureTWCCSenderWithOptions(me, reg, twcc.WithLoggerFactory(sh.logs)); err != nil {
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
