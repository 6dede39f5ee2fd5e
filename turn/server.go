package turn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pionturn "github.com/pion/turn/v5"

	"github.com/plenum-meet/plenum/sfu/netlimit"
	"github.com/plenum-meet/plenum/sfu/pionlog"
	"github.com/plenum-meet/plenum/sfu/rawsock"
)

// closeTimeout bounds how long Close waits for pion's goroutines to finish.
const closeTimeout = 5 * time.Second

// maxSamePortTries bounds the attempts to find a port free for both UDP and
// TCP when Config.Port is 0.
const maxSamePortTries = 20

// Server is a running TURN server. Create it with [New] and stop it with
// [Server.Close].
type Server struct {
	cfg    Config
	log    *slog.Logger
	policy *peerPolicy
	quota  *allocQuota
	relays relayRegistry
	bw     *bandwidth
	conns  *connTracker
	// perIP counts each client's TCP and TLS connections together:
	// the cap is on both, not on each listener.
	perIP    *netlimit.Conns
	refusals *pionlog.Limiter // client-triggered refusal logs
	// selfCheckPeer is SelfCheck's echo socket while it runs: a peer on
	// an own address at a port other than the SFU's.
	selfCheckPeer atomic.Pointer[netip.AddrPort]
	hairpin       *hairpin // nil without Config.PublicAddrs

	pion    *pionturn.Server
	udp     *turnPacketConn
	udpAddr *net.UDPAddr
	tcpAddr *net.TCPAddr
	tlsAddr *net.TCPAddr    // nil without TLS
	shared  *sharedListener // nil without Config.SharedTLSPort

	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, binds the listeners and starts serving. The caller must
// call Close.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	relayIP, _ := netip.AddrFromSlice(cfg.RelayIP)
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "turn"),
		policy:   newPeerPolicy(cfg.AllowPeers, relayIP, cfg.OwnAddrs),
		hairpin:  newHairpin(cfg.PublicAddrs),
		quota:    newAllocQuota(cfg.MaxAllocationsPerUser, cfg.MaxAllocations),
		bw:       newBandwidth(cfg.RelayBytesPerSecond),
		conns:    newConnTracker(),
		perIP:    &netlimit.Conns{},
		refusals: pionlog.NewLimiter(),
	}

	udpConn, tcpLn, err := listenUDPAndTCP(cfg.ListenIP, cfg.Port)
	if err != nil {
		return nil, err
	}
	s.udpAddr = udpConn.LocalAddr().(*net.UDPAddr) //nolint:forcetypeassert // a UDP socket
	s.tcpAddr = tcpLn.Addr().(*net.TCPAddr)        //nolint:forcetypeassert // a TCP listener
	s.udp = &turnPacketConn{PacketConn: udpConn, bw: s.bw, exited: make(chan struct{})}
	gen := newRelayGenerator(s)
	listeners := []pionturn.ListenerConfig{{
		Listener:              newTCPListener(tcpLn, s, nil),
		RelayAddressGenerator: gen,
		PermissionHandler:     s.permissionHandler,
	}}

	if cfg.TLSConfig != nil {
		tlsLn, err := rawsock.ListenTCP("tcp", hostPort(cfg.ListenIP, cfg.TLSPort))
		if err != nil {
			_ = udpConn.Close()
			_ = tcpLn.Close()

			return nil, &ListenError{Network: "tls", Port: cfg.TLSPort, Err: err}
		}
		s.tlsAddr = tlsLn.Addr().(*net.TCPAddr) //nolint:forcetypeassert // a TCP listener
		tlsConfig := cfg.TLSConfig.Clone()
		if tlsConfig.MinVersion < tls.VersionTLS12 {
			tlsConfig.MinVersion = tls.VersionTLS12
		}
		listeners = append(listeners, pionturn.ListenerConfig{
			Listener:              newTCPListener(tlsLn, s, tlsConfig),
			RelayAddressGenerator: gen,
			PermissionHandler:     s.permissionHandler,
		})
	}

	if cfg.SharedTLSPort != 0 {
		s.shared = newSharedListener(cfg.SharedTLSPort)
		listeners = append(listeners, pionturn.ListenerConfig{
			Listener:              s.shared,
			RelayAddressGenerator: gen,
			PermissionHandler:     s.permissionHandler,
		})
	}

	s.pion, err = pionturn.NewServer(pionturn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   s.authenticate,
		QuotaHandler:  s.quotaHandler,
		EventHandler:  s.eventHandler(),
		LoggerFactory: pionlog.Factory{Log: s.log, Limit: pionlog.NewLimiter()},
		PacketConnConfigs: []pionturn.PacketConnConfig{{
			PacketConn:            s.udp,
			RelayAddressGenerator: gen,
			PermissionHandler:     s.permissionHandler,
		}},
		ListenerConfigs: listeners,
	})
	if err != nil {
		_ = s.udp.Close()
		for _, l := range listeners {
			_ = l.Listener.Close()
		}

		return nil, fmt.Errorf("turn: %w", err)
	}

	attrs := []any{"udp", s.udpAddr.String(), "tcp", s.tcpAddr.String(), "relay_ip", relayIP.Unmap().String(), "realm", cfg.Realm}
	if s.tlsAddr != nil {
		attrs = append(attrs, "tls", s.tlsAddr.String())
	}
	if s.shared != nil {
		attrs = append(attrs, "tls_shared_port", cfg.SharedTLSPort)
	}
	s.log.Info("turn: server started", attrs...)

	return s, nil
}

