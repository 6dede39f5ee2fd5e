package sfu

import (
	"encoding/binary"
	"net/netip"
)

// Segmented sends (UDP generic segmentation offload, Linux 4.18 and
// later): one sendmsg(2) whose buffer holds several datagrams for one
// address, all of one size but the last, which may be shorter, with that
// size in a control message. The kernel routes and builds the packet
// once and cuts it into datagrams as late as it can: in the network card
// where it can, and on loopback at the receiving socket. A subscriber's
// share of a video frame's copies is such a run: the packets of a frame
// come out of the browser's packetizer within a byte of one size. On
// this project's test machine, a frame of three packets to 20 receivers
// costs the sending thread 1.9 µs a datagram segmented and 3.4 sent one
// by one (BenchmarkBatchConnFrame, loopback, where the sender's call
// also delivers into the receivers' sockets).

// Bounds of one segmented send.
const (
	// maxSegmentedBytes: an IP packet carries at most 64 KB.
	maxSegmentedBytes = 60000
	// maxSegments: kernels before 5.16 take at most 64 (UDP_MAX_SEGMENTS).
	maxSegments = 64
)

// message is one sendmsg(2) of a batch: count datagrams, from
// segmentPlan.order[start] on, all of size bytes but the last.
type message struct {
	first        int // the batch's index of its first datagram
	start, count int
	size, bytes  int
	open         bool // a datagram may still join it
}

// segmentPlan groups a batch's datagrams into messages. Datagrams for
// one address keep their order; those for different addresses may pass
// each other, which nothing downstream can tell.
type segmentPlan struct {
	msgs  [batchSize]message
	n     int
	order [batchSize]int // the batch's datagrams, message by message
	of    [batchSize]int // each datagram's message
	// latest holds, per address (open addressing on addrHash), 1 + the
	// index of the latest message for it; 0 is an empty slot.
	latest [2 * batchSize]uint8
}

// make plans b's messages: with segment, each run of datagrams for one
// address that the kernel can cut alike becomes one message; without,
// every datagram is its own.
func (p *segmentPlan) make(b *sendBatch, segment bool) {
	p.n = 0
	if !segment {
		for i := range b.n {
			p.msgs[i] = message{first: i, start: i, count: 1, size: b.lens[i], bytes: b.lens[i]}
			p.order[i] = i
		}
		p.n = b.n
		return
	}
	clear(p.latest[:])
	const mask = len(p.latest) - 1
	for i := range b.n {
		to, size := b.addrs[i], b.lens[i]
		h := addrHash(to) & mask
		for p.latest[h] != 0 && b.addrs[p.msgs[int(p.latest[h])-1].first] != to {
			h = (h + 1) & mask
		}
		if k := int(p.latest[h]) - 1; k >= 0 && size > 0 {
			m := &p.msgs[k]
			if m.open && size <= m.size && m.bytes+size <= maxSegmentedBytes && m.count < maxSegments {
				m.count++
				m.bytes += size
				m.open = size == m.size // a shorter datagram ends a run
				p.of[i] = k
				continue
			}
		}
		// An empty datagram stays alone: a segment size of 0 would make
		// one datagram of the run.
		p.msgs[p.n] = message{first: i, count: 1, size: size, bytes: size, open: size > 0}
		p.of[i] = p.n
		p.n++
		p.latest[h] = uint8(p.n) //nolint:gosec // at most batchSize, which fits
	}
	// Lay the datagrams out message by message, in their order.
	start := 0
	for k := range p.n {
		p.msgs[k].start = start
		start += p.msgs[k].count
	}
	var placed [batchSize]int
	for i := range b.n {
		k := p.of[i]
		p.order[p.msgs[k].start+placed[k]] = i
		placed[k]++
	}
}

// addrHash spreads addresses over segmentPlan.latest: Fibonacci hashing,
// whose top bits depend on all of the input's.
func addrHash(a netip.AddrPort) int {
	b := a.Addr().As16()
	h := binary.BigEndian.Uint64(b[:8])*0xff51afd7ed558ccd ^ binary.BigEndian.Uint64(b[8:]) ^ uint64(a.Port())
	return int((h * 0x9e3779b97f4a7c15) >> 56) // 0-255: 2 * batchSize slots
}
