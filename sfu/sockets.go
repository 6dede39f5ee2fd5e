package sfu

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// mediaSocketBuffer is the kernel buffer asked for each way on a media
// socket: a fan-out of a keyframe to a large room is a burst.
const mediaSocketBuffer = 4 << 20

// ListenError is NewEngine's error when a media port cannot open (in
// use by another program, below 1024 without the privilege): Network
// says which, "udp" (NetworkConfig.UDPPort) or "tcp" (TCPPort), so that
// the caller can name the setting at fault.
type ListenError struct {
	Network string
	Port    int
	Err     error
}

// Error says which media port could not be opened, and why.
func (e *ListenError) Error() string {
	return fmt.Sprintf("open %s media port %d: %v", strings.ToUpper(e.Network), e.Port, e.Err)
}

// Unwrap returns the error of the listen call.
func (e *ListenError) Unwrap() error { return e.Err }

// openMediaSockets opens one batched UDP socket on port (0: any) for
// each address of the chosen interfaces, as pion's
// ice.NewMultiUDPMuxFromPort would, but with sockets the engine can
// flush.
// It also returns the networks those addresses are on (remoteaddr.go).
func openMediaSockets(port int, interfaces []string) ([]*batchConn, []netip.Prefix, error) {
	addrs, nets, err := mediaAddrs(interfaces)
	if err != nil {
		return nil, nil, err
	}
	if len(addrs) == 0 {
		return nil, nil, errors.New("no usable network address for media: check --ice-interface")
	}
	var conns []*batchConn
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	for _, a := range addrs {
		network := "udp4"
		if a.Is6() {
			network = "udp6"
		}
		uc, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(port))))
		if err != nil {
			closeAll()
			return nil, nil, &ListenError{Network: "udp", Port: port, Err: err}
		}
		_ = uc.SetReadBuffer(mediaSocketBuffer)
		_ = uc.SetWriteBuffer(mediaSocketBuffer)
		bc, err := newBatchConn(uc)
		if err != nil {
			_ = uc.Close()
			closeAll()
			return nil, nil, err
		}
		conns = append(conns, bc)
	}
	return conns, nets, nil
}

// mediaAddrs lists the addresses to listen on: those of the interfaces
// named (all that are up if none), loopback only when includeLoopback
// says so, and no IPv6 address that ICE must not offer (IPv4-compatible,
// site-local), and the networks they are on.
func mediaAddrs(names []string) (addrs []netip.Addr, nets []netip.Prefix, err error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, nil, err
	}
	loopback := includeLoopback(names)
	filter := interfaceFilter(names)
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || (iface.Flags&net.FlagLoopback != 0 && !loopback) {
			continue
		}
		if len(names) > 0 && !filter(iface.Name) {
			continue
		}
		ias, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, ia := range ias {
			pfx, err := netip.ParsePrefix(ia.String())
			if err != nil {
				continue
			}
			a := pfx.Addr().Unmap()
			if a.IsLoopback() && !loopback {
				continue
			}
			if a.Is6() {
				b := a.As16()
				if [12]byte(b[:12]) == [12]byte{} || (b[0] == 0xfe && b[1]&0xc0 == 0xc0) {
					continue
				}
			}
			nets = append(nets, netip.PrefixFrom(a, pfx.Bits()).Masked())
			if a.Is6() && a.IsLinkLocalUnicast() {
				a = a.WithZone(iface.Name)
			}
			addrs = append(addrs, a)
		}
	}
	return addrs, nets, nil
}
