package client

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// Arrivals remembers when each RTP datagram reached one of the client's
// UDP sockets: by the kernel's receive timestamp where the system gives
// one, else when pion read it. The latency measured to that moment is
// the sender's and the network's (on loopback: the forwarding server's)
// share alone, without the time the receiving pion stack takes to queue,
// decrypt and hand the packet on, which on a loaded load generator is
// the larger part.
//
// One Arrivals may serve many clients: SRTP leaves the RTP header in the
// clear, and SSRCs are random, so an SSRC and sequence number name one
// datagram among all of them. Each is kept until taken or overwritten.
type Arrivals struct {
	locks [arrivalLocks]sync.Mutex
	slots [arrivalSlots]arrival
}

const (
	arrivalSlots = 1 << 16 // a few seconds of a large bench's packets
	arrivalLocks = 64
)

type arrival struct {
	key uint64 // arrivalKey of the datagram, 0 when empty
	at  int64  // unix nanoseconds
}

// NewArrivals returns an empty record; see APIOptions.Arrivals.
func NewArrivals() *Arrivals { return &Arrivals{} }

func arrivalKey(ssrc uint32, seq uint16) (key uint64, slot int) {
	return 1<<63 | uint64(ssrc)<<16 | uint64(seq), int((ssrc*0x9e3779b1)^uint32(seq)) & (arrivalSlots - 1)
}

// note records a received datagram's arrival, if it is RTP, relayed in
// a TURN ChannelData message or not.
func (a *Arrivals) note(datagram []byte, at int64) {
	// ChannelData (RFC 8656 12.4): a channel number 0x4000-0x4fff (RFC
	// 7983: first byte 64-79), a length, then the relayed datagram.
	if len(datagram) >= 4 && datagram[0] >= 64 && datagram[0] <= 79 {
		end := 4 + int(binary.BigEndian.Uint16(datagram[2:]))
		if end > len(datagram) {
			return // truncated
		}
		datagram = datagram[4:end]
	}
	// RTP, not RTCP (RFC 5761: RTCP types 192-223), nor STUN or DTLS
	// (RFC 7983: first byte 128-191 is RTP or RTCP).
	if len(datagram) < 12 || datagram[0] < 128 || datagram[0] > 191 || (datagram[1] >= 192 && datagram[1] <= 223) {
		return
	}
	key, slot := arrivalKey(binary.BigEndian.Uint32(datagram[8:]), binary.BigEndian.Uint16(datagram[2:]))
	mu := &a.locks[slot%arrivalLocks]
	mu.Lock()
	a.slots[slot] = arrival{key: key, at: at}
	mu.Unlock()
}

// take returns and forgets when the packet ssrc, seq arrived.
func (a *Arrivals) take(ssrc uint32, seq uint16) (time.Time, bool) {
	key, slot := arrivalKey(ssrc, seq)
	mu := &a.locks[slot%arrivalLocks]
	mu.Lock()
	defer mu.Unlock()
	s := a.slots[slot]
	if s.key != key {
		return time.Time{}, false
	}
	a.slots[slot] = arrival{}
	return time.Unix(0, s.at), true
}

// arrivalNet is the system's network for pion, except that the UDP
// sockets it opens note what arrives in an Arrivals.
type arrivalNet struct {
	*stdnet.Net
	arrivals *Arrivals
}

func newArrivalNet(a *Arrivals) (transport.Net, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return arrivalNet{Net: n, arrivals: a}, nil
}

// ListenUDP opens a socket whose reads note their arrival.
func (n arrivalNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := net.ListenUDP(network, addr)
	if err != nil {
		return nil, err
	}
	ac := &arrivalConn{UDPConn: c, arrivals: n.arrivals}
	stampArrivals(c)
	if coalesceArrivals(c) {
		ac.coalesced = make([]byte, 1<<16)
	}
	return ac, nil
}

// ListenPacket opens a socket as ListenUDP does, for UDP; pion opens the
// sockets of its TURN clients (relay candidates) this way.
func (n arrivalNet) ListenPacket(network, address string) (net.PacketConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
		addr, err := net.ResolveUDPAddr(network, address)
		if err != nil {
			return nil, err
		}
		return n.ListenUDP(network, addr)
	}
	return n.Net.ListenPacket(network, address)
}

// arrivalConn reads with the kernel's receive timestamp. pion reads each
// candidate's socket from one goroutine; the lock only keeps the buffers
// safe should that change.
//
// Where the kernel can, it hands the socket a run of datagrams from one
// sender in one read (UDP GRO), as QUIC stacks ask of it; ReadFrom gives
// them to pion one by one. A server's segmented send (UDP GSO) then
// reaches the socket whole: on loopback, where the kernel delivers
// inside the sender's system call and charges the server for it, that
// is one delivery where there were several, as a network card would
// spare the server all of them.
type arrivalConn struct {
	*net.UDPConn
	arrivals *Arrivals
	mu       sync.Mutex
	oob      [64]byte

	coalesced []byte       // a coalesced read; nil where the kernel will not coalesce
	rest      []byte       // its datagrams not yet read
	segment   int          // their size (the last may be shorter)
	restFrom  *net.UDPAddr // their sender
	restAt    int64        // their arrival
}

// ReadFrom reads one datagram and notes when it arrived.
func (c *arrivalConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rest) > 0 {
		d := c.rest[:min(c.segment, len(c.rest))]
		c.rest = c.rest[len(d):]
		c.arrivals.note(d, c.restAt)
		return copy(b, d), c.restFrom, nil
	}
	buf := b
	if c.coalesced != nil {
		buf = c.coalesced
	}
	n, oobn, _, addr, err := c.ReadMsgUDP(buf, c.oob[:])
	if err != nil {
		return n, nil, err
	}
	oob := c.oob[:oobn]
	at := kernelTimestamp(oob)
	if at == 0 {
		at = time.Now().UnixNano()
	}
	d := buf[:n]
	if c.coalesced != nil {
		if seg := coalescedSegment(oob); seg > 0 && seg < n {
			d, c.rest, c.segment, c.restFrom, c.restAt = d[:seg], d[seg:], seg, addr, at
		}
	}
	c.arrivals.note(d, at)
	if c.coalesced != nil {
		return copy(b, d), addr, nil
	}
	return n, addr, nil
}
