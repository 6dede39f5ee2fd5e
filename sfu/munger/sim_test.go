package munger

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// This file simulates a simulcast publisher, a forwarder that switches
// between its layers, and a subscriber that checks what arrives.

// frameInterval and frameTicks describe a 30 fps camera on the 90 kHz
// video clock.
const (
	frameInterval = time.Second / 30
	frameTicks    = 90000 / 30
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// layer is one simulcast layer of a publisher: its own SSRC and its
// own numbering, all of which may start anywhere.
type layer struct {
	ssrc uint32
	seq  uint16
	ts   uint32
	pid  uint16
	tl0  uint8
	key  uint8
	wide bool // 15-bit picture ids, as browsers send
}

// packet is a packet of the simulation with what the test knows of it.
type packet struct {
	layer      int
	hdr        rtp.Header
	payload    []byte
	frameStart bool
	keyframe   bool // the first packet of a keyframe
	padding    bool
}

// frame returns the n packets of the layer's next frame. The picture
// id, TL0PICIDX and, for a keyframe, the key index advance first, so
// the frame carries the new values; every frame is on temporal layer 0.
func (l *layer) frame(index int, n int, key bool) []packet {
	l.pid++
	if l.wide {
		l.pid &= 0x7fff
	} else {
		l.pid &= 0x7f
	}
	l.tl0++
	if key {
		l.key = (l.key + 1) & 0x1f
	}
	l.ts += frameTicks
	pkts := make([]packet, n)
	for i := range pkts {
		start := i == 0
		pkts[i] = packet{
			layer:      index,
			hdr:        rtp.Header{Version: 2, SSRC: l.ssrc, SequenceNumber: l.seq, Timestamp: l.ts, Marker: i == n-1},
			payload:    l.payload(start, key),
			frameStart: start,
			keyframe:   start && key,
		}
		l.seq++
	}
	return pkts
}

// padding returns a padding-only packet, as a sender's bandwidth probe.
func (l *layer) padding(index int) packet {
	p := packet{
		layer:   index,
		hdr:     rtp.Header{Version: 2, SSRC: l.ssrc, SequenceNumber: l.seq, Timestamp: l.ts, Padding: true},
		padding: true,
	}
	l.seq++
	return p
}

// payload builds a VP8 payload as Chrome would: X, then I L T K, the
// picture id, TL0PICIDX and TID/Y/KEYIDX, then the frame tag.
func (l *layer) payload(start, key bool) []byte {
	b := []byte{0x80, 0xf0}
	if start {
		b[0] |= 0x10
	}
	if l.wide {
		b = append(b, 0x80|byte(l.pid>>8), byte(l.pid))
	} else {
		b = append(b, byte(l.pid))
	}
	b = append(b, l.tl0, 0x20|l.key)
	switch {
	case start && key:
		b = append(b, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01)
	case start:
		b = append(b, 0x51, 0x42, 0x00)
	default:
		b = append(b, 0xaa, 0xbb, 0xcc)
	}
	return b
}

// sent is a packet as it left the munger.
type sent struct {
	packet
	in      rtp.Header // the header before rewriting
	segment int        // how many switches preceded it
	at      time.Time
}

// forwarder is the part of a down track that the munger serves: it
// switches to the target layer at its next keyframe, skips padding,
// and rewrites the rest.
type forwarder struct {
	m       *Munger
	current int // -1 before the first switch
	target  int
	segment int
	out     []sent
	dropped int
}

func newForwarder(target int) *forwarder {
	return &forwarder{m: New(Config{ClockRate: 90000, VP8: true}), current: -1, target: target, segment: -1}
}

func (f *forwarder) receive(p packet, now time.Time) {
	if p.layer == f.target && p.layer != f.current && p.keyframe {
		f.m.Switch(&p.hdr, p.payload, now)
		f.current = f.target
		f.segment++
	}
	if p.padding && f.m.Skip(&p.hdr) {
		return
	}
	hdr := p.hdr
	payload := append([]byte(nil), p.payload...)
	if !f.m.Rewrite(&hdr, payload, now) {
		f.dropped++
		return
	}
	q := p
	q.hdr = hdr
	q.payload = payload
	f.out = append(f.out, sent{packet: q, in: p.hdr, segment: f.segment, at: now})
}

// checkContinuous asserts what a subscriber of an in-order stream must
// see: every sequence number exactly once and in order, timestamps that
// stay put within a frame and increase between frames, and picture id,
// TL0PICIDX and key index that go on by one.
func checkContinuous(t *testing.T, out []sent) {
	t.Helper()
	for i := 1; i < len(out); i++ {
		a, b := out[i-1], out[i]
		if b.hdr.SequenceNumber != a.hdr.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d (in %d/%d, layer %d->%d)", i,
				b.hdr.SequenceNumber, a.hdr.SequenceNumber, a.in.SequenceNumber, b.in.SequenceNumber, a.layer, b.layer)
		}
		da := descriptorOf(t, a.payload)
		db := descriptorOf(t, b.payload)
		if b.frameStart {
			if int32(b.hdr.Timestamp-a.hdr.Timestamp) <= 0 {
				t.Fatalf("packet %d: new frame with timestamp %d after %d", i, b.hdr.Timestamp, a.hdr.Timestamp)
			}
			if want := (da.PictureID + 1) & 0x7fff; db.PictureID != want {
				t.Fatalf("packet %d: picture id %d after %d", i, db.PictureID, da.PictureID)
			}
			if db.TL0PICIDX != da.TL0PICIDX+1 {
				t.Fatalf("packet %d: TL0PICIDX %d after %d", i, db.TL0PICIDX, da.TL0PICIDX)
			}
		} else if b.hdr.Timestamp != a.hdr.Timestamp || db.PictureID != da.PictureID {
			t.Fatalf("packet %d: frame continued with timestamp %d, picture id %d; was %d, %d", i,
				b.hdr.Timestamp, db.PictureID, a.hdr.Timestamp, da.PictureID)
		}
		wantKey := da.KeyIdx
		if b.keyframe {
			wantKey = (wantKey + 1) & 0x1f
		}
		if db.KeyIdx != wantKey {
			t.Fatalf("packet %d: key index %d after %d (keyframe %v)", i, db.KeyIdx, da.KeyIdx, b.keyframe)
		}
	}
}
