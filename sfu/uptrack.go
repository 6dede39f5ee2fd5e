package sfu

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu/nackgen"
	"github.com/plenum-meet/plenum/sfu/speaker"
	"github.com/plenum-meet/plenum/sfu/vp8"
)

// maxPacketSize bounds one received RTP packet; browsers keep packets
// under the path MTU, about 1200 bytes.
const maxPacketSize = 1500

// maxLayers is the number of simulcast layers the SFU handles: low,
// medium and high, as browsers send them.
const maxLayers = 3

// layerSilence is how long a layer may send nothing before it counts as
// gone (paused by the publisher, or dropped by its encoder for lack of
// bandwidth or CPU). Video sends at least a few packets a second.
const layerSilence = time.Second

// layerIndex orders simulcast layers by their rid. The web client uses
// q, h and f (quarter, half, full), as LiveKit and Jitsi do.
func layerIndex(rid string) int {
	switch rid {
	case "h", "m", "mid", "1":
		return 1
	case "f", "hi", "high", "2":
		return 2
	}
	return 0
}

// batchedSends is what forwarding needs of the engine's batched sockets
// (Engine, batchConn).
type batchedSends interface {
	// hold and release bracket a fan-out: its writes are queued, and
	// release has them sent as soon as the sockets' flusher runs.
	hold()
	release()
	// flush sends what is queued.
	flush()
}

// UpTrack is one publisher's track as it arrives at the server: a
// single stream, or up to three simulcast layers of the same picture,
// with the down tracks it is copied to.
type UpTrack struct {
	publisherID string
	mid         string // the publisher's name for the track: its transceiver's media id
	kind        webrtc.RTPCodecType
	mimeType    string
	latency     *latencyHistogram // shared by the manager's tracks; nil in unit tests
	metrics     *metrics
	// sends are the engine's batched sockets; nil in unit tests.
	sends batchedSends
	// screen marks a screen share's picture or sound (see screen.go);
	// budget is what its one layer is assumed to cost before it is
	// measured (0: as a camera's).
	screen bool
	budget int

	layers [maxLayers]atomic.Pointer[upLayer]

	// downs is replaced, never modified, so the forwarding loops read it
	// without a lock; mu serializes the replacements.
	downs atomic.Pointer[[]*DownTrack]
	mu    sync.Mutex

	// loops counts the layers' forwarding loops, under loopMu; done is
	// closed when the count falls back to zero, and the track is then
	// over: a layer that comes after is refused (startLoop). A WaitGroup
	// would not do: a late layer's Add racing the last loop's Done would
	// panic the waiter ("WaitGroup is reused before previous Wait has
	// returned") and start a loop for a track already unpublished.
	loopMu sync.Mutex
	loops  int
	done   chan struct{}

	// demand tells the publisher which layers subscribers need.
	demand *layerDemand

	// audioLevelID is the negotiated id of the audio-level header
	// extension (RFC 6464), 0 if none; observeLevel receives its values.
	audioLevelID uint8
	observeLevel func(level uint8, voice bool, now time.Time)
}

// upLayer is one simulcast layer (or the only stream) of an up track.
type upLayer struct {
	index  int
	remote *webrtc.TrackRemote
	// ssrc is the stream the layer reads: pion may hand a layer a new
	// one in the same TrackRemote (addLayer).
	ssrc      uint32
	keyframes *keyframeRequester
	stats     trackStats
	lastNs    atomic.Int64 // arrival of the last packet
	height    atomic.Int32 // from the last keyframe; 0 until one is seen
	bitrate   atomic.Int64 // bits/s over the last rateWindow
	rate      rateMeter    // only the forwarding goroutine touches it
	// store keeps the recent packets of a video layer for the
	// retransmissions its subscribers ask for (nil for audio).
	store *upStore
	// busy is set while the forwarding loop handles a packet; replaces
	// is the layer whose place this one took on a new SSRC (nil for the
	// first), whose loop must have let go of its packet before this
	// one's starts: both write the down tracks' scratch of the layer.
	busy     atomic.Bool
	replaces *upLayer
}

// rateWindow is the period over which a layer's bitrate is measured:
// long enough to span several keyframe-less frames, short enough to
// follow an encoder that adapts.
const rateWindow = time.Second

// rateGap is how long a layer may send nothing before its rate is
// measured afresh: a window that spans a pause (the camera off, a layer
// nobody wanted) would spread a second's bytes over the whole silence.
// Twice the window, so that a stream of a frame a second (a still
// screen share) is still measured.
const rateGap = 2 * rateWindow

