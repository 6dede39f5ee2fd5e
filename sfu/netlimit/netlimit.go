// Package netlimit counts a server's open connections by client, so
// that one client cannot hold them all. A client is its IPv4 address,
// or its IPv6 address's /64: one host commonly holds a whole /64 and
// takes addresses from it at will, so that counted by address, it
// would be bound by nothing.
package netlimit

import (
	"net"
	"net/netip"
	"sync"
)

// Client is the client a connection from a counts against: a itself
// for IPv4 (an IPv4-mapped IPv6 address unmapped), else its /64.
func Client(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return a
}

// Conns counts open connections by client. The zero value is ready.
type Conns struct {
	mu sync.Mutex
	n  map[netip.Addr]int
}

// Admit counts conn against its client unless the client holds max
// connections already (then ok is false), and returns it wrapped so
// that closing it, hijacked or not, gives the place back. A connection
// that is not over IP is not counted.
func (c *Conns) Admit(conn net.Conn, max int) (counted net.Conn, ok bool) {
	a, isIP := RemoteAddr(conn)
	if !isIP {
		return conn, true
	}
	client := Client(a)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[client] >= max {
		return nil, false
	}
	if c.n == nil {
		c.n = map[netip.Addr]int{}
	}
	c.n[client]++
	return &countedConn{Conn: conn, release: func() { c.release(client) }}, true
}

// Count is how many connections client (as Client gives it) holds.
func (c *Conns) Count(client netip.Addr) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[client]
}

func (c *Conns) release(client netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[client]--; c.n[client] <= 0 {
		delete(c.n, client)
	}
}

// RemoteAddr is conn's remote IP address, unmapped; ok is false when
// conn is not over IP.
func RemoteAddr(conn net.Conn) (a netip.Addr, ok bool) {
	if ta, isTCP := conn.RemoteAddr().(*net.TCPAddr); isTCP {
		return ta.AddrPort().Addr().Unmap(), true
	}
	ap, err := netip.ParseAddrPort(conn.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// countedConn gives its client's place back when it is first closed.
type countedConn struct {
	net.Conn
	release func()
	once    sync.Once
}

// Close closes the connection and gives the place back once.
func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
