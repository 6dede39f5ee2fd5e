package turn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
)

const (
	// DefaultPort is the standard TURN port for UDP and TCP (RFC 8656).
	DefaultPort = 3478
	// DefaultTLSPort is the standard port for TURN over TLS (RFC 8656).
	DefaultTLSPort = 5349
	// DefaultRealm is the realm used when Config.Realm is empty.
	DefaultRealm = "plenum"
	// DefaultMaxAllocationsPerUser is used when Config.MaxAllocationsPerUser is 0.
	DefaultMaxAllocationsPerUser = 10
	// DefaultMaxAllocations is used when Config.MaxAllocations is 0.
	DefaultMaxAllocations = 1000
)

// Config configures a [Server]. Only RelayIP and Secret are required.
type Config struct {
	// Realm is the TURN realm sent to clients; default DefaultRealm.
	Realm string

	// ListenIP is the address the TURN listeners bind to; nil or an
	// unspecified address means all addresses (dual stack). On a host with
	// several addresses per family, set it: UDP answers leave from the
	// address the kernel picks.
	ListenIP net.IP

	// Port is the UDP and TCP port. 0 picks a free port (the same number for
	// UDP and TCP); production use sets DefaultPort.
	Port int

	// TLSPort is the TURN-over-TLS port, used when TLSConfig is set. 0 picks
	// a free port; production use sets DefaultTLSPort (or 443).
	TLSPort int

	// TLSConfig enables TURN over TLS when non-nil. It must hold a
	// certificate (Certificates or GetCertificate).
	TLSConfig *tls.Config

	// SharedTLSPort, when not 0, is another listener's TLS port (the
	// HTTPS one) that hands the connections carrying TURN to
	// Server.ServeTLSConn; ICEServers then offers turns: at that port,
	// which networks that let through nothing but HTTPS do not block.
	SharedTLSPort int

	// RelayIP is the address relay sockets bind to and that is advertised to
	// clients in XOR-RELAYED-ADDRESS. Required. When it is loopback or
	// private it is an allowed peer only if OwnAddrs or AllowPeers says so.
	RelayIP net.IP

	// RelayPortMin and RelayPortMax bound the relay ports (inclusive). Both 0
	// means any ephemeral port.
	RelayPortMin, RelayPortMax int

	// Secret is the shared secret of the TURN REST API credentials (coturn's
	// static-auth-secret), used verbatim as the HMAC-SHA1 key. Required.
	Secret []byte

	// AllowPeers lists peer ranges that are allowed although they fall in a
	// denied class (coturn's allowed-peer-ip).
	AllowPeers []netip.Prefix

	// OwnAddrs returns the SFU's own media sockets. Their addresses are
	// allowed as peers even when loopback or private, since an embedded
	// TURN server must be able to reach its own SFU; but there, datagrams
	// go only to these ports, so that the host's other services on those
	// addresses (a DNS resolver on loopback, say) stay out of a client's
	// reach. It is called on every CreatePermission, ChannelBind and relayed
	// datagram to such an address and must be safe for concurrent use.
	// Optional.
	OwnAddrs func() []netip.AddrPort
	// PublicAddrs maps each address the SFU's media sockets are advertised
	// at behind 1:1 NAT (a public IP with the media port) to the socket's
	// local address. A relay sends a client's datagrams for such an
	// address to the local one, and presents the SFU's answers, which
	// come from the local one, as from the public address whose
	// permission the client holds: many clouds do not route what the
	// machine sends to its own public address back to it. Optional.
	PublicAddrs map[netip.AddrPort]netip.AddrPort

	// Active, if set, reports whether the participant id of a credential is
	// still in a meeting. A credential outlives its holder's meeting (12
	// hours by default): one who left, or was removed, must not go on
	// allocating relays with it. It is called on every authenticated
	// request (not on relayed datagrams) and must be safe for concurrent
	// use. Optional: without it, any unexpired credential is accepted.
	Active func(id string) bool

	// MaxAllocationsPerUser caps concurrent allocations per credential id;
	// default DefaultMaxAllocationsPerUser.
	MaxAllocationsPerUser int

	// MaxAllocations caps concurrent allocations in total; default
	// DefaultMaxAllocations.
	MaxAllocations int

	// RelayBytesPerSecond caps relayed traffic for the whole server, both
	// directions together: payload bytes sent to peers plus ChannelData /
	// Data indication bytes sent to clients. Datagrams over the cap are
	// dropped. The bucket holds a quarter second of traffic (at least
	// 64 KiB). 0 means no cap.
	//
	// The cap is shared fairly among the credential ids relaying at the
	// moment (those with a datagram in the last half second or so): each
	// is sure of an equal part, and may use more only of what the others
	// leave. One alone may use the whole cap; one flooding cannot crowd
	// out another that stays within its part.
	RelayBytesPerSecond int64

	// Logger receives the server's logs; default slog.Default(). Pion's own
	// messages are demoted because clients can trigger most of them: pion
	// errors become warnings, pion info becomes debug and pion's per-packet
	// debug output goes below slog.LevelDebug. Client-triggered refusals
	// (credentials, peers, quotas) are logged at info, at most 5 a second.
	Logger *slog.Logger
}

// normalize fills defaults and validates; it returns a copy.
func (c Config) normalize() (Config, error) {
	if c.Realm == "" {
		c.Realm = DefaultRealm
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxAllocationsPerUser == 0 {
		c.MaxAllocationsPerUser = DefaultMaxAllocationsPerUser
	}
	if c.MaxAllocations == 0 {
		c.MaxAllocations = DefaultMaxAllocations
	}

	var errs []error
	if len(c.Secret) == 0 {
		errs = append(errs, errors.New("Secret is required"))
	}
	if relay, ok := netip.AddrFromSlice(c.RelayIP); !ok || relay.Unmap().IsUnspecified() || relay.IsMulticast() {
		errs = append(errs, fmt.Errorf("RelayIP %q must be a specific IP address", c.RelayIP))
	}
	if c.ListenIP != nil && c.ListenIP.To16() == nil {
		errs = append(errs, fmt.Errorf("ListenIP %q is not an IP address", c.ListenIP))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("Port %d out of range", c.Port))
	}
	if c.SharedTLSPort < 0 || c.SharedTLSPort > 65535 {
		errs = append(errs, fmt.Errorf("SharedTLSPort %d out of range", c.SharedTLSPort))
	}
	if c.TLSPort < 0 || c.TLSPort > 65535 {
		errs = append(errs, fmt.Errorf("TLSPort %d out of range", c.TLSPort))
	}
	if c.TLSConfig != nil && len(c.TLSConfig.Certificates) == 0 &&
		c.TLSConfig.GetCertificate == nil && c.TLSConfig.GetConfigForClient == nil {
		errs = append(errs, errors.New("TLSConfig has no certificate"))
	}
	switch {
	case c.RelayPortMin == 0 && c.RelayPortMax == 0:
	case c.RelayPortMin < 1 || c.RelayPortMax > 65535 || c.RelayPortMin > c.RelayPortMax:
		errs = append(errs, fmt.Errorf("relay port range %d-%d invalid", c.RelayPortMin, c.RelayPortMax))
	}
	if c.MaxAllocationsPerUser < 0 || c.MaxAllocations < 0 {
		errs = append(errs, errors.New("allocation limits must not be negative"))
	}
	if c.RelayBytesPerSecond < 0 {
		errs = append(errs, errors.New("RelayBytesPerSecond must not be negative"))
	}
	for i, p := range c.AllowPeers {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("AllowPeers[%d] is not a valid prefix", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("turn: invalid config: %w", err)
	}

	return c, nil
}