// rateMeter measures a bitrate over consecutive windows.
type rateMeter struct {
	start time.Time
	bytes int
	last  time.Time // when bytes last came
}

// add counts n bytes at now and returns the bitrate of the window that
// just ended, or -1 while it runs. After a silence longer than rateGap
// a new window starts: the rate of the last full window stands until
// the stream has been measured again.
func (m *rateMeter) add(n int, now time.Time) int64 {
	if m.start.IsZero() || now.Sub(m.last) > rateGap {
		m.start, m.bytes = now, 0
	}
	if n > 0 {
		m.last = now
	}
	m.bytes += n
	elapsed := now.Sub(m.start)
	if elapsed < rateWindow {
		return -1
	}
	bps := int64(m.bytes) * 8 * int64(time.Second) / int64(elapsed)
	m.start, m.bytes = now, 0
	return bps
}

// measure counts n bytes of the layer's media, arrived at now, toward
// its bitrate.
func (l *upLayer) measure(n int, now time.Time) {
	if bps := l.rate.add(n, now); bps >= 0 {
		l.bitrate.Store(bps)
	}
}

func newUpTrack(publisherID string, remote *webrtc.TrackRemote) *UpTrack {
	t := &UpTrack{
		publisherID: publisherID,
		kind:        remote.Kind(),
		mimeType:    remote.Codec().MimeType,
		done:        make(chan struct{}),
	}
	t.downs.Store(&[]*DownTrack{})
	return t
}

// Kind tells audio from video.
func (t *UpTrack) Kind() webrtc.RTPCodecType { return t.kind }

// Screen reports whether the track is (part of) a screen share.
func (t *UpTrack) Screen() bool { return t.screen }

// PublisherID is the participant that publishes this track.
func (t *UpTrack) PublisherID() string { return t.publisherID }

// addLayer starts forwarding one layer. writeRTCP sends RTCP to the
// publisher. It returns false if the layer is known already, on the
// same SSRC.
//
// A known layer comes again on a new SSRC when a stream of its rid that
// pion had not seen arrives (a sender that started afresh): pion points
// the layer's TrackRemote at the new stream and fires OnTrack again
// with it (webrtc v4.2.26, RTPReceiver.receiveForRid). The layer's loop
// waits on the old stream, which sends no more, and its keyframe
// requests name the old SSRC: a new layer takes its place, and the old
// one's loop ends as soon as it wakes (forward).
func (t *UpTrack) addLayer(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver,
	writeRTCP func([]rtcp.Packet) error) (*upLayer, bool) {
	l := &upLayer{index: layerIndex(remote.RID()), remote: remote, ssrc: uint32(remote.SSRC())}
	if t.kind == webrtc.RTPCodecTypeVideo {
		l.store = newUpStore()
	}
	l.keyframes = newKeyframeRequester(func() {
		l.stats.keyframeRequestsOut.Add(1)
		_ = writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
	})
	old := t.layers[l.index].Load()
	if old != nil {
		if old.ssrc == l.ssrc {
			return nil, false
		}
		// What is known of the layer stands until the new stream tells.
		l.height.Store(old.height.Load())
		l.bitrate.Store(old.bitrate.Load())
		l.replaces = old
	}
	if !t.startLoop() {
		return nil, false
	}
	if !t.layers[l.index].CompareAndSwap(old, l) {
		t.endLoop()
		return nil, false
	}
	if t.metrics != nil {
		t.metrics.track(&l.stats)
	}
	go t.drainRTCP(receiver, l)
	return l, true
}

// startLoop counts one more forwarding loop, unless the track is over.
func (t *UpTrack) startLoop() bool {
	t.loopMu.Lock()
	defer t.loopMu.Unlock()
	select {
	case <-t.done:
		return false
	default:
	}
	t.loops++
	return true
}

// endLoop counts a forwarding loop out; the last one ends the track.
func (t *UpTrack) endLoop() {
	t.loopMu.Lock()
	defer t.loopMu.Unlock()
	t.loops--
	if t.loops == 0 {
		close(t.done)
	}
}

// replaced reports whether another layer took l's place (addLayer).
func (t *UpTrack) replaced(l *upLayer) bool { return t.layers[l.index].Load() != l }

// layer returns layer i, or nil.
func (t *UpTrack) layer(i int) *upLayer {
	if i < 0 || i >= maxLayers {
		return nil
	}
	return t.layers[i].Load()
}

// topLayer is the highest layer the publisher sends, -1 before any.
func (t *UpTrack) topLayer() int {
	for i := maxLayers - 1; i >= 0; i-- {
		if t.layer(i) != nil {
			return i
		}
	}
	return -1
}

