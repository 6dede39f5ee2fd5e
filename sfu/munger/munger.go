// Package munger rewrites the packets of one down track so that a
// succession of simulcast layers reaches the subscriber as a single,
// continuous RTP stream.
//
// Each simulcast layer of a publisher is its own RTP stream, with its
// own SSRC, sequence numbers, timestamps and VP8 picture ids. A
// subscriber receives one layer at a time and is moved between layers
// at keyframes. Its decoder must never notice: sequence numbers must
// go on by one (a gap means loss, and is NACKed), timestamps must keep
// increasing at the clock rate, and VP8 picture ids, TL0PICIDX and key
// indices must go on by one (a gap in picture ids means a lost frame).
//
// A [Munger] keeps, for the layer being forwarded, the offsets that map
// its numbers onto the outgoing stream. [Munger.Switch] computes new
// offsets at the first packet of a new layer, so that its first
// outgoing packet follows the last one sent; [Munger.Rewrite] applies
// them in place; [Munger.Skip] lets the caller drop a packet (padding,
// typically) without leaving a hole in the outgoing sequence numbers,
// the idea of Galène's packetmap; [Munger.Pause] stops the stream
// until the next Switch.
//
// Retransmissions need nothing special: pion delivers RTX packets
// unwrapped, with the original SSRC and sequence number, and they are
// then late packets (forwarded if not sent yet) or duplicates (dropped).
//
// The munger works on positions counted from the switch point rather
// than on raw sequence numbers, so that wraparound of the 16-bit
// sequence number and the 32-bit timestamp needs no special case.
package munger

import (
	"time"

	"github.com/pion/rtp"

	"github.com/plenum-meet/plenum/sfu/vp8"
)

// window is how far, in sequence numbers, a packet may lag behind the
// newest packet of the layer and still be forwarded. Within the window
// the munger remembers which packets it has handled, so it can drop
// duplicates; older packets are dropped because it cannot tell. 512
// packets is half a second of 720p video at 8 Mbit/s and several
// seconds at the rates of lower layers: anything later is past any
// receiver's jitter buffer. Galène's NACK cache holds 128 to 1024
// packets for the same reason. It must be a multiple of 64.
const window = 512

// maxSpans bounds how many offset changes (one per switch, one per run
// of skipped packets) are remembered for late packets. Consecutive
// skips share one span, so this is the number of separate runs of
// padding within the window; if more occur, packets older than the
// oldest span kept are dropped, which is safe: a hole, never a wrong
// number.
const maxSpans = 32

// maxTimestampStep caps the timestamp advance at a switch. After a long
// pause the wall clock would call for any advance at all, but RTP
// receivers compare timestamps modulo 2^32 and read a step of 2^31 or
// more as a step backwards. 2^30 ticks is over three hours at 90 kHz.
const maxTimestampStep = 1 << 30

// alignTolerance is how far ahead of the wall-clock estimate a
// timestamp given to [Munger.SwitchAligned] may lie before it is
// disbelieved. The estimate is off by network jitter and at most a
// frame interval, tens of milliseconds; a mapping a second ahead of it
// comes from a stale or broken sender report.
const alignTolerance = time.Second

// Config describes the stream a Munger rewrites.
type Config struct {
	// ClockRate is the RTP clock rate in Hz: 90000 for video, 48000 for
	// Opus.
	ClockRate uint32
	// VP8 asks for the VP8 payload descriptor to be rewritten too:
	// picture id, TL0PICIDX and key index continue across switches.
	VP8 bool
}

