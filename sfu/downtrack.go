package sfu

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu/munger"
)

// DownTrack is the copy of an up track sent to one subscriber. It
// implements webrtc.TrackLocal so that pion negotiates it like any other
// track. Of a simulcast track it forwards one layer at a time, moving
// between layers at keyframes; its munger makes the layers one
// continuous stream, and the SSRC and payload type are rewritten to
// what was negotiated with the subscriber.
type DownTrack struct {
	up       *UpTrack
	id       string
	streamID string
	sender   *webrtc.RTPSender

	binding atomic.Pointer[downBinding]

	// maxHeight is the subscriber's wish: the height at which it shows
	// the picture (0: no limit, negative: hidden, send nothing).
	maxHeight atomic.Int32
	// bwCap is the highest layer the subscriber's bandwidth allows (-1:
	// none), set by its allocator.
	bwCap atomic.Int32

	// mu guards the layer choice and the munger. It is held while a
	// packet is rewritten, never while it is written to the network.
	mu      sync.Mutex
	current int // layer being forwarded, -1 for none
	target  int // layer wanted, -1 for none
	munger  *munger.Munger
	// sent is what the track sent of video, for retransmissions, once
	// its connection's retransmitter took it from sources (nil in unit
	// tests).
	sent    sentLog
	sources *resendSources
	// repair is the keyframe asked for packets the subscriber lost and
	// the server could not resend (lossrepair.go).
	repair lossRepair

	// scratch holds one rewritten packet per layer: each layer's
	// forwarding goroutine uses only its own, so after the rewrite the
	// write needs no lock, and nothing is allocated per packet. Each is
	// made at its layer's first packet, with room for a payload only for
	// VP8, whose descriptor is rewritten: most down tracks use one
	// layer, and audio copies no payload (5 KB a track before).
	scratch [maxLayers]*downScratch
	// padHdr is the header of the padding probes (writePadding), which
	// only the subscriber's allocator sends.
	padHdr rtp.Header
	// loss is what the subscriber last reported of this audio track's
	// loss (downloss.go).
	loss reportedLoss
}

type downScratch struct {
	hdr     rtp.Header
	ext     [4]rtp.Extension
	payload []byte // VP8 only: maxPacketSize
}

type downBinding struct {
	ssrc        uint32
	payloadType uint8
	// rtxSSRC is the RTX stream's (0: RTX not negotiated), where probe
	// padding goes.
	rtxSSRC uint32
	writer  webrtc.TrackLocalWriter
}

func newDownTrack(up *UpTrack) *DownTrack {
	kind := up.Kind().String()
	clock := uint32(90000)
	if up.Kind() == webrtc.RTPCodecTypeAudio {
		clock = 48000
	}
	d := &DownTrack{
		up:       up,
		id:       kind + "-" + up.publisherID + "-" + up.mid,
		streamID: viewKey(up.publisherID, up.screen),
		current:  -1,
		target:   maxLayers - 1,
		munger:   munger.New(munger.Config{ClockRate: clock, VP8: up.isVP8()}),
	}
	d.bwCap.Store(maxLayers - 1)
	return d
}

// Bind is called by pion when negotiation has settled on a codec.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, d.up.mimeType) {
			d.binding.Store(&downBinding{
				ssrc:        uint32(ctx.SSRC()),
				payloadType: uint8(c.PayloadType),
				rtxSSRC:     uint32(ctx.SSRCRetransmission()),
				writer:      ctx.WriteStream(),
			})
			if d.sources != nil && d.up.kind == webrtc.RTPCodecTypeVideo {
				// For the retransmitter that pion binds next, under the
				// same id (RTPSender.Send). Not after a ReplaceTrack,
				// which binds no interceptor: the SFU makes none.
				d.sources.offer(ctx.ID(), d)
			}
			// A new subscriber needs a keyframe to show anything.
			d.up.requestKeyframe(d.wantedLayer())
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind is called by pion when the track stops being sent.
func (d *DownTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	d.binding.Store(nil)
	if d.sources != nil {
		d.sources.withdraw(ctx.ID(), d)
	}
	return nil
}

// ID is unique per publisher and track: kind-publisher-mid.
func (d *DownTrack) ID() string { return d.id }

// RID is empty: a down track is a single stream.
func (d *DownTrack) RID() string { return "" }

// StreamID is the publisher's participant id, which clients use to put
// the track on the right tile, followed by ScreenStreamSuffix for a
// screen share.
func (d *DownTrack) StreamID() string { return d.streamID }

// Kind tells audio from video.
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.up.Kind() }

// SetMaxHeight records at what height the subscriber shows the picture
// (0: no limit, negative: hidden) and moves to the layer that fits.
func (d *DownTrack) SetMaxHeight(h int) {
	if int(d.maxHeight.Swap(int32(h))) == h {
		return
	}
	d.mu.Lock()
	d.retargetUnlocked(time.Now())
	d.mu.Unlock()
	d.up.updateDemand()
}

