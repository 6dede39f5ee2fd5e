// Package vp8 reads and rewrites the parts of a VP8 RTP payload that a
// forwarding server cares about: the payload descriptor of RFC 7741
// section 4.2 (picture id, temporal-layer index, key index) and, for
// keyframes, the start of the frame header of RFC 6386 section 9.1
// (the keyframe flag and the picture size).
//
// A simulcast forwarder switches a subscriber from one layer to another
// at a keyframe and must then renumber the picture ids so that the
// subscriber's decoder sees one continuous stream; [ParseDescriptor],
// [IsKeyframe] and [Descriptor.Rewrite] are the three steps of that.
//
// Every function here works on the payload in place, allocates nothing,
// and treats its input as hostile: truncated or nonsensical payloads
// yield an error, never a panic or an out-of-range read.
package vp8

import (
	"encoding/binary"
	"errors"
)

var (
	// ErrTruncated is returned when a payload ends inside a field that
	// its own flags announce.
	ErrTruncated = errors.New("vp8: truncated payload")

	// ErrNotKeyframe is returned by [KeyframeSize] for a payload that
	// is not the first packet of a keyframe.
	ErrNotKeyframe = errors.New("vp8: not the start of a keyframe")

	// ErrStartCode is returned by [KeyframeSize] when a keyframe lacks
	// the start code 0x9d 0x01 0x2a that RFC 6386 section 9.1 requires.
	ErrStartCode = errors.New("vp8: bad keyframe start code")

	// ErrLayout is returned by [Descriptor.Rewrite] when the payload's
	// descriptor does not have the fields, or the field widths, of the
	// Descriptor being written.
	ErrLayout = errors.New("vp8: descriptor layout differs from payload")
)

// Bits of the first descriptor octet, |X|R|N|S|R| PID |.
const (
	bitX       = 0x80
	bitN       = 0x20
	bitS       = 0x10
	maskPID    = 0x07
	extensionI = 0x80 // PictureID present
	extensionL = 0x40 // TL0PICIDX present
	extensionT = 0x20 // TID and Y present
	extensionK = 0x10 // KEYIDX present
	bitM       = 0x80 // in the first PictureID octet: 15-bit PictureID
	maskKeyIdx = 0x1f
)

// Descriptor is a parsed VP8 payload descriptor (RFC 7741 section 4.2).
// Fields whose Has flag is false were absent from the packet and are
// zero. A Descriptor is a small value: parse it on the stack.
type Descriptor struct {
	// Extended is the X bit: an extension octet follows the first one.
	Extended bool
	// NonReference is the N bit: no other frame refers to this one, so
	// it may be dropped without harm to the rest of the stream.
	NonReference bool
	// Start is the S bit: the packet begins a VP8 partition.
	Start bool
	// PartitionID is the 3-bit PID: the partition the packet begins or
	// continues. A frame begins at Start with PartitionID 0.
	PartitionID uint8

	// HasPictureID is the I bit.
	HasPictureID bool
	// WidePictureID is the M bit: the PictureID field is 15 bits wide
	// rather than 7. Browsers send 15 bits.
	WidePictureID bool
	// PictureID numbers frames, modulo 2^7 or 2^15 by WidePictureID.
	PictureID uint16

	// HasTL0PICIDX is the L bit.
	HasTL0PICIDX bool
	// TL0PICIDX counts the frames of temporal layer 0, modulo 2^8.
	TL0PICIDX uint8

	// HasTID is the T bit.
	HasTID bool
	// TID is the temporal layer of the frame, 0 to 3.
	TID uint8
	// LayerSync is the Y bit: the frame depends only on temporal
	// layer 0 frames, so a receiver may start decoding TID here.
	LayerSync bool

	// HasKeyIdx is the K bit.
	HasKeyIdx bool
	// KeyIdx counts keyframes (more exactly, changes of the golden
	// reference), modulo 2^5.
	KeyIdx uint8

	// Len is the length of the descriptor in octets: the VP8 payload
	// proper starts at payload[Len]. It is between 1 and 6.
	Len int
}

// ParseDescriptor parses the payload descriptor at the start of a VP8
// RTP payload. Reserved bits are ignored as RFC 7741 asks of receivers.
// The L bit is honoured even without the T bit that the RFC requires
// alongside it, since the layout stays unambiguous. A payload that is
// nothing but a descriptor parses successfully; Len then equals its
// length.
func ParseDescriptor(payload []byte) (Descriptor, error) {
	var d Descriptor
	if len(payload) < 1 {
		return Descriptor{}, ErrTruncated
	}
	b := payload[0]
	d.Extended = b&bitX != 0
	d.NonReference = b&bitN != 0
	d.Start = b&bitS != 0
	d.PartitionID = b & maskPID
	n := 1
	if !d.Extended {
		d.Len = n
		return d, nil
	}

	if len(payload) < 2 {
		return Descriptor{}, ErrTruncated
	}
	x := payload[1]
	n = 2
	if x&extensionI != 0 {
		if len(payload) < n+1 {
			return Descriptor{}, ErrTruncated
		}
		d.HasPictureID = true
		if payload[n]&bitM != 0 {
			if len(payload) < n+2 {
				return Descriptor{}, ErrTruncated
			}
			d.WidePictureID = true
			d.PictureID = binary.BigEndian.Uint16(payload[n:]) & 0x7fff
			n += 2
		} else {
			d.PictureID = uint16(payload[n])
			n++
		}
	}
	if x&extensionL != 0 {
		if len(payload) < n+1 {
			return Descriptor{}, ErrTruncated
		}
		d.HasTL0PICIDX = true
		d.TL0PICIDX = payload[n]
		n++
	}
	if x&(extensionT|extensionK) != 0 {
		// T and K share one octet, |TID|Y| KEYIDX |; each flag says
		// which part of it is meaningful.
		if len(payload) < n+1 {
			return Descriptor{}, ErrTruncated
		}
		o := payload[n]
		if x&extensionT != 0 {
			d.HasTID = true
			d.TID = o >> 6
			d.LayerSync = o&0x20 != 0
		}
		if x&extensionK != 0 {
			d.HasKeyIdx = true
			d.KeyIdx = o & maskKeyIdx
		}
		n++
	}
	d.Len = n
	return d, nil
}

