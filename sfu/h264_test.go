package sfu

import "testing"

func TestIsH264Keyframe(t *testing.T) {
	for _, tt := range []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"IDR slice", []byte{0x65, 0x88}, true},
		{"SPS", []byte{0x67, 0x42}, true},
		{"non-IDR slice", []byte{0x41, 0x9a}, false},
		{"STAP-A with SPS and PPS", []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"STAP-A without IDR", []byte{0x78, 0x00, 0x02, 0x41, 0x9a}, false},
		{"STAP-A truncated", []byte{0x78, 0x00, 0x09, 0x67}, false},
		{"FU-A start of IDR", []byte{0x7c, 0x85, 0x88}, true},
		{"FU-A middle of IDR", []byte{0x7c, 0x05, 0x88}, false},
		{"FU-A start of non-IDR", []byte{0x7c, 0x81}, false},
		{"empty", nil, false},
	} {
		if got := isH264Keyframe(tt.payload); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzIsH264Keyframe(f *testing.F) {
	f.Add([]byte{0x78, 0x00, 0x02, 0x67, 0x42})
	f.Add([]byte{0x7c, 0x85})
	f.Fuzz(func(t *testing.T, p []byte) { _ = isH264Keyframe(p) })
}
