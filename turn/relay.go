package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"

	pionturn "github.com/pion/turn/v5"

	"github.com/plenum-meet/plenum/sfu/netclass"
	"github.com/plenum-meet/plenum/sfu/rawsock"
)

// maxPortTries bounds the ports tried per allocation in a port range.
const maxPortTries = 256

var (
	errTCPRelay     = errors.New("TCP relaying (RFC 6062) is not offered")
	errRelayFamily  = errors.New("relay address family not available")
	errPortOutRange = errors.New("requested relay port outside the relay port range")
)

// relayGenerator is the pion RelayAddressGenerator: it binds relay sockets on
// RelayIP within the port range, charges the allocation quota and wraps the
// socket for bandwidth accounting.
type relayGenerator struct {
	s       *Server
	ip      net.IP
	network string // "udp4" or "udp6", the family of ip
	min     int
	max     int
}

var _ pionturn.RelayAddressGenerator = (*relayGenerator)(nil)

func newRelayGenerator(s *Server) *relayGenerator {
	g := &relayGenerator{s: s, ip: s.cfg.RelayIP, min: s.cfg.RelayPortMin, max: s.cfg.RelayPortMax, network: "udp6"}
	if ip4 := s.cfg.RelayIP.To4(); ip4 != nil {
		g.ip, g.network = ip4, "udp4"
	}

	return g
}

// Validate implements pionturn.RelayAddressGenerator.
func (g *relayGenerator) Validate() error { return nil }

// AllocatePacketConn implements pionturn.RelayAddressGenerator.
func (g *relayGenerator) AllocatePacketConn(conf pionturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if conf.Network != g.network {
		return nil, nil, fmt.Errorf("%w: %s requested, relay address is %s", errRelayFamily, conf.Network, g.ip)
	}
	if err := g.s.quota.acquire(conf.UserID); err != nil {
		g.s.refusals.Log(g.s.log, slog.LevelInfo, "turn: allocation refused", "reason", err.Error(), "user", conf.UserID)

		return nil, nil, err
	}
	conn, err := g.listen(conf.RequestedPort)
	if err != nil {
		g.s.quota.release(conf.UserID)
		g.s.log.Warn("turn: cannot bind relay socket", "relay_ip", g.ip.String(), "err", err)

		return nil, nil, err
	}
	relayAddr := *conn.LocalAddr().(*net.UDPAddr) //nolint:forcetypeassert // a UDP socket
	relayAddr.IP = g.ip

	rc := &relayConn{PacketConn: conn, s: g.s, user: conf.UserID, bw: g.s.bw.user(conf.UserID)}
	if !g.s.relays.add(rc) {
		_ = rc.Close()
		g.s.log.Debug("turn: allocation refused", "reason", errUserGone.Error(), "user", conf.UserID)

		return nil, nil, errUserGone
	}

	return rc, &relayAddr, nil
}

func (g *relayGenerator) listen(requested int) (net.PacketConn, error) {
	bind := func(port int) (net.PacketConn, error) {
		c, err := rawsock.Listen(g.network, net.JoinHostPort(g.ip.String(), strconv.Itoa(port)))
		if err != nil {
			return nil, err // not a nil *PacketConn in a non-nil interface
		}

		return c, nil
	}
	if g.min == 0 {
		return bind(requested)
	}
	if requested != 0 {
		if requested < g.min || requested > g.max {
			return nil, fmt.Errorf("%w: %d", errPortOutRange, requested)
		}

		return bind(requested)
	}
	span := g.max - g.min + 1
	start := rand.IntN(span) //nolint:gosec // port choice needs no crypto randomness
	var lastErr error
	for i := range min(span, maxPortTries) {
		conn, err := bind(g.min + (start+i)%span)
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}

	return nil, fmt.Errorf("no free relay port in %d-%d: %w", g.min, g.max, lastErr)
}

// AllocateListener implements pionturn.RelayAddressGenerator; TCP relaying is
// refused (pion answers 508 Insufficient Capacity).
func (g *relayGenerator) AllocateListener(pionturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPRelay
}

// AllocateConn implements pionturn.RelayAddressGenerator; TCP relaying is
// refused.
func (g *relayGenerator) AllocateConn(pionturn.AllocateConnConfig) (net.Conn, error) {
	return nil, errTCPRelay
}

// relayConn is one allocation's relay socket. Writes (client to peer) are
// charged to its user's share of the bandwidth budget and never loop back
// into the TURN listener; Close gives the quota slot back.
type relayConn struct {
	net.PacketConn
	s         *Server
	user      string
	bw        *userBandwidth // nil without a bandwidth cap
	closeOnce sync.Once
}

// WriteTo sends a client's datagram to a peer; dropped datagrams report
// success, as a lossy link would.
func (c *relayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.s.isOwnTURNEndpoint(addr) {
		c.s.log.Debug("turn: dropped relay datagram to the TURN listener itself", "peer", addrString(addr))

		return len(p), nil
	}
	if !c.s.mayRelayTo(addr) {
		c.s.log.Debug("turn: dropped relay datagram to a port of an own address other than the SFU's", "peer", addrString(addr))

		return len(p), nil
	}
	if !c.s.bw.allow(c.bw, len(p)) {
		return len(p), nil
	}

	return c.PacketConn.WriteTo(p, c.s.hairpin.local(addr))
}

// ReadFrom reads a peer's datagram. One from the SFU's local socket is
// from the public address the client knows it by (Config.PublicAddrs).
func (c *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.PacketConn.ReadFrom(p)
	if err != nil {
		return n, from, err
	}

	return n, c.s.hairpin.public(from), nil
}

// Close closes the socket and releases the quota slot once.
func (c *relayConn) Close() error {
	err := c.PacketConn.Close()
	c.closeOnce.Do(func() {
		c.s.quota.release(c.user)
		c.s.bw.release(c.user)
		c.s.relays.remove(c)
	})
	if errors.Is(err, net.ErrClosed) {
		return nil
	}

	return err
}

// mayRelayTo reports whether a client's datagram may go to addr
// (peerPolicy.mayReach), the self-check's echo peer being allowed while
// the check runs.
func (s *Server) mayRelayTo(addr net.Addr) bool {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return true // not UDP: pion relays UDP only
	}
	peer := ua.AddrPort()
	if echo := s.selfCheckPeer.Load(); echo != nil && *echo == netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()) {
		return true
	}

	return s.policy.mayReach(peer)
}

// isOwnTURNEndpoint reports whether addr is this server's TURN UDP listener,
// which a relay must not feed (a client could otherwise make the server talk
// to itself).
func (s *Server) isOwnTURNEndpoint(addr net.Addr) bool {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || ua.Port != s.udpAddr.Port {
		return false
	}
	ip, _ := netip.AddrFromSlice(ua.IP)
	ip = ip.Unmap()
	listen, _ := netip.AddrFromSlice(s.udpAddr.IP)
	listen = listen.Unmap()
	if !listen.IsUnspecified() {
		return ip == listen
	}

	return ip == s.policy.relayIP || netclass.Special(ip) != "" || s.policy.isOwn(ip)
}
