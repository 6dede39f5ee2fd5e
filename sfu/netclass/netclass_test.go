package netclass

import (
	"net/netip"
	"testing"
)

func TestSpecialClasses(t *testing.T) {
	denied := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "127.1.2.3", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.0.0.8", "192.0.2.10", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.1",
		"198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::127.0.0.1", "64:ff9b::7f00:1",
		"64:ff9b::a00:1", "64:ff9b:1::1", "100::1", "2001::1", "2001:db8::1", "2002:7f00:1::1",
		"3fff::1", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1", "ff0e::1",
	}
	for _, s := range denied {
		if c := Special(netip.MustParseAddr(s)); c == "" {
			t.Errorf("%s not special", s)
		}
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
		"192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2606:4700:4700::1111", "2a00:1450::1",
	}
	for _, s := range allowed {
		if c := Special(netip.MustParseAddr(s)); c != "" {
			t.Errorf("%s special as %q", s, c)
		}
	}
	for addr, class := range map[string]string{
		"127.0.0.1":  "loopback",
		"::1":        "loopback",
		"10.1.1.1":   "private",
		"fd00::1":    "private (unique local)",
		"fe80::1":    "link-local",
		"224.0.0.5":  "multicast",
		"0.0.0.0":    "unspecified",
		"::":         "unspecified",
		"100.64.1.1": "shared (CGNAT)",
	} {
		if got := Special(netip.MustParseAddr(addr)); got != class {
			t.Errorf("class(%s) = %q, want %q", addr, got, class)
		}
	}
}
