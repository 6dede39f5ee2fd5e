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
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k") || strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M") || strings.HasSuffix(t, "m"):
		mult, t = 1e6, t[:len(t)-1]
	case strings.HasSuffix(t, "G") || strings.HasSuffix(t, "g"):
		mult, t = 1e9, t[:len(t)-1]
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*mult > 1e12 {
		return 0, fmt.Errorf("%q is not a bitrate (e.g. 150k, 1.5M or 800000)", s)
	}
	return int64(f * mult), nil
}

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
