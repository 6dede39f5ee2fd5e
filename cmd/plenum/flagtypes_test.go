package main

import "testing"

func TestParseBitrate(t *testing.T) {
	for in, want := range map[string]int64{
		"150k": 150_000, "1.5M": 1_500_000, "2m": 2_000_000, "800000": 800_000, "64K": 64_000, "1G": 1_000_000_000, "0": 0,
	} {
		got, err := parseBitrate(in)
		if err != nil || got != want {
			t.Errorf("parseBitrate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "-1k", "1.5X", "1e20", "NaN", "Infk"} {
		if _, err := parseBitrate(bad); err == nil {
			t.Errorf("parseBitrate(%q) accepted", bad)
		}
	}
	var b bitrate = 1_500_000
	if b.String() != "1.5M" {
		t.Errorf("String() = %q", b.String())
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"512M": 512 << 20, "700MiB": 700 << 20, "1.5G": 3 << 29, "2GB": 2 << 30, "64k": 64 << 10, "1000": 1000, "0": 0,
	} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1M", "1.5X", "NaN", "1e30"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	for v, want := range map[byteSize]string{512 << 20: "512M", 3 << 29: "1.5G", 1000: "1000"} {
		if v.String() != want {
			t.Errorf("String() of %d = %q, want %q", int64(v), v.String(), want)
		}
	}
}

func TestPortRange(t *testing.T) {
	var r portRange
	if err := r.Set("49152-65535"); err != nil || r.min != 49152 || r.max != 65535 {
		t.Fatalf("Set: %v %+v", err, r)
	}
	for _, bad := range []string{"10", "5-1", "0-10", "1-70000", "a-b"} {
		if err := r.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}
