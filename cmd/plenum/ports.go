package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/turn"
)

// portUse is one socket plenum serve opens, by the flag that sets it.
type portUse struct {
	flag  string
	proto string // "tcp" or "udp"
	host  string // "" for every address
	port  int
}

// listenPort checks an address flag and returns its host and port
// number (a port by name, ":https", looked up): a port out of range or
// of no known name would otherwise fail only when the server binds it,
// with an error naming no flag.
func listenPort(flag, value, example string) (string, int, error) {
	host, port, err := net.SplitHostPort(value)
	if err == nil {
		var p int
		if p, err = net.LookupPort("tcp", port); err == nil {
			return host, p, nil
		}
	}
	return "", 0, fmt.Errorf("%s %q: want host:port, e.g. %s", flag, value, example)
}

// portUses lists the sockets the flags open at fixed ports (port 0, a
// free port, can collide with nothing). turnTLS says whether TURN over
// TLS runs, which needs a certificate.
func (o *serveOptions) portUses(redirect string, turnTLS bool) ([]portUse, error) {
	var uses []portUse
	for _, l := range []struct{ flag, value, example string }{
		{"--listen", o.listen, ":8080 or 127.0.0.1:8080"},
		{"--http-redirect-listen", redirect, ":80"},
		{"--metrics-listen", o.metricsListen, "127.0.0.1:9090"},
	} {
		if l.value == "" {
			continue
		}
		host, port, err := listenPort(l.flag, l.value, l.example)
		if err != nil {
			return nil, err
		}
		uses = append(uses, portUse{l.flag, "tcp", host, port})
	}
	// The media sockets are bound to each address of the host, and the
	// TURN ones to all addresses at once: the two collide on any address.
	uses = append(uses, portUse{"--udp-port", "udp", "", o.udpPort}, portUse{"--tcp-port", "tcp", "", o.tcpPort})
	if o.turn.enabled {
		uses = append(uses, portUse{"--turn-port", "udp", "", o.turn.port}, portUse{"--turn-port", "tcp", "", o.turn.port})
		if turnTLS {
			uses = append(uses, portUse{"--turn-tls-port", "tcp", "", o.turn.tlsPort})
		}
	}
	return uses, nil
}

// checkPortCollisions refuses two sockets on one port and protocol
// where their addresses overlap: the second would fail to bind at start
// with an error that names neither flag.
func checkPortCollisions(uses []portUse) error {
	for i, a := range uses {
		for _, b := range uses[i+1:] {
			if a.port == 0 || a.port != b.port || a.proto != b.proto || !hostsOverlap(a.host, b.host) {
				continue
			}
			return fmt.Errorf("%s and %s both want %s port %d: give each a port of its own",
				a.flag, b.flag, map[string]string{"tcp": "TCP", "udp": "UDP"}[a.proto], a.port)
		}
	}
	return nil
}

// hostsOverlap reports whether sockets on two listen hosts can collide:
// the same address, or any address at all ("", 0.0.0.0 or ::, on which
// Go listens on both IPv4 and IPv6). Two host names collide only when
// they are the same name.
func hostsOverlap(a, b string) bool {
	if a == b || isEveryAddress(a) || isEveryAddress(b) {
		return true
	}
	ia, errA := netip.ParseAddr(a)
	ib, errB := netip.ParseAddr(b)
	return errA == nil && errB == nil && ia.Unmap() == ib.Unmap()
}

func isEveryAddress(host string) bool {
	if host == "" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsUnspecified()
}

// listenFlags names the flag of each of server.New's HTTP listeners.
var listenFlags = map[string]string{"http": "--listen", "metrics": "--metrics-listen", "redirect": "--http-redirect-listen"}

// nameListenFlag names the flag of a socket that could not open: with
// --domain, :80 is --http-redirect-listen's default, which the admin
// never typed, and 3478 and 10000 are the TURN and media ports'
// defaults; an error naming only the port leaves them to guess where it
// comes from and how to move it.
func nameListenFlag(err error) error {
	flag, value, cause := failedListener(err)
	if flag == "" {
		return err
	}
	hint := ""
	switch {
	case errors.Is(cause, fs.ErrPermission):
		hint = " (a port below 1024 needs root or CAP_NET_BIND_SERVICE, which the unit of scripts/install gives)"
	case flag == "--http-redirect-listen":
		hint = " (ACME's http-01 challenges and the redirect to HTTPS; \"off\" switches it off)"
	case errors.Is(cause, syscall.EADDRINUSE):
		hint = " (another program holds it, or another plenum: ss -tulpn names it)"
	}
	return fmt.Errorf("%s %s: %w%s", flag, value, cause, hint)
}

// failedListener finds in an error of server.New the flag of the
// socket that could not open, its value and the listen call's error.
func failedListener(err error) (flag, value string, cause error) {
	var (
		http  *server.ListenError
		media *sfu.ListenError
		relay *turn.ListenError
	)
	switch {
	case errors.As(err, &http):
		return listenFlags[http.Listener], http.Addr, http.Err
	case errors.As(err, &media):
		return map[string]string{"udp": "--udp-port", "tcp": "--tcp-port"}[media.Network], strconv.Itoa(media.Port), media.Err
	case errors.As(err, &relay):
		return map[string]string{"udp": "--turn-port", "tcp": "--turn-port", "tls": "--turn-tls-port"}[relay.Network], strconv.Itoa(relay.Port), relay.Err
	}
	return "", "", nil
}