// listenUDPAndTCP binds UDP and TCP on the same port; with port 0 it retries
// until a port is free for both.
func listenUDPAndTCP(ip net.IP, port int) (net.PacketConn, net.Listener, error) {
	tries := 1
	if port == 0 {
		tries = maxSamePortTries
	}
	var lastErr error
	for range tries {
		udp, err := rawsock.Listen("udp", hostPort(ip, port))
		if err != nil { // udp is not returned: a nil *PacketConn
			return nil, nil, &ListenError{Network: "udp", Port: port, Err: err}
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port //nolint:forcetypeassert // a UDP socket
		tcp, err := rawsock.ListenTCP("tcp", hostPort(ip, p))
		if err == nil {
			return udp, tcp, nil
		}
		_ = udp.Close()
		lastErr = err
	}

	return nil, nil, &ListenError{Network: "tcp", Port: port, Err: lastErr}
}

// ListenError is NewServer's error when one of its ports cannot open
// (in use by another program, below 1024 without the privilege):
// Network says which, "udp" or "tcp" (Config.Port) or "tls" (TLSPort),
// so that the caller can name the setting at fault.
type ListenError struct {
	Network string
	Port    int
	Err     error
}

// Error says which TURN port could not be opened, and why.
func (e *ListenError) Error() string {
	return fmt.Sprintf("turn: listen %s on port %d: %v", strings.ToUpper(e.Network), e.Port, e.Err)
}

// Unwrap returns the error of the listen call.
func (e *ListenError) Unwrap() error { return e.Err }

func hostPort(ip net.IP, port int) string {
	host := ""
	if ip != nil && !ip.IsUnspecified() {
		host = ip.String()
	}

	return net.JoinHostPort(host, strconv.Itoa(port))
}

// eventHandler logs allocation life cycle and failed message integrity
// checks (wrong password or realm).
func (s *Server) eventHandler() pionturn.EventHandler {
	return pionturn.EventHandler{
		OnAuth: func(src, _ net.Addr, _, username, realm, method string, verdict bool) {
			if !verdict {
				s.refusals.Log(s.log, slog.LevelInfo, "turn: credential refused", "reason", "wrong password or realm",
					"username", username, "realm", realm, "client", addrString(src), "method", method)
			}
		},
		OnAllocationCreated: func(src, _ net.Addr, protocol, userID, _ string, relay net.Addr, _ int) {
			s.bw.addClient(src, userID)
			s.log.Debug("turn: allocation created", "user", userID, "client", addrString(src),
				"transport", protocol, "relay", addrString(relay))
		},
		OnAllocationDeleted: func(src, _ net.Addr, protocol, userID, _ string) {
			s.bw.removeClient(src, userID)
			s.log.Debug("turn: allocation deleted", "user", userID, "client", addrString(src), "transport", protocol)
		},
	}
}

// UDPAddr returns the address of the TURN UDP listener.
func (s *Server) UDPAddr() *net.UDPAddr { return cloneUDPAddr(s.udpAddr) }

// TCPAddr returns the address of the TURN TCP listener.
func (s *Server) TCPAddr() *net.TCPAddr { return cloneTCPAddr(s.tcpAddr) }

// TLSAddr returns the address of the TURN-over-TLS listener, or nil when TLS
// is not configured.
func (s *Server) TLSAddr() *net.TCPAddr { return cloneTCPAddr(s.tlsAddr) }

// RelayIP returns the address relays bind to and advertise.
func (s *Server) RelayIP() net.IP { return slices.Clone(s.cfg.RelayIP) }

// Allocations returns the number of live allocations.
func (s *Server) Allocations() int { return s.pion.AllocationCount() }

// RelayDroppedBytes returns the relayed bytes dropped so far because of
// Config.RelayBytesPerSecond.
func (s *Server) RelayDroppedBytes() uint64 {
	if s.bw == nil {
		return 0
	}

	return s.bw.dropped.Load()
}

// Close stops the listeners, ends all allocations and client connections,
// and waits (boundedly) for the server's goroutines to finish. It is safe to
// call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if err := s.pion.Close(); err != nil {
			errs = append(errs, err)
		}
		s.conns.closeAll()

		deadline := time.Now().Add(closeTimeout)
		waited := make(chan struct{})
		go func() {
			s.conns.wg.Wait()
			close(waited)
		}()
		select {
		case <-s.udp.exited:
		case <-time.After(time.Until(deadline)):
		}
		select {
		case <-waited:
		case <-time.After(time.Until(deadline)):
		}
		for s.pion.AllocationCount() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := s.pion.AllocationCount(); n > 0 || !isClosed(s.udp.exited) || !isClosed(waited) {
			errs = append(errs, fmt.Errorf("turn: close timed out after %v (%d allocations left)", closeTimeout, n))
		}
		s.closeErr = errors.Join(errs...)
		s.log.Info("turn: server stopped")
	})

	return s.closeErr
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func cloneUDPAddr(a *net.UDPAddr) *net.UDPAddr {
	if a == nil {
		return nil
	}
	c := *a
	c.IP = append(net.IP(nil), a.IP...)

	return &c
}

func cloneTCPAddr(a *net.TCPAddr) *net.TCPAddr {
	if a == nil {
		return nil
	}
	c := *a
	c.IP = append(net.IP(nil), a.IP...)

	return &c
}
