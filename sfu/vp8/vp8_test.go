package vp8

import (
	"bytes"
	"errors"
	"testing"
)

// Payloads shaped like those Chrome sends for a simulcast VP8 layer:
// X=1, then I, L and T set, a 15-bit picture id with the M bit, a
// TL0PICIDX and a TID/Y octet. The keyframe carries a 640x480 frame
// header; the frame tag 0x50 0x42 0x00 has P=0 (keyframe), version 0,
// show_frame=1.
var (
	chromeKeyframe = []byte{
		0x90, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x20, // X S PID=0 | I L T | M PictureID=0x1234 | TL0PICIDX=5 | TID=0 Y=1
		0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, // frame tag, start code, 640, 480
		0xde, 0xad, 0xbe, 0xef,
	}
	// The second packet of the same keyframe: S=0.
	chromeKeyframeCont = []byte{
		0x80, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x20,
		0x11, 0x22, 0x33,
	}
	// The first packet of a delta frame on temporal layer 2.
	chromeDelta = []byte{
		0x90, 0xe0, 0xff, 0xff, 0xff, 0x80, // PictureID=0x7fff TL0PICIDX=255 TID=2 Y=0
		0x31, 0x07, 0x00, 0x44, 0x55,
	}
)

func TestParseDescriptor(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Descriptor
	}{
		{
			name:    "minimal descriptor",
			payload: []byte{0x10, 0xaa},
			want:    Descriptor{Start: true, Len: 1},
		},
		{
			name:    "partition 3 continuation, non-reference",
			payload: []byte{0x23, 0xaa},
			want:    Descriptor{NonReference: true, PartitionID: 3, Len: 1},
		},
		{
			name:    "reserved bits ignored",
			payload: []byte{0x48 | 0x10, 0xaa},
			want:    Descriptor{Start: true, Len: 1},
		},
		{
			name:    "extension octet with nothing set",
			payload: []byte{0x90, 0x00, 0xaa},
			want:    Descriptor{Extended: true, Start: true, Len: 2},
		},
		{
			name:    "7-bit picture id",
			payload: []byte{0x90, 0x80, 0x2a, 0xaa},
			want:    Descriptor{Extended: true, Start: true, HasPictureID: true, PictureID: 42, Len: 3},
		},
		{
			name:    "15-bit picture id, pion payloader",
			payload: []byte{0x90, 0x80, 0x80 | 0x01, 0x02, 0xaa},
			want: Descriptor{Extended: true, Start: true, HasPictureID: true,
				WidePictureID: true, PictureID: 0x0102, Len: 4},
		},
		{
			name:    "chrome keyframe",
			payload: chromeKeyframe,
			want: Descriptor{Extended: true, Start: true, HasPictureID: true,
				WidePictureID: true, PictureID: 0x1234, HasTL0PICIDX: true, TL0PICIDX: 5,
				HasTID: true, TID: 0, LayerSync: true, Len: 6},
		},
		{
			name:    "chrome delta, all ones",
			payload: chromeDelta,
			want: Descriptor{Extended: true, Start: true, HasPictureID: true,
				WidePictureID: true, PictureID: 0x7fff, HasTL0PICIDX: true, TL0PICIDX: 255,
				HasTID: true, TID: 2, Len: 6},
		},
		{
			name:    "key index only",
			payload: []byte{0x90, 0x10, 0xff, 0xaa},
			want:    Descriptor{Extended: true, Start: true, HasKeyIdx: true, KeyIdx: 31, Len: 3},
		},
		{
			name:    "TID and key index share an octet",
			payload: []byte{0x90, 0x30, 0x67, 0xaa},
			want: Descriptor{Extended: true, Start: true, HasTID: true, TID: 1, LayerSync: true,
				HasKeyIdx: true, KeyIdx: 7, Len: 3},
		},
		{
			name:    "L without T is read anyway",
			payload: []byte{0x90, 0x40, 0x09, 0xaa},
			want:    Descriptor{Extended: true, Start: true, HasTL0PICIDX: true, TL0PICIDX: 9, Len: 3},
		},
		{
			name:    "everything, longest descriptor",
			payload: []byte{0xb0, 0xf0, 0x81, 0x00, 0x07, 0xc5},
			want: Descriptor{Extended: true, NonReference: true, Start: true,
				HasPictureID: true, WidePictureID: true, PictureID: 256,
				HasTL0PICIDX: true, TL0PICIDX: 7, HasTID: true, TID: 3,
				HasKeyIdx: true, KeyIdx: 5, Len: 6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDescriptor(tt.payload)
			if err != nil {
				t.Fatalf("ParseDescriptor: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseDescriptor =\n%+v, want\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseDescriptorTruncated(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"X without extension octet", []byte{0x90}},
		{"I without picture id", []byte{0x90, 0x80}},
		{"M without second octet", []byte{0x90, 0x80, 0x80}},
		{"L without TL0PICIDX", []byte{0x90, 0xc0, 0x80, 0x01}},
		{"T without TID octet", []byte{0x90, 0xe0, 0x80, 0x01, 0x05}},
		{"K without KEYIDX octet", []byte{0x90, 0x10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseDescriptor(tt.payload); !errors.Is(err, ErrTruncated) {
				t.Errorf("ParseDescriptor(% x) error = %v, want ErrTruncated", tt.payload, err)
			}
		})
	}
	// Every strict prefix of the longest descriptor is truncated.
	full := chromeKeyframe[:6]
	for i := range full {
		if _, err := ParseDescriptor(full[:i]); !errors.Is(err, ErrTruncated) {
			t.Errorf("prefix of %d octets: error = %v, want ErrTruncated", i, err)
		}
	}
}

func TestIsKeyframe(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"chrome keyframe", chromeKeyframe, true},
		{"second packet of a keyframe", chromeKeyframeCont, false},
		{"delta frame", chromeDelta, false},
		{"keyframe without extensions", []byte{0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a}, true},
		{"S=1 but partition 1", []byte{0x11, 0x50, 0x42, 0x00}, false},
		{"descriptor only", []byte{0x90, 0xe0, 0x80, 0x01, 0x05, 0x20}, false},
		{"truncated descriptor", []byte{0x90, 0xe0, 0x80}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsKeyframe(tt.payload); got != tt.want {
				t.Errorf("IsKeyframe(% x) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestKeyframeSize(t *testing.T) {
	tests := []struct {
		name          string
		payload       []byte
		width, height int
		err           error
	}{
		{"chrome 640x480", chromeKeyframe, 640, 480, nil},
		{"1280x720 with scaling bits set", []byte{0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x45, 0xd0, 0xc2}, 1280, 720, nil},
		{"320x180 after a 7-bit picture id", []byte{0x90, 0x80, 0x01, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00}, 320, 180, nil},
		{"delta frame", chromeDelta, 0, 0, ErrNotKeyframe},
		{"continuation", chromeKeyframeCont, 0, 0, ErrNotKeyframe},
		{"bad start code", []byte{0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2b, 0x80, 0x02, 0xe0, 0x01}, 0, 0, ErrStartCode},
		{"header cut short", chromeKeyframe[:14], 0, 0, ErrTruncated},
		{"descriptor cut short", chromeKeyframe[:3], 0, 0, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, err := KeyframeSize(tt.payload)
			if !errors.Is(err, tt.err) {
				t.Fatalf("KeyframeSize error = %v, want %v", err, tt.err)
			}
			if w != tt.width || h != tt.height {
				t.Errorf("KeyframeSize = %dx%d, want %dx%d", w, h, tt.width, tt.height)
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	tests := []struct {
		name      string
		payload   []byte
		pictureID uint16
		tl0       uint8
		keyIdx    uint8
		want      []byte
	}{
		{
			name:      "chrome keyframe, 15-bit id keeps M, TID/Y kept",
			payload:   chromeKeyframe,
			pictureID: 0x0102, tl0: 0x99,
			want: append([]byte{0x90, 0xe0, 0x81, 0x02, 0x99, 0x20}, chromeKeyframe[6:]...),
		},
		{
			name:      "15-bit id wraps modulo 2^15",
			payload:   chromeDelta,
			pictureID: 0x8000 | 0x0003, tl0: 0,
			want: append([]byte{0x90, 0xe0, 0x80, 0x03, 0x00, 0x80}, chromeDelta[6:]...),
		},
		{
			name:      "7-bit id wraps modulo 2^7, M stays clear",
			payload:   []byte{0x90, 0x80, 0x7f, 0xaa},
			pictureID: 130,
			want:      []byte{0x90, 0x80, 0x02, 0xaa},
		},
		{
			name:    "key index modulo 2^5, TID and Y kept",
			payload: []byte{0x90, 0x30, 0x67, 0xaa},
			keyIdx:  33,
			want:    []byte{0x90, 0x30, 0x61, 0xaa},
		},
		{
			name:      "no extension: nothing to write",
			payload:   []byte{0x10, 0xaa},
			pictureID: 7,
			want:      []byte{0x10, 0xaa},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bytes.Clone(tt.payload)
			d, err := ParseDescriptor(p)
			if err != nil {
				t.Fatal(err)
			}
			d.PictureID, d.TL0PICIDX, d.KeyIdx = tt.pictureID, tt.tl0, tt.keyIdx
			if err := d.Rewrite(p); err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if !bytes.Equal(p, tt.want) {
				t.Errorf("Rewrite gave\n% x, want\n% x", p, tt.want)
			}
			back, err := ParseDescriptor(p)
			if err != nil {
				t.Fatal(err)
			}
			if back.Len != d.Len || back.WidePictureID != d.WidePictureID || back.TID != d.TID {
				t.Errorf("layout changed: %+v, was %+v", back, d)
			}
		})
	}
}

func TestRewriteRejectsOtherLayouts(t *testing.T) {
	key, _ := ParseDescriptor(chromeKeyframe)
	narrow, _ := ParseDescriptor([]byte{0x90, 0xe0, 0x12, 0x05, 0x20})
	tests := []struct {
		name    string
		d       Descriptor
		payload []byte
		err     error
	}{
		{"payload without extension", key, []byte{0x10, 0, 0, 0, 0, 0, 0}, ErrLayout},
		{"payload with other flags", key, []byte{0x90, 0x80, 0x81, 0x00, 0x00, 0x00}, ErrLayout},
		{"7-bit descriptor on a 15-bit payload", narrow, bytes.Clone(chromeKeyframe), ErrLayout},
		{"payload shorter than the descriptor", key, chromeKeyframe[:5], ErrTruncated},
		{"hand-made length", Descriptor{Extended: true, HasPictureID: true, Len: 6}, []byte{0x90, 0x80, 0x01, 0, 0, 0}, ErrLayout},
		{"zero Descriptor", Descriptor{}, []byte{0x10}, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := bytes.Clone(tt.payload)
			if err := tt.d.Rewrite(tt.payload); !errors.Is(err, tt.err) {
				t.Fatalf("Rewrite error = %v, want %v", err, tt.err)
			}
			if !bytes.Equal(before, tt.payload) {
				t.Errorf("payload modified on error: % x -> % x", before, tt.payload)
			}
		})
	}
}

func TestNoAllocations(t *testing.T) {
	p := bytes.Clone(chromeKeyframe)
	allocs := testing.AllocsPerRun(1000, func() {
		d, err := ParseDescriptor(p)
		if err != nil {
			t.Fatal(err)
		}
		d.PictureID++
		if err := d.Rewrite(p); err != nil {
			t.Fatal(err)
		}
		if !IsKeyframe(p) {
			t.Fatal("not a keyframe")
		}
		if _, _, err := KeyframeSize(p); err != nil {
			t.Fatal(err)
		}
		_, _ = ParseDescriptor(p[:3]) // the error path too
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

func BenchmarkParseDescriptor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDescriptor(chromeKeyframe); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAndRewrite(b *testing.B) {
	p := bytes.Clone(chromeKeyframe)
	b.ReportAllocs()
	for b.Loop() {
		d, err := ParseDescriptor(p)
		if err != nil {
			b.Fatal(err)
		}
		d.PictureID++
		d.TL0PICIDX++
		if err := d.Rewrite(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsKeyframe(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		IsKeyframe(chromeDelta)
	}
}

// FuzzParseDescriptor feeds arbitrary payloads to every function of the
// package and checks that none panics and that what they report is
// consistent: the descriptor fits in the payload, a rewrite of the
// parsed descriptor succeeds and reads back, and keyframe detection
// agrees with KeyframeSize.
func FuzzParseDescriptor(f *testing.F) {
	seeds := [][]byte{
		nil,
		{0x10},
		{0x90},
		{0x90, 0x80},
		{0x90, 0x80, 0x80},
		{0x90, 0xf0, 0xff, 0xff, 0xff, 0xff},
		{0x90, 0x80, 0x7f, 0x00},
		{0x90, 0x10, 0x1f},
		{0x90, 0x40, 0x09},
		chromeKeyframe,
		chromeKeyframeCont,
		chromeDelta,
		chromeKeyframe[:12],
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, err := ParseDescriptor(payload)
		key := IsKeyframe(payload)
		w, h, sizeErr := KeyframeSize(payload)
		if err != nil {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("unexpected error %v", err)
			}
			if key || sizeErr == nil {
				t.Fatalf("keyframe from an unparsable payload")
			}
			return
		}
		if d.Len < 1 || d.Len > 6 || d.Len > len(payload) {
			t.Fatalf("Len %d out of range for %d octets", d.Len, len(payload))
		}
		if sizeErr == nil && (!key || w > 0x3fff || h > 0x3fff) {
			t.Fatalf("KeyframeSize %dx%d, IsKeyframe %v", w, h, key)
		}

		p := bytes.Clone(payload)
		d.PictureID += 0x1234
		d.TL0PICIDX += 3
		d.KeyIdx += 5
		if err := d.Rewrite(p); err != nil {
			t.Fatalf("Rewrite of its own descriptor: %v", err)
		}
		back, err := ParseDescriptor(p)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		want := d
		if want.WidePictureID {
			want.PictureID &= 0x7fff
		} else {
			want.PictureID &= 0x7f
		}
		want.KeyIdx &= 0x1f
		if !want.HasPictureID {
			want.PictureID = 0
		}
		if !want.HasTL0PICIDX {
			want.TL0PICIDX = 0
		}
		if !want.HasKeyIdx {
			want.KeyIdx = 0
		}
		if back != want {
			t.Fatalf("reparse =\n%+v, want\n%+v", back, want)
		}
		if !bytes.Equal(p[d.Len:], payload[d.Len:]) {
			t.Fatalf("Rewrite touched the VP8 payload")
		}
	})
}
