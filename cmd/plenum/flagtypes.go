package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// bitrate is a flag value in bits per second that accepts units:
// 150k, 1.5M, 2m (k = 1000, M = 1000000) or a plain number.
type bitrate int64

func (b *bitrate) String() string {
	v := int64(*b)
	switch {
	case v >= 1_000_000 && v%100_000 == 0:
		return strconv.FormatFloat(float64(v)/1e6, 'f', -1, 64) + "M"
	case v >= 1000 && v%1000 == 0:
		return strconv.FormatInt(v/1000, 10) + "k"
	}
	return strconv.FormatInt(v, 10)
}

func (b *bitrate) Set(s string) error {
	v, err := parseBitrate(s)
	if err != nil {
		return err
	}
	*b = bitrate(v)
	return nil
}

func (b *bitrate) Type() string { return "bitrate" }

func parseBitrate(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "bps"), "bit/s")
	v, ok := scaled(t, 1000, 1e12)
	if !ok {
		return 0, fmt.Errorf("%q is not a bitrate (e.g. 150k, 1.5M or 800000)", s)
	}
	return v, nil
}

// scaled parses a number with an optional k, M or G suffix (either case),
// which multiplies it by base, base² or base³, and takes it only from 0
// to most.
func scaled(t string, base, most float64) (int64, bool) {
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			mult, t = base, t[:n-1]
		case 'm', 'M':
			mult, t = base*base, t[:n-1]
		case 'g', 'G':
			mult, t = base*base*base, t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	v := f * mult
	if err != nil || !(v >= 0 && v <= most) { // NaN fails both
		return 0, false
	}
	return int64(v), true
}

// byteSize is a flag value in bytes that accepts units: 512M, 1.5G,
// 700MiB (k, M and G are powers of 1024, as in GOMEMLIMIT) or a plain
// number.
type byteSize int64

func (b *byteSize) String() string {
	v := int64(*b)
	switch {
	case v >= 1<<30 && v*10%(1<<30) == 0: // in tenths of a G
		return strconv.FormatFloat(float64(v)/(1<<30), 'f', -1, 64) + "G"
	case v >= 1<<20 && v%(1<<20) == 0:
		return strconv.FormatInt(v>>20, 10) + "M"
	}
	return strconv.FormatInt(v, 10)
}

func (b *byteSize) Set(s string) error {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "B"), "i")
	v, ok := scaled(t, 1024, 1<<50)
	if !ok {
		return fmt.Errorf("%q is not a size (e.g. 512M, 1.5G or 700MiB)", s)
	}
	*b = byteSize(v)
	return nil
}

func (b *byteSize) Type() string { return "size" }

// portRange is a MIN-MAX flag value; the zero value means any port.
type portRange struct{ min, max int }

func (r *portRange) String() string {
	if r.min == 0 && r.max == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", r.min, r.max)
}

func (r *portRange) Set(s string) error {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
		return fmt.Errorf("%q is not a port range MIN-MAX within 1-65535", s)
	}
	r.min, r.max = a, b
	return nil
}

func (r *portRange) Type() string { return "MIN-MAX" }

// parsePrefixes parses CIDRs (or single addresses) named by flag.
func parsePrefixes(flag string, values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%s %q: want a CIDR such as 10.0.0.0/8 or an IP address", flag, v)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