// A Munger rewrites the packets of one down track. It is not safe for
// concurrent use: since pion reads each simulcast layer in its own
// goroutine, the caller must serialize calls, for example with a mutex
// in the down track. The zero Munger is not usable; call [New].
type Munger struct {
	clockRate uint32
	vp8       bool

	// The layer being forwarded, chosen by the last Switch.
	active  bool
	ssrc    uint32
	highest uint16 // newest sequence number handled on the layer
	// depth is the position of highest, counted in sequence numbers
	// from the switch point (position 0); -1 before the first packet.
	depth int64
	// seen has bit s%window set if packet s, no more than window
	// behind highest, was forwarded or skipped.
	seen [window / 64]uint64
	// spans is a ring of the sequence-number offsets in force from
	// given positions on; last is the newest, n how many are kept.
	spans     [maxSpans]span
	last, n   int
	tsOffset  uint32
	pidOffset uint16
	tl0Offset uint8
	keyOffset uint8

	// The packet sent with the highest outgoing sequence number,
	// whatever its layer: where the next layer continues from.
	sent    bool
	outSeq  uint16
	outTS   uint32
	outTSAt time.Time // when outTS was first sent
	// outEnd says the packet with outSeq ended a frame (marker bit):
	// padding may follow it without splitting a frame.
	outEnd bool
	hasPID bool
	outPID uint16 // modulo 2^15 or 2^7, by the width it was sent with
	hasTL0 bool
	outTL0 uint8
	hasKey bool
	outKey uint8
}

// span says that from position at on, off is added to incoming
// sequence numbers.
type span struct {
	at  int64
	off uint16
}

// New returns a Munger for a stream described by c. Until the first
// call to Switch it forwards nothing.
func New(c Config) *Munger {
	return &Munger{clockRate: c.ClockRate, vp8: c.VP8}
}

// Switch makes the layer of hdr the one forwarded, from hdr on. It must
// be called with the first packet of a keyframe of that layer (for VP8,
// one for which vp8.IsKeyframe is true), which the caller then passes
// to Rewrite like any other. now is the packet's arrival time.
//
// The offsets are chosen so that the first packet of the new layer
// follows the last packet sent: its sequence number is the last one
// plus one, and its picture id, TL0PICIDX and key index are the last
// ones plus one. Its timestamp is the last one plus the wall-clock time
// elapsed since that timestamp was first sent, converted at the clock
// rate: the two layers come from the same camera, so the time between
// their frames on the wire approximates the time between their
// captures. The advance is at least one tick, because a timestamp
// equal to the previous one would make the receiver's jitter buffer
// glue the new keyframe onto the last frame of the old layer, and a
// smaller one would read as a late, discarded frame. When the sender
// reports of both layers are known, [Munger.SwitchAligned] does better.
//
// The first Switch of a Munger keeps the layer's own numbers, so a
// stream that never switches is forwarded unchanged. Calling Switch
// with the current layer again resynchronizes it, for example after
// the publisher restarted its sequence numbers.
func (m *Munger) Switch(hdr *rtp.Header, payload []byte, now time.Time) {
	m.switchTo(hdr, payload, m.estimateTimestamp(now))
}

// SwitchAligned is Switch with an exact timestamp mapping. oldTS is the
// RTP timestamp that the layer forwarded so far would carry for the
// capture instant of hdr. The caller computes it from the RTCP sender
// reports of both layers, which pair an NTP wall-clock time with an
// RTP timestamp for each SSRC:
//
//	wall  = newSR.NTP + (hdr.Timestamp - newSR.RTP) / clockRate
//	oldTS = oldSR.RTP + (wall - oldSR.NTP) * clockRate
//
// This is how LiveKit's forwarder keeps the timeline exact: the new
// frame lands where it was captured, not where it happened to arrive,
// and audio/video synchronization survives the switch. The
// result is still forced past the last timestamp sent (a keyframe
// captured at the same instant as a frame already sent, which is common
// as layers are encoded together, gets one tick more), and ignored in
// favour of the wall-clock estimate if it lies more than a second
// beyond it.
func (m *Munger) SwitchAligned(hdr *rtp.Header, payload []byte, now time.Time, oldTS uint32) {
	est := m.estimateTimestamp(now)
	if !m.sent {
		m.switchTo(hdr, payload, est)
		return
	}
	ts := oldTS + m.tsOffset
	ahead := int64(int32(ts - m.outTS))
	switch {
	case ahead <= 0:
		ts = m.outTS + 1
	case ahead > int64(est-m.outTS)+int64(ticks(alignTolerance, m.clockRate)):
		ts = est
	}
	m.switchTo(hdr, payload, ts)
}