// requestKeyframe asks the publisher for a keyframe on layer i,
// throttled, and reports whether that made a new request (none was
// waiting to be sent).
func (t *UpTrack) requestKeyframe(i int) bool {
	if l := t.layer(i); l != nil && t.kind == webrtc.RTPCodecTypeVideo {
		return l.keyframes.request()
	}
	return false
}

// isKeyframe reports whether a payload of this track starts a keyframe,
// where a subscriber can start decoding or change layers.
func (t *UpTrack) isKeyframe(payload []byte) bool {
	switch {
	case t.kind != webrtc.RTPCodecTypeVideo:
		return true
	case strings.EqualFold(t.mimeType, webrtc.MimeTypeH264):
		return isH264Keyframe(payload)
	default:
		return vp8.IsKeyframe(payload)
	}
}

// isVP8 tells whether payloads carry VP8 descriptors to rewrite.
func (t *UpTrack) isVP8() bool { return strings.EqualFold(t.mimeType, webrtc.MimeTypeVP8) }

// layerBitrate is what layer i costs a subscriber, bits/s: as measured,
// or as browsers typically send it before it is measured.
func (t *UpTrack) layerBitrate(i int) int {
	if t.screen {
		// A screen share is sent in one layer: whatever layer the
		// allocator asks about, that one is what would be sent.
		i = 0
	}
	if l := t.layer(i); l != nil {
		if bps := l.bitrate.Load(); bps > 0 {
			return int(bps)
		}
	}
	if t.kind == webrtc.RTPCodecTypeAudio {
		return audioReserve
	}
	if t.budget > 0 {
		return t.budget
	}
	return []int{150_000, 500_000, 1_500_000}[max(0, min(i, maxLayers-1))]
}

// bestLayer picks the layer for a subscriber that shows the picture at
// most maxHeight pixels high: the smallest live layer at least that
// high, or the highest live layer if none is, never above limit (what
// its bandwidth allows). maxHeight 0 means no limit; a negative one
// means the picture is hidden and wants nothing.
func (t *UpTrack) bestLayer(maxHeight, limit int, now time.Time) int {
	if maxHeight < 0 {
		return -1
	}
	best := -1
	for i := range min(limit+1, maxLayers) {
		l := t.layer(i)
		if l == nil || now.Sub(time.Unix(0, l.lastNs.Load())) > layerSilence {
			continue
		}
		best = i
		if maxHeight > 0 && int(l.height.Load()) >= maxHeight {
			return i
		}
	}
	return best
}

// sendingLayer is the highest layer up to limit that sent media in the
// last rateGap, -1 if none did. A layer that did not is stopped (a
// camera turned off, a layer dropped by its encoder), rather than a
// still screen share, which may send no more than a frame a second.
func (t *UpTrack) sendingLayer(limit int, now time.Time) int {
	for i := min(limit, maxLayers-1); i >= 0; i-- {
		if l := t.layer(i); l != nil && now.Sub(time.Unix(0, l.lastNs.Load())) <= rateGap {
			return i
		}
	}
	return -1
}

// sending reports whether any layer sent media in the last rateGap.
func (t *UpTrack) sending(now time.Time) bool { return t.sendingLayer(maxLayers-1, now) >= 0 }

func (t *UpTrack) addDown(d *DownTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.downs.Load()
	next := make([]*DownTrack, 0, len(old)+1)
	next = append(append(next, old...), d)
	t.downs.Store(&next)
	t.updateDemandUnlocked()
}

func (t *UpTrack) removeDown(d *DownTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.downs.Load()
	next := make([]*DownTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			next = append(next, x)
		}
	}
	t.downs.Store(&next)
	t.updateDemandUnlocked()
}

// updateDemand recomputes the highest layer any subscriber wants.
func (t *UpTrack) updateDemand() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.updateDemandUnlocked()
}

func (t *UpTrack) updateDemandUnlocked() {
	if t.demand == nil {
		return
	}
	highest := -1
	for _, d := range *t.downs.Load() {
		highest = max(highest, d.wantedLayer())
	}
	t.demand.set(highest)
}

