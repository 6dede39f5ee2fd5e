package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/plenum-meet/plenum/sfu/netclass"
)

// checkPublicIP checks a --public-ip. Browsers must be able to send
// to it, so not any address, nor a multicast one; and pion, which reads
// it only when a participant joins, takes no IPv6 zone (fe80::1%eth0):
// every join would fail on a server that started well.
func checkPublicIP(value string) error {
	ip, err := netip.ParseAddr(value)
	switch {
	case err != nil:
		return fmt.Errorf("--public-ip %q is not an IP address", value)
	case ip.Zone() != "":
		return fmt.Errorf("--public-ip %q: a public address has no zone (%%%s)", value, ip.Zone())
	case ip.IsUnspecified() || ip.IsMulticast():
		return fmt.Errorf("--public-ip %q: want the address participants reach the server at, e.g. 203.0.113.7", value)
	}
	return nil
}

// warnUnreachablePublicIP warns when --public-ip (value, already
// checked) is in a range participants on the Internet cannot reach: a
// private address copied from the cloud console, or the README's
// example left as it was, passes every check and then leaves everyone
// outside that network without media, which only their failed calls
// would tell. A meeting on a private network may mean it: a warning,
// not a refusal.
func warnUnreachablePublicIP(log *slog.Logger, value string) {
	ip, err := netip.ParseAddr(value)
	if err != nil {
		return
	}
	if class := netclass.Special(ip); class != "" {
		log.Warn(fmt.Sprintf("--public-ip %s is a %s address, which participants on the Internet cannot reach: give the address they reach this server at (behind 1:1 NAT, the public one), unless the meeting is on that network only", value, class),
			"public_ip", value, "class", class)
	}
}

// checkBindable binds a UDP socket to ip, and closes it. Relay sockets
// bind to --turn-relay-ip: at an address the machine does not have,
// every allocation would fail, which only the self-check's log would
// tell.
func checkBindable(ip net.IP) error {
	c, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return err
	}
	return c.Close()
}