// estimateTimestamp returns the outgoing timestamp for a frame arriving
// at now, from the wall-clock time since the last timestamp was sent.
func (m *Munger) estimateTimestamp(now time.Time) uint32 {
	return m.outTS + ticks(now.Sub(m.outTSAt), m.clockRate)
}

// ticks converts d to RTP clock ticks at rate, between 1 and
// maxTimestampStep.
func ticks(d time.Duration, rate uint32) uint32 {
	if d <= 0 {
		return 1
	}
	// Whole seconds and the rest apart, so that days do not overflow;
	// the rest rounded to the nearest tick, so that a 30 fps frame
	// interval of 33.333 ms is 3000 ticks, not 2999.
	t := uint64(d/time.Second)*uint64(rate) +
		(uint64(d%time.Second)*uint64(rate)+uint64(time.Second/2))/uint64(time.Second)
	switch {
	case t < 1:
		return 1
	case t > maxTimestampStep:
		return maxTimestampStep
	}
	return uint32(t)
}

func (m *Munger) switchTo(hdr *rtp.Header, payload []byte, outTS uint32) {
	var seqOff, pidOff uint16
	var tsOff uint32
	var tl0Off, keyOff uint8
	if m.sent {
		seqOff = m.outSeq + 1 - hdr.SequenceNumber
		tsOff = outTS - hdr.Timestamp
	}
	if m.vp8 {
		if d, err := vp8.ParseDescriptor(payload); err == nil {
			// Offsets are kept modulo 2^15; a 7-bit field written
			// with them stays continuous modulo 2^7, as 2^7
			// divides 2^15.
			if d.HasPictureID && m.hasPID {
				pidOff = (m.outPID + 1 - d.PictureID) & 0x7fff
			}
			if d.HasTL0PICIDX && m.hasTL0 {
				tl0Off = m.outTL0 + 1 - d.TL0PICIDX
			}
			if d.HasKeyIdx && m.hasKey {
				keyOff = (m.outKey + 1 - d.KeyIdx) & 0x1f
			}
		}
	}

	m.active = true
	m.ssrc = hdr.SSRC
	m.highest = hdr.SequenceNumber - 1
	m.depth = -1
	clear(m.seen[:])
	m.spans[0] = span{at: 0, off: seqOff}
	m.last, m.n = 0, 1
	m.tsOffset = tsOff
	m.pidOffset = pidOff
	m.tl0Offset = tl0Off
	m.keyOffset = keyOff
}

// verdict is what the munger makes of an incoming packet.
type verdict int

const (
	foreign   verdict = iota // not of the layer forwarded
	stale                    // before the switch point, or older than the window
	duplicate                // already forwarded or skipped
	late                     // behind the newest, not yet handled
	newest                   // ahead of every packet handled
)

// judge classifies hdr. For a late or newest packet it also returns the
// packet's position, and for a newest packet how far it is ahead.
func (m *Munger) judge(hdr *rtp.Header) (v verdict, pos int64, ahead int) {
	if !m.active || hdr.SSRC != m.ssrc {
		return foreign, 0, 0
	}
	d := int(int16(hdr.SequenceNumber - m.highest))
	if d > 0 {
		return newest, m.depth + int64(d), d
	}
	age := -d
	if age >= window || int64(age) > m.depth {
		return stale, 0, 0
	}
	if m.isSeen(hdr.SequenceNumber) {
		return duplicate, 0, 0
	}
	return late, m.depth - int64(age), 0
}

func (m *Munger) isSeen(seq uint16) bool {
	i := seq % window
	return m.seen[i/64]&(1<<(i%64)) != 0
}

