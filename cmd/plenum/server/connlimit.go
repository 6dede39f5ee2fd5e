package server

import (
	"net"
	"net/netip"

	"github.com/plenum-meet/plenum/sfu/netlimit"
)

// HTTPConnectionsPerSession is how many TCP connections to the web
// server one client address may hold for each signaling session it may
// have (Config.MaxConnectionsPerIP): its sessions' sockets, and the page
// loads of as many browsers, each of which keeps up to six connections
// alive for two minutes. Without a bound of its own, a client that never
// upgraded held as many connections as it liked, each with a socket and
// a goroutine, past the limit on sessions.
const HTTPConnectionsPerSession = 8

// limitPerAddr returns ln, closing at once each connection accepted from
// a client that holds max already (netlimit counts an IPv6 one by its
// /64, as the signaling limits do). Connections from exempt addresses,
// the trusted reverse proxies through which every client comes, are not
// counted. max <= 0 means no limit.
func limitPerAddr(ln net.Listener, max int, exempt []netip.Prefix) net.Listener {
	if max <= 0 {
		return ln
	}
	return &perAddrListener{Listener: ln, max: max, exempt: exempt}
}

type perAddrListener struct {
	net.Listener
	max    int
	exempt []netip.Prefix
	conns  netlimit.Conns
}

// Accept returns the next connection whose client has room for it.
func (l *perAddrListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if a, ok := netlimit.RemoteAddr(conn); ok && containsAddr(l.exempt, a) {
			return conn, nil
		}
		if counted, ok := l.conns.Admit(conn, l.max); ok {
			return counted, nil
		}
		_ = conn.Close()
	}
}
