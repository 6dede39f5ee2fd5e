package sfu

import "time"

// A subscriber's NACK that the server cannot answer means a broken
// picture: the packet is no longer kept (upstore.go keeps a few round
// trips of each layer), or the connection's resend budget refuses it
// (retransmit.go). Its browser then shows nothing new until a keyframe,
// and asks for one itself only after seconds (libwebrtc waits for a
// decodable frame for about 3 s): one burst of 17 packets lost on a
// weak link froze the picture 3.6 s. The server knows at once, so it
// asks the publisher for a keyframe of the layer that subscriber
// receives, which repairs the picture in about a round trip.
//
// Galène forwards the NACK upstream instead (its cache missed what the
// publisher may still have); LiveKit and Jitsi Videobridge count the
// miss and wait for the subscriber's own PLI. Plenum's misses are of
// packets it did receive, so only a keyframe helps.
//
// Bounded, so that a hostile or very lossy subscriber cannot make a
// publisher send keyframes continuously:
//   - only a packet sent since the last keyframe the subscriber was sent
//     counts: an older one is not needed to decode what comes next, so
//     NACKs repeated after the keyframe (libwebrtc asks up to ten times)
//     ask nothing more;
//   - a down track asks once until a keyframe is sent to it, or again
//     after lossKeyframeRetry if none came (the request or the keyframe
//     lost on the way);
//   - the request goes through the layer's keyframeRequester, at most one
//     per keyframeMinInterval, as a PLI of the subscriber would.

// lossKeyframeRetry is how long a down track that asked for a keyframe
// on a loss waits for one before it may ask again.
const lossKeyframeRetry = time.Second

// keyframeHorizon is how far behind the newest packet sent the last
// keyframe is taken to be at most. A browser's encoder sends keyframes
// only when asked, so a calm meeting may send none for many minutes,
// and sequence numbers, 16 bits, would wrap past it; receivers NACK
// nothing that old (libwebrtc: 10000 packets).
const keyframeHorizon = 1 << 14

// noteOrder moves the newest number sent and the last keyframe's on
// with packet seq; key says it begins a keyframe. A late packet (a
// repair, or padding numbered late) moves neither back.
func (l *sentLog) noteOrder(seq uint16, key bool) {
	if ahead := int16(seq - l.newest); ahead > 0 { //nolint:gosec // modulo 2^16 on purpose
		l.newest = seq
	}
	if key && (!l.keyed || int16(seq-l.keyframe) > 0) { //nolint:gosec // modulo 2^16 on purpose
		l.keyframe, l.keyed = seq, true
	}
	if l.keyed && l.newest-l.keyframe > keyframeHorizon {
		l.keyframe = l.newest - keyframeHorizon
	}
}

// needed reports whether packet seq was sent at or after the first
// packet of the last keyframe: without it the subscriber cannot decode
// what it was sent since.
func (l *sentLog) needed(seq uint16) bool {
	return l.keyed && int16(seq-l.keyframe) >= 0 && int16(l.newest-seq) >= 0 //nolint:gosec // modulo 2^16 on purpose
}

// lossRepair is what a down track remembers of the keyframe it asked
// for on a loss; guarded by the down track's lock.
type lossRepair struct {
	askedAt time.Time // zero: none asked since the last keyframe sent
}

// repairLost asks the publisher for a keyframe of the layer the
// subscriber receives, because the subscriber NACKed packet seq and the
// server could not resend it, if the picture needs that packet and no
// such request is already waiting for its keyframe (see above).
func (d *DownTrack) repairLost(seq uint16, now time.Time) {
	d.mu.Lock()
	layer := d.target
	ask := layer >= 0 && d.sent.needed(seq) &&
		(d.repair.askedAt.IsZero() || now.Sub(d.repair.askedAt) >= lossKeyframeRetry)
	if ask {
		d.repair.askedAt = now
	}
	d.mu.Unlock()
	if !ask {
		return
	}
	if l := d.up.layer(layer); l != nil && d.up.requestKeyframe(layer) {
		l.stats.keyframeRequestsForLoss.Add(1)
	}
}

// keyframeSentUnlocked records that a keyframe went to the subscriber:
// a later loss asks for another at once.
func (d *DownTrack) keyframeSentUnlocked() { d.repair.askedAt = time.Time{} }