// forward reads one layer's packets until it ends and copies each to
// every down track. It runs in its own goroutine, one per layer, and
// returns when the publisher's connection or track closes.
func (t *UpTrack) forward(l *upLayer) {
	defer t.endLoop()
	defer l.keyframes.stop()
	if t.metrics != nil {
		defer t.metrics.retire(&l.stats)
	}

	if old := l.replaces; old != nil {
		for old.busy.Load() {
			time.Sleep(time.Millisecond) // one packet's handling at most
		}
		l.replaces = nil
	}
	buf := make([]byte, maxPacketSize)
	var pkt rtp.Packet
	isVP8 := t.isVP8()
	for i := uint(0); ; i++ {
		l.busy.Store(false)
		n, attr, err := l.remote.Read(buf)
		if err != nil {
			return
		}
		l.busy.Store(true)
		if t.replaced(l) {
			// A layer on a new SSRC reads the stream now. The packet,
			// if it was of the new stream, is asked for again (NACK).
			l.busy.Store(false)
			return
		}
		// Repaired over RTX: pion unwrapped it, original number and all;
		// for the rest of the path it is a late packet.
		repaired := attr != nil && attr.Get(webrtc.AttributeRtxSsrc) != nil
		if repaired {
			l.stats.repairedIn.Add(1)
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		if repaired {
			// The NACK generator sees only the RTX stream's numbers.
			nackgen.Received(attr, uint32(l.remote.SSRC()), pkt.SequenceNumber)
		}
		now := time.Now()
		if len(pkt.Payload) > 0 && !repaired {
			// Padding (bandwidth probes) keeps coming from a layer the
			// encoder has stopped, and so may old media resent over RTX
			// (browsers probe with it): only new media says the layer is
			// live.
			l.lastNs.Store(now.UnixNano())
		}
		l.stats.packetsIn.Add(1)
		l.stats.bytesIn.Add(uint64(n))
		media := n
		if repaired {
			// Not what the layer costs a subscriber: browsers resend
			// hundreds of old packets a second over RTX to probe their
			// uplink, and the munger drops them as duplicates.
			media = 0
		}
		l.measure(media, now)
		if t.audioLevelID != 0 {
			if ext := pkt.GetExtension(t.audioLevelID); ext != nil {
				if level, voice, err := speaker.ParseAudioLevel(ext); err == nil {
					t.observeLevel(level, voice, now)
				}
			}
		}
		if isVP8 {
			t.noteSize(l, pkt.Payload, repaired)
		}
		if l.store != nil {
			l.store.add(&pkt, repaired)
		}
		t.fanOut(&pkt, l, repaired, now)
		if t.latency != nil && i%latencySampleEvery == 0 {
			t.latency.observe(time.Since(now))
		}
	}
}

// noteSize records the picture height of layer l from a VP8 payload,
// if it starts a keyframe. Only a new keyframe tells the size the layer
// has now: one resent over RTX (browsers resend old packets to probe
// their uplink) may be from before a change of resolution.
func (t *UpTrack) noteSize(l *upLayer, payload []byte, repaired bool) {
	if repaired || !vp8.IsKeyframe(payload) {
		return
	}
	if _, h, err := vp8.KeyframeSize(payload); err == nil && l.height.Swap(int32(h)) != int32(h) {
		// Views may have come before this layer's size was known:
		// what subscribers need can change now.
		t.updateDemand()
	}
}

// fanOut writes one packet of layer l to every down track; repaired
// says it came over RTX, late. It is the hot path: it allocates
// nothing, holds no lock across a write and starts no goroutine.
func (t *UpTrack) fanOut(pkt *rtp.Packet, l *upLayer, repaired bool, now time.Time) {
	downs := *t.downs.Load()
	if t.sends != nil {
		t.sends.hold()
	}
	sent, bytes := 0, 0
	for _, d := range downs {
		if n := d.writeRTP(pkt, l, repaired, now); n > 0 {
			sent++
			bytes += n
		}
	}
	if t.sends != nil {
		t.sends.release() // the copies go out together, with the rest of a burst
	}
	l.stats.packetsOut.Add(uint64(sent))
	l.stats.bytesOut.Add(uint64(bytes))
}

// drainRTCP reads the publisher's RTCP (sender reports) for layer l so
// that pion's interceptors see it; it ends with the receiver, or when a
// layer on a new SSRC took l's place (its own drain reads then).
func (t *UpTrack) drainRTCP(receiver *webrtc.RTPReceiver, l *upLayer) {
	// Read, not ReadRTCP: nothing here needs the packets parsed, nor a
	// new buffer per read.
	buf := make([]byte, maxPacketSize)
	rid := l.remote.RID()
	for {
		var err error
		if rid == "" {
			_, _, err = receiver.Read(buf)
		} else {
			_, _, err = receiver.ReadSimulcast(buf, rid)
		}
		if err != nil || t.replaced(l) {
			return
		}
	}
}
