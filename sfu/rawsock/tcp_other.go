//go:build !linux

package rawsock

import "net"

// StreamConn is a TCP connection as the net package makes it.
type StreamConn struct{ *net.TCPConn }

// NewStreamConn wraps c.
func NewStreamConn(c *net.TCPConn) (*StreamConn, error) { return &StreamConn{c}, nil }

// Listener accepts TCP connections as StreamConns.
type Listener struct {
	*net.TCPListener
}

// Accept waits for the next connection.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return &StreamConn{c}, nil
}
