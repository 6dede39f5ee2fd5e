package turn

import (
	"log/slog"
	"net"
	"net/netip"

	"github.com/plenum-meet/plenum/sfu/netclass"
)

// peerPolicy decides which peers clients may relay to. relayIP is not
// exempt by itself: when it is in a denied class, OwnAddrs or AllowPeers must
// list it (SelfCheck then shows whether the relay can reach it).
type peerPolicy struct {
	allow   []netip.Prefix
	relayIP netip.Addr
	own     func() []netip.AddrPort
}

func newPeerPolicy(allow []netip.Prefix, relayIP netip.Addr, own func() []netip.AddrPort) *peerPolicy {
	p := &peerPolicy{relayIP: relayIP.Unmap(), own: own}
	for _, pfx := range allow {
		pfx = pfx.Masked()
		if a := pfx.Addr(); a.Is4In6() {
			bits := pfx.Bits() - 96
			if bits < 0 {
				bits = 0
			}
			pfx = netip.PrefixFrom(a.Unmap(), bits).Masked()
		}
		p.allow = append(p.allow, pfx)
	}

	return p
}

// check reports whether ip may be a peer, and why.
func (p *peerPolicy) check(ip netip.Addr) (ok bool, reason string) {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return false, "invalid address"
	}
	if pfx, ok := p.allowedBy(ip); ok {
		return true, "allowed by AllowPeers " + pfx.String()
	}
	if p.isOwn(ip) {
		return true, "own address"
	}
	if class := netclass.Special(ip); class != "" {
		return false, "denied class: " + class
	}

	return true, "public unicast"
}

// allowedBy returns the AllowPeers range that holds ip, if any.
func (p *peerPolicy) allowedBy(ip netip.Addr) (netip.Prefix, bool) {
	for _, pfx := range p.allow {
		if pfx.Contains(ip) {
			return pfx, true
		}
	}

	return netip.Prefix{}, false
}

// mayReach reports whether a client's datagram may go to peer, whose
// address has a permission (check). Permissions are by address, as pion
// keeps them: at the SFU's addresses (OwnAddrs) only the SFU's own ports
// may be reached. That holds for public ones too: a datagram from the host to its own public address comes in on the
// loopback interface, which host firewalls let through, so a relay
// would reach services (a resolver, statsd) firewalled from outside.
func (p *peerPolicy) mayReach(peer netip.AddrPort) bool {
	ip := peer.Addr().Unmap().WithZone("")
	own, atPort := p.ownMatch(ip, peer.Port())
	if !own || atPort {
		return true // not own, or the SFU itself (the common case)
	}
	_, allowed := p.allowedBy(ip)

	return allowed
}

func (p *peerPolicy) isOwn(ip netip.Addr) bool {
	own, _ := p.ownMatch(ip, 0)

	return own
}

// ownMatch reports whether ip (unmapped, without zone) is one of the
// SFU's addresses, and whether port is a media port there (never so for
// port 0).
func (p *peerPolicy) ownMatch(ip netip.Addr, port uint16) (own, atPort bool) {
	if p.own == nil {
		return false, false
	}
	for _, a := range p.own() {
		if a.Addr().Unmap().WithZone("") == ip {
			own = true
			if port != 0 && a.Port() == port {
				return true, true
			}
		}
	}

	return own, false
}

// permissionHandler adapts the policy to pion's PermissionHandler, which pion
// consults for CreatePermission, ChannelBind and Connect.
func (s *Server) permissionHandler(client net.Addr, peerIP net.IP) bool {
	ip, _ := netip.AddrFromSlice(peerIP)
	ok, reason := s.policy.check(ip)
	if !ok {
		s.refusals.Log(s.log, slog.LevelInfo, "turn: peer refused", "client", addrString(client), "peer", ip.Unmap().String(), "reason", reason)
	} else {
		s.log.Debug("turn: peer allowed", "client", addrString(client), "peer", ip.Unmap().String(), "reason", reason)
	}

	return ok
}
