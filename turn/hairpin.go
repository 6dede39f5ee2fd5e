package turn

import (
	"net"
	"net/netip"
)

// hairpin takes relayed datagrams between clients and the SFU's public
// address behind 1:1 NAT (Config.PublicAddrs) the short way, through the
// SFU's local socket. Many clouds do not route a datagram the machine
// sends to its own public address back to it, and a relay would reach
// the SFU only that way: a participant who can use nothing but TURN
// would then get no media at all.
type hairpin struct {
	toLocal  map[netip.AddrPort]*net.UDPAddr
	toPublic map[netip.AddrPort]*net.UDPAddr
}

// newHairpin indexes public-to-local pairs both ways; a local socket
// advertised at several public addresses answers as the first of them.
// Nil when there is nothing to map.
func newHairpin(publicToLocal map[netip.AddrPort]netip.AddrPort) *hairpin {
	if len(publicToLocal) == 0 {
		return nil
	}
	h := &hairpin{toLocal: map[netip.AddrPort]*net.UDPAddr{}, toPublic: map[netip.AddrPort]*net.UDPAddr{}}
	for public, local := range publicToLocal {
		public, local = plainAddrPort(public), plainAddrPort(local)
		h.toLocal[public] = net.UDPAddrFromAddrPort(local)
		if old, ok := h.toPublic[local]; !ok || public.Compare(old.AddrPort()) < 0 {
			h.toPublic[local] = net.UDPAddrFromAddrPort(public)
		}
	}
	return h
}

// local returns where a datagram to addr really goes: the SFU's local
// socket if addr is its public address, else addr itself.
func (h *hairpin) local(addr net.Addr) net.Addr {
	if h == nil {
		return addr
	}
	return swap(h.toLocal, addr)
}

// public returns whom a datagram from addr is from as the client knows
// it: the SFU's public address if addr is its local socket, else addr.
func (h *hairpin) public(addr net.Addr) net.Addr {
	if h == nil {
		return addr
	}
	return swap(h.toPublic, addr)
}

// swap returns what m maps addr to, or addr.
func swap(m map[netip.AddrPort]*net.UDPAddr, addr net.Addr) net.Addr {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return addr
	}
	if to, ok := m[plainAddrPort(ua.AddrPort())]; ok {
		return to
	}
	return addr
}

// plainAddrPort is a without IPv4-in-IPv6 mapping or zone, as the maps
// keep addresses.
func plainAddrPort(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap().WithZone(""), a.Port())
}
