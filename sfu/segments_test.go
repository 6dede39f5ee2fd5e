package sfu

import (
	"net/netip"
	"testing"
)

func TestSegmentPlanGroupsEachAddressesRunsInOrder(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:4000")
	b := netip.MustParseAddrPort("127.0.0.1:4001")
	c := netip.MustParseAddrPort("[::1]:4000")
	var batch sendBatch
	add := func(to netip.AddrPort, size int) {
		batch.addrs[batch.n], batch.lens[batch.n] = to, size
		batch.n++
	}
	// A frame of three packets fanned out to a, b and c, one by one, as
	// fan-outs queue them; then audio for a, then a larger packet for b,
	// which cannot join b's run, then one for b and c.
	for _, size := range []int{1000, 1000, 990} {
		add(a, size)
		add(b, size)
		add(c, size)
	}
	add(a, 120)
	add(b, 1100)
	add(b, 1100)
	add(c, 500)

	var p segmentPlan
	p.make(&batch, true)
	type msg struct {
		to    netip.AddrPort
		sizes []int
	}
	want := []msg{
		{a, []int{1000, 1000, 990}},
		{b, []int{1000, 1000, 990}},
		{c, []int{1000, 1000, 990}},
		{a, []int{120}}, // a run ends with a shorter datagram
		{b, []int{1100, 1100}},
		{c, []int{500}},
	}
	if p.n != len(want) {
		t.Fatalf("%d messages, want %d", p.n, len(want))
	}
	seen := 0
	for k, w := range want {
		m := p.msgs[k]
		if m.count != len(w.sizes) || m.size != w.sizes[0] || m.start != seen {
			t.Fatalf("message %d: %+v, want %v", k, m, w)
		}
		last := -1
		for j := range m.count {
			i := p.order[m.start+j]
			if batch.addrs[i] != w.to || batch.lens[i] != w.sizes[j] || i <= last {
				t.Fatalf("message %d, datagram %d is #%d (%v, %d bytes)", k, j, i, batch.addrs[i], batch.lens[i])
			}
			last = i
		}
		seen += m.count
	}

	p.make(&batch, false)
	if p.n != batch.n {
		t.Fatalf("unsegmented: %d messages for %d datagrams", p.n, batch.n)
	}
	for i := range batch.n {
		if m := p.msgs[i]; m.count != 1 || p.order[m.start] != i {
			t.Fatalf("unsegmented message %d: %+v", i, m)
		}
	}
}

func TestSegmentPlanBoundsAMessage(t *testing.T) {
	to := netip.MustParseAddrPort("10.0.0.1:5000")
	var batch sendBatch
	for batch.n = 0; batch.n < batchSize; batch.n++ {
		batch.addrs[batch.n], batch.lens[batch.n] = to, maxDatagram
	}
	var p segmentPlan
	p.make(&batch, true)
	for k := range p.n {
		if m := p.msgs[k]; m.bytes > maxSegmentedBytes {
			t.Errorf("message %d carries %d bytes", k, m.bytes)
		}
	}
	if want := (batchSize*maxDatagram + maxSegmentedBytes - 1) / maxSegmentedBytes; p.n != want {
		t.Errorf("%d messages, want %d", p.n, want)
	}
	// Small datagrams: at most maxSegments to a message.
	for i := range batch.n {
		batch.lens[i] = 100
	}
	p.make(&batch, true)
	if want := (batchSize + maxSegments - 1) / maxSegments; p.n != want {
		t.Errorf("%d messages of 100-byte datagrams, want %d", p.n, want)
	}
	for k := range p.n {
		if m := p.msgs[k]; m.count > maxSegments {
			t.Errorf("message %d carries %d datagrams", k, m.count)
		}
	}
}

func BenchmarkSegmentPlan(b *testing.B) {
	var batch sendBatch
	for f := range 3 {
		for r := range 20 {
			batch.addrs[batch.n] = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+r))
			batch.lens[batch.n] = 1000 - f
			batch.n++
		}
	}
	var p segmentPlan
	b.ReportAllocs()
	for b.Loop() {
		p.make(&batch, true)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(batch.n), "ns/datagram")
}

func TestSegmentPlanLeavesEmptyDatagramsAlone(t *testing.T) {
	to := netip.MustParseAddrPort("127.0.0.1:4000")
	var batch sendBatch
	for batch.n = 0; batch.n < 3; batch.n++ {
		batch.addrs[batch.n] = to // lens stay 0
	}
	var p segmentPlan
	p.make(&batch, true)
	if p.n != 3 {
		t.Errorf("3 empty datagrams in %d messages, want 3", p.n)
	}
}