func (m *Munger) markSeen(seq uint16) {
	i := seq % window
	m.seen[i/64] |= 1 << (i % 64)
}

// advance makes seq, ahead of the newest packet by d, the newest.
func (m *Munger) advance(seq uint16, d int) {
	if d >= window {
		clear(m.seen[:])
	} else {
		// Forget what the bits now standing for highest+1..seq meant
		// a window ago.
		for s := m.highest + 1; s != seq+1; s++ {
			i := s % window
			m.seen[i/64] &^= 1 << (i % 64)
		}
	}
	m.highest = seq
	m.depth += int64(d)
}

// offsetAt returns the sequence-number offset in force at pos.
func (m *Munger) offsetAt(pos int64) (uint16, bool) {
	for k := 0; k < m.n; k++ {
		s := &m.spans[(m.last-k+maxSpans)%maxSpans]
		if pos >= s.at {
			return s.off, true
		}
	}
	return 0, false
}

// Rewrite maps hdr and payload, a packet arriving at now, onto the
// outgoing stream, in place: sequence number, timestamp and, for VP8,
// the payload descriptor's picture id, TL0PICIDX and key index. The
// SSRC, payload type and header extensions are left for the caller.
//
// The payload is modified in place: when one received packet fans out
// to several down tracks, each must rewrite its own copy. now is the
// arrival time, taken by the caller so that one clock reading serves
// every down track of a packet.
//
// It returns false, leaving the packet untouched, for a packet that
// must not be sent: one of another layer than the one chosen by the
// last Switch, one older than that switch point, a duplicate of a
// packet already forwarded or skipped, or one more than 512 sequence
// numbers behind the newest of its layer. Packets that arrive out of
// order within the layer are forwarded and keep their relative order.
// A VP8 payload whose descriptor does not parse is forwarded with its
// payload unchanged; the subscriber's decoder will discard it as it
// would have without us.
func (m *Munger) Rewrite(hdr *rtp.Header, payload []byte, now time.Time) bool {
	v, pos, ahead := m.judge(hdr)
	var off uint16
	switch v {
	case newest:
		off = m.spans[m.last].off
	case late:
		var ok bool
		if off, ok = m.offsetAt(pos); !ok {
			return false
		}
	default:
		return false
	}
	seq := hdr.SequenceNumber
	if v == newest {
		m.advance(seq, ahead)
	}
	m.markSeen(seq)

	hdr.SequenceNumber = seq + off
	hdr.Timestamp += m.tsOffset
	// The packet with the highest outgoing sequence number is the one
	// the next layer continues from. It is usually the newest, but may
	// be a late one when the newest were skipped.
	last := !m.sent || int16(hdr.SequenceNumber-m.outSeq) > 0
	if last {
		if !m.sent || hdr.Timestamp != m.outTS {
			m.outTSAt = now
		}
		m.sent = true
		m.outSeq = hdr.SequenceNumber
		m.outTS = hdr.Timestamp
		m.outEnd = hdr.Marker
	}

	if !m.vp8 {
		return true
	}
	d, err := vp8.ParseDescriptor(payload)
	if err != nil {
		return true
	}
	d.PictureID += m.pidOffset
	d.TL0PICIDX += m.tl0Offset
	d.KeyIdx += m.keyOffset
	if d.Rewrite(payload) != nil {
		return true // cannot happen: d was parsed from payload
	}
	if last {
		if d.HasPictureID {
			m.hasPID = true
			if d.WidePictureID {
				m.outPID = d.PictureID & 0x7fff
			} else {
				m.outPID = d.PictureID & 0x7f
			}
		}
		if d.HasTL0PICIDX {
			m.hasTL0, m.outTL0 = true, d.TL0PICIDX
		}
		if d.HasKeyIdx {
			m.hasKey, m.outKey = true, d.KeyIdx&0x1f
		}
	}
	return true
}

