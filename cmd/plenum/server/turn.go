package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/turn"
)

// selfCheckTimeout bounds the TURN self-check at start.
const selfCheckTimeout = 10 * time.Second

// TURNConfig says how clients that cannot reach the media port directly
// get through: the embedded TURN server, external ones, or both.
type TURNConfig struct {
	// Embedded runs the built-in TURN server.
	Embedded bool
	// Server configures the built-in server. Its Secret is filled from
	// Secret, its RelayIP defaults to the first non-loopback media address
	// (or 127.0.0.1), and the SFU's media addresses are its own peers.
	Server turn.Config
	// External are URLs of other TURN servers (turn:host:port?transport=udp)
	// that share Secret, as coturn's static-auth-secret.
	External []string
	// Secret signs the short-lived credentials handed to clients.
	Secret []byte
	// CredentialTTL is how long those credentials stay valid.
	CredentialTTL time.Duration
}

func (c TURNConfig) enabled() bool { return c.Embedded || len(c.External) > 0 }

// startTURN starts the embedded server, if configured, with the SFU's own
// addresses (publicIPs, --public-ip, among them) exempted from the peer
// policy.
func (s *Server) startTURN(cfg TURNConfig, publicIPs []string) error {
	if !cfg.Embedded {
		return nil
	}
	tc := cfg.Server
	tc.Secret = cfg.Secret
	tc.Logger = s.log
	if tc.RelayIP == nil {
		tc.RelayIP = defaultRelayIP(s.engine.MediaAddrs())
	}
	own := ownAddrs(s.engine.MediaAddrs(), hostAddrs(publicIPs, tc.RelayIP))
	tc.OwnAddrs = func() []netip.AddrPort { return own }
	tc.PublicAddrs = publicToLocal(publicIPs, s.engine.MediaAddrs(), tc.RelayIP)
	// Credentials are for participants in a meeting: one who left keeps
	// an unexpired credential, but no relay (ReleaseUser ended those).
	tc.Active = s.manager.Present
	srv, err := turn.New(tc)
	if err != nil {
		return fmt.Errorf("TURN server: %w", err)
	}
	s.turn = srv
	return nil
}

// selfCheckTURN relays through the embedded server to itself and logs
// a clear error when that fails: clients behind strict firewalls would not
// get in.
func (s *Server) selfCheckTURN(ctx context.Context) {
	if s.turn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, selfCheckTimeout)
	defer cancel()
	start := time.Now()
	if err := s.turn.SelfCheck(ctx); err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return // stopped before the check could finish
		}
		s.log.Error("TURN self-check failed: participants behind strict firewalls will not connect", "err", err)
		return
	}
	s.log.Info("TURN self-check passed", "relay_ip", s.turn.RelayIP(), "udp", s.turn.UDPAddr(), "tcp", s.turn.TCPAddr(), "tls", s.turn.TLSAddr(),
		"took", time.Since(start).Round(time.Millisecond))
}

// hostAddrs are the host's addresses besides its media sockets': the
// public ones it is reached at behind 1:1 NAT (--public-ip) and the one
// TURN relays from (--turn-relay-ip), which need not be a media address.
func hostAddrs(publicIPs []string, relayIP net.IP) []netip.Addr {
	var out []netip.Addr
	for _, p := range publicIPs {
		if ip, err := netip.ParseAddr(p); err == nil {
			out = append(out, ip)
		}
	}
	if ip, ok := netip.AddrFromSlice(relayIP); ok {
		out = append(out, ip.Unmap())
	}
	return out
}

// publicToLocal pairs each media port at each public address (--public-ip)
// with the local socket behind it: of the media sockets of the public
// address's family, the one at the relay address if there is one (what the
// README's deployment sets), else the first that is not loopback, else the
// first.
func publicToLocal(publicIPs []string, media []netip.AddrPort, relayIP net.IP) map[netip.AddrPort]netip.AddrPort {
	relay, _ := netip.AddrFromSlice(relayIP)
	relay = relay.Unmap()
	out := map[netip.AddrPort]netip.AddrPort{}
	for _, p := range publicIPs {
		public, err := netip.ParseAddr(p)
		if err != nil {
			continue
		}
		public = public.Unmap()
		byPort := map[uint16]netip.AddrPort{}
		rank := func(a netip.AddrPort) int {
			switch {
			case a.Addr() == relay:
				return 0
			case !a.Addr().IsLoopback():
				return 1
			}
			return 2
		}
		for _, a := range media {
			a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
			if a.Addr().Is4() != public.Is4() || a.Addr().IsUnspecified() {
				continue
			}
			if best, ok := byPort[a.Port()]; !ok || rank(a) < rank(best) {
				byPort[a.Port()] = a
			}
		}
		for port, local := range byPort {
			out[netip.AddrPortFrom(public, port)] = local
		}
	}
	return out
}

// ownAddrs are the SFU's media sockets, and the media ports at the
// host's other addresses (hostAddrs); TURN must relay to them even when
// their addresses are private or loopback, and at any of these
// addresses only to them.
func ownAddrs(media []netip.AddrPort, host []netip.Addr) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range media {
		out = append(out, netip.AddrPortFrom(a.Addr().Unmap(), a.Port()))
	}
	// Another address of the host is the host: a datagram to it comes in
	// on loopback, which host firewalls let through, so a relay to it at
	// another port would reach the host's firewalled services (or, at
	// the TURN port, loop into the TURN server).
	for _, ip := range host {
		for _, a := range media {
			out = append(out, netip.AddrPortFrom(ip.Unmap(), a.Port()))
		}
	}
	return out
}

// defaultRelayIP picks the address relays bind to: the first IPv4 media
// address that is not loopback, else the first media address.
func defaultRelayIP(addrs []netip.AddrPort) net.IP {
	for _, a := range addrs {
		if ip := a.Addr().Unmap(); ip.Is4() && !ip.IsLoopback() {
			return net.IP(ip.AsSlice())
		}
	}
	if len(addrs) > 0 {
		return net.IP(addrs[0].Addr().Unmap().AsSlice())
	}
	return net.IPv4(127, 0, 0, 1)
}

// iceServers returns what one participant's client should use: the
// embedded server under the name the client used for us, and the external
// ones, each with fresh credentials.
func (s *Server) iceServers(cfg TURNConfig) func(host, id string) []webrtc.ICEServer {
	if !cfg.enabled() {
		return nil
	}
	return func(host, id string) []webrtc.ICEServer {
		var out []webrtc.ICEServer
		if s.turn != nil {
			for _, e := range s.turn.ICEServers(host, id, cfg.CredentialTTL) {
				out = append(out, webrtc.ICEServer{URLs: e.URLs, Username: e.Username, Credential: e.Credential})
			}
		}
		if len(cfg.External) > 0 {
			user, pass := turn.Credentials(cfg.Secret, id, cfg.CredentialTTL, time.Now())
			out = append(out, webrtc.ICEServer{URLs: cfg.External, Username: user, Credential: pass})
		}
		return out
	}
}
