package munger

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// FuzzMunger drives a Munger with arbitrary sequences of packets from
// three layers (new, late, duplicated, padding, hostile payloads),
// padding of its own (Pad) and switches, and checks what must hold whatever the input: nothing
// panics, only the chosen layer is forwarded, a refused packet is left
// untouched, no outgoing sequence number is used twice, and the first
// packet of a new layer is numbered and timed after the last packet
// sent.
func FuzzMunger(f *testing.F) {
	f.Add([]byte{9, 0, 1, 0, 1, 2, 0, 2, 3, 3, 5, 9, 6, 4, 0, 1, 3, 2, 10, 0, 0, 0, 1, 1})
	f.Add([]byte{11, 0, 0, 2, 3, 4, 5, 1, 2, 8, 0, 0, 7, 200, 7, 1, 1, 1, 9, 9, 9})
	f.Add([]byte{9, 0, 0, 6, 0, 3, 6, 0, 3, 3, 40, 3, 0, 0, 2})

	f.Fuzz(func(t *testing.T, ops []byte) {
		const maxOps = 2000 // at most 8000 sequence numbers: no wrap of the output
		if len(ops) > 3*maxOps {
			ops = ops[:3*maxOps]
		}
		m := New(Config{ClockRate: 90000, VP8: true})
		seqs := [3]uint16{65500, 10, 30000}
		tss := [3]uint32{0xfffff000, 0, 1 << 31}
		current := -1
		used := map[uint16]bool{}
		var lastSeq uint16
		var lastTS uint32
		sent := false
		now := epoch

		for i := 0; i+3 <= len(ops); i += 3 {
			b0, b1, b2 := ops[i], ops[i+1], ops[i+2]
			li := int(b0 % 3)
			hdr := rtp.Header{SSRC: uint32(li + 1)}
			payload := fuzzPayload(b1, b2, ops[i:i+3])
			now = now.Add(time.Duration(b2) * time.Millisecond)

			switch (b0 / 3) % 4 {
			case 0: // the next packet, possibly after a gap, maybe ending a frame
				seqs[li] += uint16(1 + b1%4)
				tss[li] += uint32(b2) * 90
				hdr.SequenceNumber, hdr.Timestamp = seqs[li], tss[li]
				hdr.Marker = b1&0x10 != 0
			case 1: // a late or duplicated packet
				hdr.SequenceNumber = seqs[li] - uint16(b1)
				hdr.Timestamp = tss[li] - uint32(b1)*90
			case 2: // padding, inserted by the caller or skipped if possible
				if b1&1 == 1 {
					var pad rtp.Header
					if m.Pad(&pad) {
						if pad.SequenceNumber != lastSeq+1 || pad.Timestamp != lastTS {
							t.Fatalf("padding (seq %d, ts %d) does not follow (seq %d, ts %d)", pad.SequenceNumber, pad.Timestamp, lastSeq, lastTS)
						}
						record(t, used, pad, &lastSeq, &lastTS, &sent)
					}
					continue
				}
				seqs[li]++
				hdr.SequenceNumber, hdr.Timestamp = seqs[li], tss[li]
				before := hdr
				if m.Skip(&hdr) {
					if !sameHeader(hdr, before) {
						t.Fatal("Skip modified the header")
					}
					continue
				}
				if li != current {
					t.Fatal("Skip refused a packet of another layer")
				}
			case 3: // a keyframe of this layer, switched to
				seqs[li] += uint16(1 + b1%4)
				tss[li] += uint32(b2) * 90
				hdr.SequenceNumber, hdr.Timestamp = seqs[li], tss[li]
				if b2&1 == 0 {
					m.Switch(&hdr, payload, now)
				} else {
					m.SwitchAligned(&hdr, payload, now, uint32(b1)<<24|uint32(b2))
				}
				current = li
				before := hdr
				if !m.Rewrite(&hdr, payload, now) {
					t.Fatal("the switch packet was refused")
				}
				if sent && (hdr.SequenceNumber != lastSeq+1 || int32(hdr.Timestamp-lastTS) <= 0) {
					t.Fatalf("switch packet (seq %d, ts %d) does not follow (seq %d, ts %d); in %+v",
						hdr.SequenceNumber, hdr.Timestamp, lastSeq, lastTS, before)
				}
				record(t, used, hdr, &lastSeq, &lastTS, &sent)
				continue
			}

			before := hdr
			if !m.Rewrite(&hdr, payload, now) {
				if !sameHeader(hdr, before) {
					t.Fatal("a refused packet was modified")
				}
				continue
			}
			if li != current {
				t.Fatalf("packet of layer %d forwarded while on layer %d", li, current)
			}
			record(t, used, hdr, &lastSeq, &lastTS, &sent)
		}
	})
}

func record(t *testing.T, used map[uint16]bool, hdr rtp.Header, lastSeq *uint16, lastTS *uint32, sent *bool) {
	t.Helper()
	if used[hdr.SequenceNumber] {
		t.Fatalf("outgoing sequence number %d used twice", hdr.SequenceNumber)
	}
	used[hdr.SequenceNumber] = true
	if !*sent || int16(hdr.SequenceNumber-*lastSeq) > 0 {
		*lastSeq, *lastTS, *sent = hdr.SequenceNumber, hdr.Timestamp, true
	}
}

// fuzzPayload picks a payload shape: a Chrome-like VP8 keyframe or
// delta frame, a 7-bit picture id, nothing, or raw fuzz bytes.
func fuzzPayload(b1, b2 byte, raw []byte) []byte {
	switch b2 % 5 {
	case 0:
		return []byte{0x90, 0xf0, 0x80 | b1>>1, b2, b1, 0x20 | b2&0x1f, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
	case 1:
		return []byte{0x90, 0xe0, 0x80 | b2>>1, b1, b2, 0x40, 0x51, 0x00, 0x00}
	case 2:
		return []byte{0x90, 0x80, b1 & 0x7f, 0x51}
	case 3:
		return nil
	}
	return append([]byte(nil), raw...)
}