// setBandwidthCap limits the layer to what the subscriber's bandwidth
// allows (-1 pauses the track) and returns the limit it replaces.
func (d *DownTrack) setBandwidthCap(layer int) (before int) {
	if before = int(d.bwCap.Swap(int32(layer))); before == layer {
		return before
	}
	d.mu.Lock()
	d.retargetUnlocked(time.Now())
	d.mu.Unlock()
	return before
}

// wantedLayer is the layer the subscriber would take if it were sent:
// what the publisher must keep encoding for it.
func (d *DownTrack) wantedLayer() int {
	h := int(d.maxHeight.Load())
	if h < 0 {
		return -1
	}
	if d.up.Kind() != webrtc.RTPCodecTypeVideo || h == 0 {
		return maxLayers - 1
	}
	// Choose among every layer the publisher can send, paused or not:
	// a paused layer must resume if this subscriber needs it.
	for i := range maxLayers {
		l := d.up.layer(i)
		if l != nil && int(l.height.Load()) >= h {
			return i
		}
	}
	return maxLayers - 1
}

// retargetUnlocked chooses the layer to forward from what the subscriber
// wants and what the publisher sends, and asks for a keyframe there.
func (d *DownTrack) retargetUnlocked(now time.Time) {
	limit := int(d.bwCap.Load())
	if d.up.Kind() != webrtc.RTPCodecTypeVideo {
		limit = maxLayers - 1 // audio is never capped
	}
	target := -1
	if limit >= 0 {
		target = d.up.bestLayer(int(d.maxHeight.Load()), limit, now)
	}
	if target == d.target {
		return
	}
	d.target = target
	if target >= 0 && target != d.current {
		d.up.requestKeyframe(target)
	}
}

// writeRTP sends one packet of layer l to the subscriber, if l is the
// layer being forwarded, and returns the bytes sent (0 if none).
// Header extensions are not forwarded: their ids were negotiated with
// the publisher and mean something else, or nothing, to the subscriber.
func (d *DownTrack) writeRTP(pkt *rtp.Packet, l *upLayer, repaired bool, now time.Time) int {
	b := d.binding.Load()
	if b == nil {
		return 0
	}
	s := d.scratch[l.index]
	if s == nil {
		s = &downScratch{}
		if d.up.isVP8() {
			s.payload = make([]byte, maxPacketSize)
		}
		d.scratch[l.index] = s
	}
	payload, ok := d.rewrite(pkt, l, s, repaired, now)
	if !ok {
		return 0
	}
	s.hdr.SSRC = b.ssrc
	s.hdr.PayloadType = b.payloadType
	s.hdr.Padding = false
	s.hdr.PaddingSize = 0
	s.hdr.Extension = false
	s.hdr.Extensions = s.ext[:0]
	s.hdr.CSRC = nil // the publisher's contributors mean nothing here
	n, err := b.writer.WriteRTP(&s.hdr, payload)
	if err != nil {
		return 0
	}
	if n == 0 {
		// Pion drops, without an error, what is written before the
		// connection's SRTP keys are agreed: the keyframe the down
		// track started at is lost, and what follows cannot be
		// decoded. It starts again at the next keyframe.
		d.mu.Lock()
		d.stopUnlocked()
		d.mu.Unlock()
		return 0
	}
	return s.hdr.MarshalSize() + len(payload)
}

// rewrite decides whether the packet goes to this subscriber and, if so,
// rewrites a copy of it into s. repaired says it came late, over RTX.
func (d *DownTrack) rewrite(pkt *rtp.Packet, l *upLayer, s *downScratch, repaired bool, now time.Time) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.maxHeight.Load() < 0 && d.up.kind == webrtc.RTPCodecTypeVideo {
		// Hidden (a tile off screen, audio-only mode): not even the
		// current layer goes on, even while others keep the publisher
		// sending it; showing it again waits for a keyframe, as a layer
		// switch does.
		d.stopUnlocked()
		return nil, false
	}
	if d.target < 0 && d.up.kind == webrtc.RTPCodecTypeVideo {
		// Paused, most often for lack of bandwidth: the current layer
		// stops too (it used to go on until another layer's keyframe,
		// which never comes). The choice is made again first, in case
		// it was made while the layers were silent.
		d.retargetUnlocked(now)
		if d.target < 0 {
			d.stopUnlocked()
			return nil, false
		}
	}
	if l.index != d.current || !d.munger.Follows(&pkt.Header) {
		// A layer is joined only on a new keyframe: an old one resent
		// over RTX (browsers resend old packets to probe their uplink)
		// would anchor the switch at its old number and time, and what
		// followed it was dropped as another layer's. So is the current
		// layer again when its publisher started it afresh.
		if repaired || !d.switchUnlocked(pkt, l, now) {
			return nil, false
		}
	}
	s.hdr = pkt.Header
	if len(pkt.Payload) == 0 {
		// Padding (bandwidth probes): drop it without leaving a hole in
		// the sequence numbers, unless it is a late one the munger
		// wants numbered as it was.
		if d.munger.Skip(&s.hdr) {
			return nil, false
		}
	}
	payload := pkt.Payload
	if d.up.isVP8() {
		// The VP8 descriptor is rewritten per subscriber: work on a copy.
		payload = s.payload[:copy(s.payload, pkt.Payload)]
	}
	if !d.munger.Rewrite(&s.hdr, payload, now) {
		return nil, false
	}
	if d.sent.rtt != nil && l.store != nil {
		key := len(payload) > 0 && d.up.isKeyframe(payload)
		d.sent.note(l.store, pkt.SequenceNumber, &s.hdr, payload, key)
		if key {
			d.keyframeSentUnlocked()
		}
	}
	return payload, true
}

