// Package netclass tells ordinary public unicast addresses from those
// of special ranges (private, loopback, link-local, multicast, reserved,
// documentation...): the TURN server relays only to the former unless
// told otherwise, and the SFU sends connectivity checks only to them
// and to its own networks.
package netclass

import "net/netip"

// specialRange is a range of addresses no ordinary Internet host has,
// with its class as logs name it.
type specialRange struct {
	prefix netip.Prefix
	class  string
}

// specialRanges follows coturn's recommended denied-peer-ip list and the IANA
// special-purpose registries. IPv4-mapped IPv6 addresses are unmapped before
// matching, and NAT64 addresses (64:ff9b::/96) are judged by the IPv4
// address they embed.
var specialRanges = func() []specialRange {
	table := []struct{ cidr, class string }{
		{"0.0.0.0/8", "unspecified"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "shared (CGNAT)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "special-purpose"},
		{"192.0.2.0/24", "documentation"},
		{"192.88.99.0/24", "6to4 relay anycast"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "benchmarking"},
		{"198.51.100.0/24", "documentation"},
		{"203.0.113.0/24", "documentation"},
		{"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved/broadcast"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/8", "reserved (IPv4-compatible/translated)"},
		{"64:ff9b:1::/48", "local NAT64"},
		{"100::/64", "discard-only"},
		{"2001::/23", "special-purpose (Teredo, ORCHID, …)"},
		{"2001:db8::/32", "documentation"},
		{"2002::/16", "6to4"},
		{"3fff::/20", "documentation"},
		{"5f00::/16", "SRv6 SIDs"},
		{"fc00::/7", "private (unique local)"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"},
		{"ff00::/8", "multicast"},
	}
	out := make([]specialRange, len(table))
	for i, e := range table {
		out[i] = specialRange{prefix: netip.MustParsePrefix(e.cidr), class: e.class}
	}

	return out
}()

var nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")

// Special returns the class of ip ("private", "loopback", "multicast",
// "documentation" and so on) when it is in a range no ordinary Internet
// host is at, or "" when ip is an ordinary public unicast address.
func Special(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return "invalid"
	}
	if nat64Prefix.Contains(ip) {
		b := ip.As16()
		if class := Special(netip.AddrFrom4([4]byte(b[12:]))); class != "" {
			return "NAT64 of " + class
		}

		return ""
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(ip) {
			return r.class
		}
	}

	return ""
}