// Skip records that the caller drops hdr, typically a padding-only
// packet that means nothing to the subscriber, and reports whether
// that leaves no hole in the outgoing sequence numbers. It does for any
// packet the munger would not forward anyway, and for a packet ahead of
// every packet handled on the layer: later packets are then numbered
// one less. A packet behind the newest (padding that arrived out of
// order) cannot be skipped, since later numbers are already taken:
// Skip returns false, and the caller should send it through Rewrite
// rather than leave a hole that the subscriber would NACK in vain.
// Skipping any number of packets in a row costs nothing more than
// skipping one.
func (m *Munger) Skip(hdr *rtp.Header) bool {
	v, pos, ahead := m.judge(hdr)
	switch v {
	case newest:
	case late:
		return false
	default:
		return true
	}
	m.advance(hdr.SequenceNumber, ahead)
	m.markSeen(hdr.SequenceNumber)
	s := &m.spans[m.last]
	if s.at == pos {
		// Nothing was forwarded from s.at on: move it past this packet.
		s.at++
		s.off--
		return true
	}
	m.last = (m.last + 1) % maxSpans
	m.spans[m.last] = span{at: pos + 1, off: s.off - 1}
	if m.n < maxSpans {
		m.n++
	}
	return true
}

// Pad numbers a padding-only packet that the caller inserts into the
// outgoing stream, to probe the subscriber's bandwidth: hdr gets the
// sequence number after the last one sent and that packet's timestamp,
// and every packet forwarded from now on is numbered one more. It
// reports false, leaving hdr untouched, when nothing has been sent yet
// or the last packet sent did not end a frame (and Pause did not
// abandon it): padding in the middle of a frame would split it for the
// receiver, which libwebrtc's own sender also avoids.
//
// Late packets of the current layer keep their numbers, below the
// padding's; a run of padding between two forwarded packets costs one
// span, however long.
func (m *Munger) Pad(hdr *rtp.Header) bool {
	if !m.sent || !m.outEnd {
		return false
	}
	m.outSeq++
	hdr.SequenceNumber = m.outSeq
	hdr.Timestamp = m.outTS
	if !m.active {
		return true
	}
	// Packets ahead of the newest handled (position depth+1 on) are
	// numbered one more.
	s := &m.spans[m.last]
	if s.at == m.depth+1 {
		s.off++
		return true
	}
	m.last = (m.last + 1) % maxSpans
	m.spans[m.last] = span{at: m.depth + 1, off: s.off + 1}
	if m.n < maxSpans {
		m.n++
	}
	return true
}

// Follows reports whether hdr can belong to the stream forwarded since
// the last Switch: it has that stream's SSRC and a sequence number less
// than the window away from the newest packet handled. A packet of the
// same layer that does not comes from the publisher's sender starting
// again (a new SSRC, or numbering afresh): Rewrite would drop it, or
// number it with a jump of thousands and a timestamp from the new
// stream's clock, so the caller switches to it again, at a keyframe.
func (m *Munger) Follows(hdr *rtp.Header) bool {
	if !m.active || hdr.SSRC != m.ssrc {
		return false
	}
	d := int(int16(hdr.SequenceNumber - m.highest))
	return d > -window && d < window
}

// Pause records that the caller stops forwarding the current layer,
// wherever it is in a frame (a subscriber's video paused for lack of
// bandwidth, or hidden): until the next Switch nothing is forwarded, and
// the frame cut short will never be completed, so padding may follow at
// once. Without it, a pause in the middle of a frame refused the
// padding that probes the subscriber's bandwidth for as long as it
// lasted, since no packet would ever end that frame.
func (m *Munger) Pause() {
	m.active = false
	m.outEnd = true
}

// Timestamp is the timestamp of the last packet sent, for packets the
// caller sends beside the stream (padding on an RTX stream).
func (m *Munger) Timestamp() uint32 { return m.outTS }
