package sfu

import (
	"net/netip"
	"strings"

	"github.com/pion/ice/v4"

	"github.com/plenum-meet/plenum/sfu/netclass"
)

// Which of a client's ICE candidates the server sends connectivity
// checks to. A client names its candidates itself, so without a rule any
// participant could make the server send STUN requests (up to
// iceMaxBindingRequests each) to any address and port: the host's own
// UDP services on loopback, hosts of the provider's private network
// behind the server, multicast groups. The server checks only addresses
// it could reach as a server: public unicast ones, and any on a network
// of its own media addresses (a meeting on a LAN, or on loopback in
// tests). Nothing is lost by ignoring the others: a client that can reach
// the server sends its own checks to the server's candidates, and ICE
// learns the address they come from (a peer-reflexive candidate),
// whatever the client claimed; the server's own checks matter only when
// the server is behind a NAT, and then go to the client's public
// (server-reflexive) address.

// checkable tells whether the server may send connectivity checks to a
// client's candidate at a, its media sockets being on the networks local.
func checkable(a netip.Addr, local []netip.Prefix) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
		return false
	}
	for _, n := range local {
		if n.Contains(a) {
			return true
		}
	}
	return netclass.Special(a) == ""
}

// checkableCandidate is checkable for a candidate as in an a=candidate
// line (with or without "candidate:"). A candidate that does not parse,
// or whose address is a name, is not: pion could not check it either.
func checkableCandidate(candidate string, local []netip.Prefix) bool {
	c, err := ice.UnmarshalCandidate(strings.TrimPrefix(candidate, "candidate:"))
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(c.Address())
	return err == nil && checkable(a, local)
}

// withCheckableCandidates returns the session description sdp without
// the a=candidate lines that checkableCandidate refuses.
func withCheckableCandidates(sdp string, local []netip.Prefix) string {
	if !strings.Contains(sdp, "a=candidate:") {
		return sdp
	}
	var b strings.Builder
	b.Grow(len(sdp))
	for rest := sdp; rest != ""; {
		line, after, found := strings.Cut(rest, "\n")
		if found {
			line += "\n"
		}
		rest = after
		if value, ok := strings.CutPrefix(line, "a="); ok && strings.HasPrefix(value, "candidate:") &&
			!checkableCandidate(strings.TrimRight(value, "\r\n"), local) {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}