// stopUnlocked stops forwarding until a layer is joined again, at a
// keyframe (switchUnlocked).
func (d *DownTrack) stopUnlocked() {
	if d.current >= 0 {
		d.current = -1
		d.munger.Pause()
	}
}

// switchUnlocked handles a packet of a layer other than the current one,
// or of the current one started afresh (Munger.Follows): it starts
// forwarding that layer if it is the target and the packet begins a
// keyframe, and reports whether it did.
func (d *DownTrack) switchUnlocked(pkt *rtp.Packet, l *upLayer, now time.Time) bool {
	cur := d.up.layer(d.current)
	if d.target != l.index || cur == nil || now.Sub(time.Unix(0, cur.lastNs.Load())) > layerSilence {
		// The wish may have become possible (a layer resumed) or the
		// current layer may have gone quiet: choose again.
		d.retargetUnlocked(now)
	}
	if d.target != l.index {
		return false
	}
	if !d.up.isKeyframe(pkt.Payload) {
		d.up.requestKeyframe(l.index)
		return false
	}
	d.munger.Switch(&pkt.Header, pkt.Payload, now)
	d.current = l.index
	return true
}

// paddingSize is the padding of one probe packet: the most its last
// byte can count.
const paddingSize = 255

// writePadding sends up to n padding-only packets to probe the
// subscriber's bandwidth (bandwidth.go), and returns the bytes sent. With
// RTX negotiated they go on the RTX stream (the retransmitter numbers
// them), where they leave the media alone. Without, they are numbered in
// the media stream (munger.Pad), which it allows only between frames and
// after something was sent. Only the subscriber's allocator calls it.
func (d *DownTrack) writePadding(n int) int {
	b := d.binding.Load()
	if b == nil || d.up.kind != webrtc.RTPCodecTypeVideo {
		return 0
	}
	sent := 0
	for range n {
		h := &d.padHdr
		*h = rtp.Header{Version: 2, Padding: true, PaddingSize: paddingSize, SSRC: b.ssrc, PayloadType: b.payloadType, Extensions: h.Extensions[:0]}
		d.mu.Lock()
		ok := true
		if b.rtxSSRC != 0 {
			h.SSRC, h.Timestamp = b.rtxSSRC, d.munger.Timestamp()
		} else if ok = d.munger.Pad(h); ok && d.sent.rtt != nil {
			// Noted, so that a NACK of it is answered, not taken for
			// a packet the picture lost (lossrepair.go).
			d.sent.note(nil, 0, h, nil, false)
		}
		d.mu.Unlock()
		if !ok {
			break
		}
		if _, err := b.writer.WriteRTP(h, nil); err != nil {
			break
		}
		sent += h.MarshalSize() + paddingSize
	}
	return sent
}

// readRTCP reads the subscriber's RTCP for this track until the sender
// stops. Reading drives pion's interceptors (the NACK responder among
// them); picture-loss and full-intra requests go to the publisher, and
// the loss it reports of audio to the publisher's receiver reports.
func (d *DownTrack) readRTCP() {
	// One buffer for the track's life, and the packets as the
	// interceptors parsed them (readingRTCP keeps them in the
	// attributes): pion's ReadRTCP allocates a buffer per read and
	// parses every packet a second time.
	buf := make([]byte, maxPacketSize)
	for {
		n, attr, err := d.sender.Read(buf)
		if err != nil {
			return
		}
		pkts, err := attr.GetRTCPPackets(buf[:n])
		if err != nil {
			continue // malformed: the next one may be fine
		}
		resent := false
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.ReceiverReport:
				d.noteReceiverLoss(p.Reports, time.Now())
			case *rtcp.SenderReport:
				d.noteReceiverLoss(p.Reports, time.Now())
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.mu.Lock()
				layer := d.current
				d.mu.Unlock()
				if l := d.up.layer(layer); l != nil {
					l.stats.keyframeRequestsIn.Add(1)
				}
				d.up.requestKeyframe(layer)
			case *rtcp.TransportLayerNack:
				resent = true
				if l := d.up.layer(0); l != nil {
					l.stats.nacksIn.Add(1)
				}
			}
		}
		if resent && d.up.sends != nil {
			// The retransmitter has queued the retransmissions: send them.
			d.up.sends.flush()
		}
	}
}
