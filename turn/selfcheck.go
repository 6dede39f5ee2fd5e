package turn

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"

	"github.com/plenum-meet/plenum/sfu/pionlog"
)

const (
	// selfCheckTimeout applies when SelfCheck's context has no deadline.
	selfCheckTimeout = 10 * time.Second
	// selfCheckID is the credential id SelfCheck allocates under.
	selfCheckID = "plenum-selfcheck"
	// selfCheckInterval is the wait for an echo before sending again.
	selfCheckInterval = 200 * time.Millisecond
)

// SelfCheck proves that relaying works: it allocates on this server over UDP
// with fresh credentials, creates a permission for a UDP echo socket on
// RelayIP, sends a datagram through the relay and waits for it to come back.
// When RelayIP is loopback or private it must be among OwnAddrs (or
// AllowPeers), as it is when the SFU shares the address; otherwise the
// check reports the refused permission. The error names the step that failed.
// Without a deadline in ctx it gives up after 10 seconds.
func (s *Server) SelfCheck(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, selfCheckTimeout)
		defer cancel()
	}
	relayIP := s.cfg.RelayIP
	family := pionturn.RequestedAddressFamilyIPv4
	if relayIP.To4() == nil {
		family = pionturn.RequestedAddressFamilyIPv6
	}

	// The server is reached on its listen address, or on loopback when it
	// listens on all addresses.
	serverIP := s.udpAddr.IP
	if serverIP == nil || serverIP.IsUnspecified() {
		serverIP = net.IPv4(127, 0, 0, 1)
		if s.cfg.ListenIP != nil && s.cfg.ListenIP.To4() == nil {
			serverIP = net.IPv6loopback
		}
	}
	serverAddr := &net.UDPAddr{IP: serverIP, Port: s.udpAddr.Port}

	echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: relayIP})
	if err != nil {
		return fmt.Errorf("turn selfcheck: open echo peer on relay IP %s: %w", relayIP, err)
	}
	defer echo.Close() //nolint:errcheck // closing the test socket
	var echoed atomic.Int64
	echoDone := make(chan struct{})
	go func() {
		defer close(echoDone)
		runEcho(echo, &echoed)
	}()
	defer func() { _ = echo.Close(); <-echoDone }()
	// The echo is on an own address, but not at the SFU's port: let the
	// relay reach it while the check runs.
	echoPeer := echo.LocalAddr().(*net.UDPAddr).AddrPort() //nolint:forcetypeassert // a UDP socket
	echoPeer = netip.AddrPortFrom(echoPeer.Addr().Unmap(), echoPeer.Port())
	s.selfCheckPeer.Store(&echoPeer)
	defer s.selfCheckPeer.Store(nil)

	clientConn, err := net.ListenPacket("udp", net.JoinHostPort(serverIP.String(), "0")) //nolint:noctx
	if err != nil {
		return fmt.Errorf("turn selfcheck: open client socket: %w", err)
	}
	defer clientConn.Close() //nolint:errcheck // closing the test socket

	user, pass := Credentials(s.cfg.Secret, selfCheckID, time.Minute, time.Now())
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr:         serverAddr.String(),
		Username:               user,
		Password:               pass,
		Realm:                  s.cfg.Realm,
		Conn:                   clientConn,
		LoggerFactory:          pionlog.Factory{Log: s.log.With("selfcheck", true), Quiet: true},
		RequestedAddressFamily: family,
	})
	if err != nil {
		return fmt.Errorf("turn selfcheck: create client: %w", err)
	}
	if err := client.Listen(); err != nil {
		return fmt.Errorf("turn selfcheck: start client: %w", err)
	}

	result := make(chan error, 1)
	go func() {
		result <- s.selfCheckRun(ctx, client, serverAddr, echo.LocalAddr().(*net.UDPAddr), &echoed) //nolint:forcetypeassert
	}()
	select {
	case err = <-result:
	case <-ctx.Done():
		// Ends pending transactions and reads, so the run returns promptly.
		client.Close()
		_ = clientConn.Close()
		<-result
		err = fmt.Errorf("turn selfcheck: %w (echo peer received %d datagrams)", ctx.Err(), echoed.Load())
	}
	client.Close()
	// The caller logs the outcome, once: it knows what a failure means
	// to its participants.
	return err
}

func (s *Server) selfCheckRun(ctx context.Context, client *pionturn.Client, server, echo *net.UDPAddr,
	echoed *atomic.Int64,
) error {
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		return fmt.Errorf("turn selfcheck: allocate at %s (relay IP %s, relay ports %s) failed%s: %w",
			server, s.cfg.RelayIP, s.portRangeString(), explainTURNError(err), err)
	}
	defer relay.Close() //nolint:errcheck // sends a Refresh with lifetime 0

	if err := client.CreatePermission(echo); err != nil {
		hint := ""
		if ip, ok := netip.AddrFromSlice(echo.IP); ok {
			if allowed, reason := s.policy.check(ip); !allowed {
				hint = fmt.Sprintf(" (peer policy: %s; list the relay IP in OwnAddrs or AllowPeers)", reason)
			}
		}

		return fmt.Errorf("turn selfcheck: permission for echo peer %s on relay %s refused%s: %w",
			echo, relay.LocalAddr(), hint, err)
	}

	payload := make([]byte, 32)
	_, _ = rand.Read(payload)
	buf := make([]byte, 1500)
	for ctx.Err() == nil {
		if _, err := relay.WriteTo(payload, echo); err != nil {
			return fmt.Errorf("turn selfcheck: send via relay %s to %s: %w", relay.LocalAddr(), echo, err)
		}
		_ = relay.SetReadDeadline(time.Now().Add(selfCheckInterval))
		for {
			n, from, err := relay.ReadFrom(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}

				return fmt.Errorf("turn selfcheck: receive via relay %s: %w", relay.LocalAddr(), err)
			}
			if from.String() == echo.String() && bytes.Equal(buf[:n], payload) {
				return nil
			}
		}
	}

	return fmt.Errorf("turn selfcheck: no datagram came back through relay %s from echo peer %s "+
		"(echo peer received %d): %w", relay.LocalAddr(), echo, echoed.Load(), ctx.Err())
}

// explainTURNError turns the error codes SelfCheck can meet into a hint.
func explainTURNError(err error) string {
	var te *stun.TurnError
	if !errors.As(err, &te) {
		return ""
	}
	switch te.ErrorCodeAttr.Code {
	case stun.CodeUnauthorized:
		return " (401: credentials refused)"
	case stun.CodeAllocQuotaReached:
		return " (486: per-user allocation limit reached)"
	case stun.CodeInsufficientCapacity:
		return " (508: relay socket could not be bound on RelayIP within the port range, or MaxAllocations reached)"
	default:
		return fmt.Sprintf(" (TURN error %d)", te.ErrorCodeAttr.Code)
	}
}

func (s *Server) portRangeString() string {
	if s.cfg.RelayPortMin == 0 {
		return "any"
	}

	return fmt.Sprintf("%d-%d", s.cfg.RelayPortMin, s.cfg.RelayPortMax)
}

// runEcho sends every datagram back to its sender until conn is closed.
func runEcho(conn net.PacketConn, count *atomic.Int64) {
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		count.Add(1)
		if _, err := conn.WriteTo(buf[:n], from); err != nil {
			return
		}
	}
}