// BeginsFrame reports whether the packet carries the first octets of a
// VP8 frame: the start (S) of partition 0. Only such a packet holds the
// frame header that says whether the frame is a keyframe.
func (d *Descriptor) BeginsFrame() bool {
	return d.Start && d.PartitionID == 0
}

// IsKeyframe reports whether payload is the first packet of a VP8
// keyframe: its descriptor begins a frame (S=1, PID=0) and the frame
// tag's P bit, the inverse keyframe flag of RFC 6386 section 9.1 (the
// low bit of the first octet after the descriptor), is clear. Only the
// first packet of a keyframe is recognised; later ones cannot be told
// from those of other frames. Malformed payloads are not keyframes.
func IsKeyframe(payload []byte) bool {
	d, err := ParseDescriptor(payload)
	if err != nil || !d.BeginsFrame() || len(payload) <= d.Len {
		return false
	}
	return payload[d.Len]&0x01 == 0
}

// keyframeHeaderLen is what RFC 6386 section 9.1 puts before the first
// partition's data in a keyframe: a 3-octet frame tag, the 3-octet
// start code and two 16-bit little-endian size fields.
const keyframeHeaderLen = 10

// KeyframeSize returns the picture size declared by the keyframe whose
// first packet is payload. The size fields are 14 bits each; their top
// two bits, an upscaling hint for the decoder, are dropped.
func KeyframeSize(payload []byte) (width, height int, err error) {
	d, err := ParseDescriptor(payload)
	if err != nil {
		return 0, 0, err
	}
	if !d.BeginsFrame() || len(payload) <= d.Len || payload[d.Len]&0x01 != 0 {
		return 0, 0, ErrNotKeyframe
	}
	h := payload[d.Len:]
	if len(h) < keyframeHeaderLen {
		return 0, 0, ErrTruncated
	}
	if h[3] != 0x9d || h[4] != 0x01 || h[5] != 0x2a {
		return 0, 0, ErrStartCode
	}
	width = int(binary.LittleEndian.Uint16(h[6:]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(h[8:]) & 0x3fff)
	return width, height, nil
}

// Rewrite writes d's PictureID, TL0PICIDX and KeyIdx into the
// descriptor at the start of payload, in place. The payload must carry
// a descriptor with the same fields and field widths as d, normally
// because d was parsed from it; otherwise Rewrite returns ErrLayout and
// leaves payload untouched. Absent fields are not written. Each field
// keeps the width the sender chose: a 7-bit PictureID is written modulo
// 2^7, a 15-bit one modulo 2^15, and KeyIdx modulo 2^5; the other bits
// of the octets written (M, TID, Y) are preserved.
func (d *Descriptor) Rewrite(payload []byte) error {
	if len(payload) < d.Len || d.Len < 1 {
		return ErrTruncated
	}
	if (payload[0]&bitX != 0) != d.Extended {
		return ErrLayout
	}
	if !d.Extended {
		return nil
	}
	if d.Len < 2 {
		return ErrLayout
	}
	x := payload[1]
	if (x&extensionI != 0) != d.HasPictureID ||
		(x&extensionL != 0) != d.HasTL0PICIDX ||
		(x&extensionT != 0) != d.HasTID ||
		(x&extensionK != 0) != d.HasKeyIdx {
		return ErrLayout
	}
	// Recompute the length from the flags rather than trusting d.Len,
	// so a Descriptor edited by hand cannot make us write past the
	// fields.
	n := 2
	if d.HasPictureID {
		if d.WidePictureID {
			n += 2
		} else {
			n++
		}
	}
	if d.HasTL0PICIDX {
		n++
	}
	if d.HasTID || d.HasKeyIdx {
		n++
	}
	if n != d.Len {
		return ErrLayout
	}
	if d.HasPictureID && (payload[2]&bitM != 0) != d.WidePictureID {
		return ErrLayout
	}

	n = 2
	if d.HasPictureID {
		if d.WidePictureID {
			binary.BigEndian.PutUint16(payload[n:], bitM<<8|d.PictureID&0x7fff)
			n += 2
		} else {
			payload[n] = uint8(d.PictureID & 0x7f)
			n++
		}
	}
	if d.HasTL0PICIDX {
		payload[n] = d.TL0PICIDX
		n++
	}
	if d.HasKeyIdx {
		payload[n] = payload[n]&^maskKeyIdx | d.KeyIdx&maskKeyIdx
	}
	return nil
}
