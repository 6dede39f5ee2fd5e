package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// maxPacketSize bounds one received RTP packet; browsers keep packets
// under the path MTU, about 1200 bytes.
const maxPacketSize = 1500

// UpTrack is one publisher's track as it arrives at the server, with the
// down tracks it is copied to.
type UpTrack struct {
	publisherID string
	remote      *webrtc.TrackRemote
	receiver    *webrtc.RTPReceiver
	keyframes   *keyframeRequester
	stats       trackStats
	latency     *latencyHistogram // shared by the manager's tracks; nil in unit tests

	// downs is replaced, never modified, so the forwarding loop reads it
	// without a lock; mu serializes the replacements.
	downs atomic.Pointer[[]*DownTrack]
	mu    sync.Mutex

	done chan struct{}
}

func newUpTrack(publisherID string, remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver,
	writeRTCP func([]rtcp.Packet) error) *UpTrack {
	t := &UpTrack{
		publisherID: publisherID,
		remote:      remote,
		receiver:    receiver,
		done:        make(chan struct{}),
	}
	t.downs.Store(&[]*DownTrack{})
	ssrc := uint32(remote.SSRC())
	t.keyframes = newKeyframeRequester(func() {
		t.stats.keyframeRequestsOut.Add(1)
		_ = writeRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
	})
	return t
}

// Kind tells audio from video.
func (t *UpTrack) Kind() webrtc.RTPCodecType { return t.remote.Kind() }

// PublisherID is the participant that publishes this track.
func (t *UpTrack) PublisherID() string { return t.publisherID }

// requestKeyframe asks the publisher for a keyframe, throttled.
func (t *UpTrack) requestKeyframe() {
	if t.Kind() == webrtc.RTPCodecTypeVideo {
		t.keyframes.request()
	}
}

func (t *UpTrack) addDown(d *DownTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.downs.Load()
	next := make([]*DownTrack, 0, len(old)+1)
	next = append(append(next, old...), d)
	t.downs.Store(&next)
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
}

// forward reads the publisher's packets until the track ends and copies
// each to every down track. It runs in its own goroutine, one per up
// track, and returns when the publisher's connection or track closes.
func (t *UpTrack) forward() {
	defer close(t.done)
	defer t.keyframes.stop()
	go t.drainRTCP()

	buf := make([]byte, maxPacketSize)
	var pkt rtp.Packet
	for i := uint(0); ; i++ {
		n, _, err := t.remote.Read(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		t.stats.packetsIn.Add(1)
		t.stats.bytesIn.Add(uint64(n))
		if t.latency != nil && i%latencySampleEvery == 0 {
			start := time.Now()
			t.fanOut(&pkt)
			t.latency.observe(time.Since(start))
			continue
		}
		t.fanOut(&pkt)
	}
}

// fanOut writes one packet to every down track. It is the hot path: it
// allocates nothing, takes no lock and starts no goroutine.
func (t *UpTrack) fanOut(pkt *rtp.Packet) {
	if len(pkt.Payload) == 0 {
		return // padding-only probe: meaningless to subscribers
	}
	downs := *t.downs.Load()
	sent := 0
	for _, d := range downs {
		if d.writeRTP(pkt) {
			sent++
		}
	}
	t.stats.packetsOut.Add(uint64(sent))
	t.stats.bytesOut.Add(uint64(sent * (pkt.MarshalSize())))
}

// drainRTCP reads the publisher's RTCP (sender reports) so that pion's
// interceptors see it; it ends with the receiver.
func (t *UpTrack) drainRTCP() {
	buf := make([]byte, maxPacketSize)
	for {
		if _, _, err := t.receiver.Read(buf); err != nil {
			return
		}
	}
}
