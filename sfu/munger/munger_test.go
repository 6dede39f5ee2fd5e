package munger

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/plenum-meet/plenum/sfu/vp8"
)

// sameHeader compares the fields a munger may touch.
func sameHeader(a, b rtp.Header) bool {
	return a.SSRC == b.SSRC && a.SequenceNumber == b.SequenceNumber && a.Timestamp == b.Timestamp
}

func descriptorOf(t testing.TB, payload []byte) vp8.Descriptor {
	t.Helper()
	d, err := vp8.ParseDescriptor(payload)
	if err != nil {
		t.Fatalf("outgoing payload % x: %v", payload, err)
	}
	return d
}

// threeLayers returns layers q, h and f with unrelated numbering; start
// values near the top of each range make every counter wrap soon.
func threeLayers() []*layer {
	return []*layer{
		{ssrc: 0x1111, seq: 65530, ts: 0xffffff00 - 5*frameTicks, pid: 0x7ffe, tl0: 254, key: 31, wide: true},
		{ssrc: 0x2222, seq: 100, ts: 12345, pid: 40, tl0: 7, key: 3, wide: true},
		{ssrc: 0x3333, seq: 65000, ts: 0x7ffffff0, pid: 0x7f00, tl0: 0, key: 0, wide: true},
	}
}

// run plays frames of every layer, in turn, for each frame time, with a
// keyframe on every layer at frame 0 and on the target layer the frame
// after each change of target. schedule maps a frame index to the layer
// to move to.
func run(f *forwarder, layers []*layer, frames int, schedule map[int]int) {
	now := epoch
	keyframeDue := -1
	for i := range frames {
		if target, ok := schedule[i]; ok && target != f.target {
			f.target = target
			keyframeDue = target
		}
		for li, l := range layers {
			key := i == 0 || li == keyframeDue
			for _, p := range l.frame(li, 1+li*2, key) {
				f.receive(p, now)
				now = now.Add(100 * time.Microsecond)
			}
		}
		keyframeDue = -1
		now = epoch.Add(time.Duration(i+1) * frameInterval)
	}
}

func TestFirstLayerIsForwardedUnchanged(t *testing.T) {
	layers := threeLayers()
	f := newForwarder(1)
	var in []rtp.Header
	now := epoch
	for i := range 5 {
		for _, p := range layers[1].frame(1, 3, i == 0) {
			in = append(in, p.hdr)
			f.receive(p, now)
		}
	}
	if len(f.out) != len(in) {
		t.Fatalf("forwarded %d packets of %d", len(f.out), len(in))
	}
	for i, s := range f.out {
		if !sameHeader(s.hdr, in[i]) {
			t.Errorf("packet %d rewritten: %+v, was %+v", i, s.hdr, in[i])
		}
	}
}

func TestSwitchLowHighLowIsContinuous(t *testing.T) {
	layers := threeLayers()
	f := newForwarder(0)
	run(f, layers, 40, map[int]int{10: 2, 25: 0})
	if f.segment != 2 {
		t.Fatalf("%d switches, want 2", f.segment)
	}
	checkContinuous(t, f.out)

	// Each layer's counters started next to their wrap points and the
	// outgoing stream started from layer q's: both wrapped.
	var seqWrapped, tsWrapped bool
	for i := 1; i < len(f.out); i++ {
		seqWrapped = seqWrapped || f.out[i].hdr.SequenceNumber < f.out[i-1].hdr.SequenceNumber
		tsWrapped = tsWrapped || f.out[i].hdr.Timestamp < f.out[i-1].hdr.Timestamp
	}
	if !seqWrapped || !tsWrapped {
		t.Errorf("test did not cross the wrap: seq %v, ts %v", seqWrapped, tsWrapped)
	}
}

func TestSwitchTimestampFollowsWallClock(t *testing.T) {
	tests := []struct {
		name    string
		elapsed time.Duration
		want    uint32
	}{
		{"one frame later", frameInterval, frameTicks},
		{"same instant: one tick", 0, 1},
		{"clock went backwards: one tick", -time.Second, 1},
		{"a sub-tick interval: one tick", 5 * time.Microsecond, 1},
		{"a second", time.Second, 90000},
		{"a day: capped", 24 * time.Hour, maxTimestampStep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layers := threeLayers()
			f := newForwarder(0)
			for _, p := range layers[0].frame(0, 2, true) {
				f.receive(p, epoch)
			}
			last := f.out[len(f.out)-1].hdr.Timestamp
			f.target = 1
			for _, p := range layers[1].frame(1, 2, true) {
				f.receive(p, epoch.Add(tt.elapsed))
			}
			if got := f.out[2].hdr.Timestamp - last; got != tt.want {
				t.Errorf("timestamp advanced by %d, want %d", got, tt.want)
			}
		})
	}
}

// The elapsed time is measured from the first packet of the last frame
// sent, not its last packet, since that is what arrives closest to the
// capture: a large frame takes a while to cross the network.
func TestSwitchMeasuresFromFrameStart(t *testing.T) {
	layers := threeLayers()
	m := New(Config{ClockRate: 90000, VP8: true})
	pkts := layers[0].frame(0, 3, true)
	m.Switch(&pkts[0].hdr, pkts[0].payload, epoch)
	last := pkts[0].hdr.Timestamp
	for i, p := range pkts {
		m.Rewrite(&p.hdr, p.payload, epoch.Add(time.Duration(i)*10*time.Millisecond))
	}
	next := layers[1].frame(1, 1, true)[0]
	m.Switch(&next.hdr, next.payload, epoch.Add(frameInterval))
	m.Rewrite(&next.hdr, next.payload, epoch.Add(frameInterval))
	if got := next.hdr.Timestamp - last; got != frameTicks {
		t.Errorf("timestamp advanced by %d, want %d", got, frameTicks)
	}
}

func TestSwitchAligned(t *testing.T) {
	tests := []struct {
		name  string
		oldTS func(lastIn uint32) uint32 // in the old layer's clock
		want  uint32                     // advance over the last timestamp sent
	}{
		{"sender reports say 40 ms later", func(l uint32) uint32 { return l + 3600 }, 3600},
		{"same capture instant: one tick more", func(l uint32) uint32 { return l }, 1},
		{"earlier than the last frame: one tick more", func(l uint32) uint32 { return l - 900 }, 1},
		{"absurdly far ahead: wall clock wins", func(l uint32) uint32 { return l + 10*90000 }, frameTicks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layers := threeLayers()
			m := New(Config{ClockRate: 90000, VP8: true})
			first := layers[0].frame(0, 1, true)[0]
			lastIn := first.hdr.Timestamp
			m.Switch(&first.hdr, first.payload, epoch)
			m.Rewrite(&first.hdr, first.payload, epoch)
			next := layers[1].frame(1, 1, true)[0]
			now := epoch.Add(frameInterval)
			m.SwitchAligned(&next.hdr, next.payload, now, tt.oldTS(lastIn))
			m.Rewrite(&next.hdr, next.payload, now)
			if got := next.hdr.Timestamp - first.hdr.Timestamp; got != tt.want {
				t.Errorf("timestamp advanced by %d, want %d", got, tt.want)
			}
		})
	}
}

func TestOldLayerDroppedAfterSwitch(t *testing.T) {
	layers := threeLayers()
	m := New(Config{ClockRate: 90000, VP8: true})
	low := layers[0].frame(0, 3, true)
	for _, p := range low[:2] {
		if p.keyframe {
			m.Switch(&p.hdr, p.payload, epoch)
		}
		if !m.Rewrite(&p.hdr, p.payload, epoch) {
			t.Fatal("first layer refused")
		}
	}
	// The high layer: a delta frame, then a keyframe we switch at.
	early := layers[1].frame(1, 2, false)
	key := layers[1].frame(1, 2, true)
	m.Switch(&key[0].hdr, key[0].payload, epoch)

	tests := []struct {
		name string
		p    packet
		want bool
	}{
		{"old layer, late packet of the last frame", low[2], false},
		{"old layer, next frame", layers[0].frame(0, 1, false)[0], false},
		{"new layer, before the keyframe", early[1], false},
		{"new layer, the keyframe", key[0], true},
		{"new layer, after the keyframe", key[1], true},
		{"a layer never chosen", layers[2].frame(2, 1, true)[0], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := tt.p.hdr
			if got := m.Rewrite(&hdr, tt.p.payload, epoch); got != tt.want {
				t.Errorf("Rewrite = %v, want %v", got, tt.want)
			}
			if !tt.want && !sameHeader(hdr, tt.p.hdr) {
				t.Errorf("dropped packet was modified")
			}
		})
	}
}

func TestReorderedAndDuplicated(t *testing.T) {
	tests := []struct {
		name    string
		arrival []int // indices into 8 consecutive packets of one layer, 0 being the keyframe
		want    []int // outgoing seq - first outgoing seq, -1 for dropped
	}{
		{"in order", []int{0, 1, 2, 3}, []int{0, 1, 2, 3}},
		{"swapped pair", []int{0, 2, 1, 3}, []int{0, 2, 1, 3}},
		{"late by five", []int{0, 2, 3, 4, 5, 6, 1}, []int{0, 2, 3, 4, 5, 6, 1}},
		{"duplicate of the newest", []int{0, 1, 1, 2}, []int{0, 1, -1, 2}},
		{"duplicate of a late one", []int{0, 2, 1, 1, 3}, []int{0, 2, 1, -1, 3}},
		{"duplicate of the keyframe", []int{0, 1, 0}, []int{0, 1, -1}},
		{"a gap, then the missing one", []int{0, 1, 5, 2, 4}, []int{0, 1, 5, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := threeLayers()[0]
			pkts := l.frame(0, 8, true)
			m := New(Config{ClockRate: 90000, VP8: true})
			m.Switch(&pkts[0].hdr, pkts[0].payload, epoch)
			base := pkts[0].hdr.SequenceNumber
			for k, i := range tt.arrival {
				hdr := pkts[i].hdr
				payload := slices.Clone(pkts[i].payload)
				ok := m.Rewrite(&hdr, payload, epoch)
				got := -1
				if ok {
					got = int(hdr.SequenceNumber - base)
				}
				if got != tt.want[k] {
					t.Errorf("arrival %d (packet %d): got %d, want %d", k, i, got, tt.want[k])
				}
			}
		})
	}
}

func TestPacketsBeyondTheWindowAreDropped(t *testing.T) {
	l := threeLayers()[1]
	m := New(Config{ClockRate: 90000})
	first := l.frame(1, 1, true)[0]
	m.Switch(&first.hdr, first.payload, epoch)
	m.Rewrite(&first.hdr, first.payload, epoch)
	late := l.frame(1, 1, false)[0] // held back
	for range window {
		p := l.frame(1, 1, false)[0]
		if !m.Rewrite(&p.hdr, p.payload, epoch) {
			t.Fatal("in-order packet refused")
		}
	}
	if m.Rewrite(&late.hdr, late.payload, epoch) {
		t.Error("packet 512 behind the newest was forwarded")
	}
}

func TestSkip(t *testing.T) {
	type step struct {
		i    int  // packet index; packet 0 is the keyframe
		skip bool // Skip rather than Rewrite
		want int  // Skip: 1 if skipped, 0 if not; Rewrite: outgoing seq - first, -1 dropped
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"padding in the middle closes up", []step{{0, false, 0}, {1, true, 1}, {2, false, 1}, {3, false, 2}}},
		{"a run of padding", []step{{0, false, 0}, {1, true, 1}, {2, true, 1}, {3, true, 1}, {4, false, 1}}},
		{"the first packet skipped", []step{{0, true, 1}, {1, false, 0}}},
		{"late padding cannot be skipped", []step{{0, false, 0}, {2, false, 2}, {1, true, 0}, {1, false, 1}}},
		{"late media before skipped padding", []step{{0, false, 0}, {2, true, 1}, {1, false, 1}, {3, false, 2}}},
		{"padding after a gap", []step{{0, false, 0}, {3, true, 1}, {1, false, 1}, {2, false, 2}, {4, false, 3}}},
		{"duplicate of skipped padding", []step{{0, false, 0}, {1, true, 1}, {1, false, -1}, {2, false, 1}}},
		{"skipped twice", []step{{0, false, 0}, {1, true, 1}, {1, true, 1}, {2, false, 1}}},
		{"separate runs", []step{{0, false, 0}, {1, true, 1}, {2, false, 1}, {3, true, 1}, {4, false, 2}, {5, true, 1}, {6, true, 1}, {7, false, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := threeLayers()[2]
			pkts := l.frame(2, 8, true)
			m := New(Config{ClockRate: 90000, VP8: true})
			m.Switch(&pkts[0].hdr, pkts[0].payload, epoch)
			base := pkts[0].hdr.SequenceNumber
			for k, s := range tt.steps {
				hdr := pkts[s.i].hdr
				var got int
				if s.skip {
					if m.Skip(&hdr) {
						got = 1
					}
				} else if m.Rewrite(&hdr, slices.Clone(pkts[s.i].payload), epoch) {
					got = int(hdr.SequenceNumber - base)
				} else {
					got = -1
				}
				if got != s.want {
					t.Errorf("step %d (packet %d, skip %v): got %d, want %d", k, s.i, s.skip, got, s.want)
				}
			}
		})
	}
}

func TestSkipAcrossSwitch(t *testing.T) {
	layers := threeLayers()
	m := New(Config{ClockRate: 90000, VP8: true})
	a := layers[0].frame(0, 2, true)
	m.Switch(&a[0].hdr, a[0].payload, epoch)
	for _, p := range a {
		m.Rewrite(&p.hdr, p.payload, epoch)
	}
	pad := layers[0].padding(0)
	if !m.Skip(&pad.hdr) {
		t.Fatal("padding not skipped")
	}
	other := layers[2].padding(2)
	if !m.Skip(&other.hdr) {
		t.Error("padding of another layer: Skip = false, want true (it is never sent)")
	}
	b := layers[1].frame(1, 1, true)[0]
	m.Switch(&b.hdr, b.payload, epoch.Add(frameInterval))
	m.Rewrite(&b.hdr, b.payload, epoch.Add(frameInterval))
	if b.hdr.SequenceNumber != a[1].hdr.SequenceNumber+1 {
		t.Errorf("after skipped padding and a switch: seq %d, want %d", b.hdr.SequenceNumber, a[1].hdr.SequenceNumber+1)
	}
}

func TestManySeparateSkips(t *testing.T) {
	// More runs of padding than spans kept: recent packets still map,
	// and a packet older than every span kept is dropped, never
	// misnumbered.
	l := threeLayers()[1]
	m := New(Config{ClockRate: 90000})
	pkts := l.frame(1, 3*maxSpans+3, true)
	m.Switch(&pkts[0].hdr, pkts[0].payload, epoch)
	base := pkts[0].hdr.SequenceNumber
	m.Rewrite(&pkts[0].hdr, pkts[0].payload, epoch)
	held := pkts[1].hdr // arrives last
	want := uint16(1)
	for i := 2; i < len(pkts); i++ {
		h := pkts[i].hdr
		if i%3 == 0 {
			if !m.Skip(&h) {
				t.Fatalf("packet %d not skipped", i)
			}
			continue
		}
		if !m.Rewrite(&h, nil, epoch) {
			t.Fatalf("packet %d refused", i)
		}
		want++
		if got := h.SequenceNumber - base; got != want {
			t.Fatalf("packet %d: seq +%d, want +%d", i, got, want)
		}
	}
	if m.Rewrite(&held, nil, epoch) {
		t.Errorf("packet behind every span kept forwarded as seq +%d", held.SequenceNumber-base)
	}
}

func TestSevenBitPictureIDs(t *testing.T) {
	layers := threeLayers()
	layers[0].wide = false
	layers[0].pid = 126
	f := newForwarder(0)
	run(f, layers, 12, map[int]int{4: 1, 8: 0})
	var last uint16
	for i, s := range f.out {
		d := descriptorOf(t, s.payload)
		if d.WidePictureID != layers[s.layer].wide {
			t.Fatalf("packet %d: picture id width changed", i)
		}
		if i > 0 && s.frameStart {
			// Continuity modulo 2^7 is all a 7-bit field can carry.
			if d.PictureID&0x7f != (last+1)&0x7f {
				t.Fatalf("packet %d: picture id %d after %d", i, d.PictureID, last)
			}
		}
		last = d.PictureID
	}
}

func TestAudioPassThrough(t *testing.T) {
	m := New(Config{ClockRate: 48000})
	hdr := rtp.Header{SSRC: 9, SequenceNumber: 65535, Timestamp: 4294967000}
	payload := []byte{0xfc, 0xff, 0xfe} // Opus: must not be read as VP8
	m.Switch(&hdr, payload, epoch)
	for i := range 3 {
		h := hdr
		h.SequenceNumber += uint16(i)
		h.Timestamp += uint32(i) * 960
		p := slices.Clone(payload)
		if !m.Rewrite(&h, p, epoch) || h.SequenceNumber != hdr.SequenceNumber+uint16(i) || !slices.Equal(p, payload) {
			t.Fatalf("packet %d changed: %+v % x", i, h, p)
		}
	}
}

func TestNothingForwardedBeforeSwitch(t *testing.T) {
	m := New(Config{ClockRate: 90000, VP8: true})
	p := threeLayers()[0].frame(0, 1, true)[0]
	if m.Rewrite(&p.hdr, p.payload, epoch) {
		t.Error("Rewrite before any Switch forwarded a packet")
	}
	if !m.Skip(&p.hdr) {
		t.Error("Skip before any Switch: want true, nothing is sent")
	}
}

// seeds is how many random schedules the property tests try.
func seeds() uint64 {
	if testing.Short() {
		return 20
	}
	return 200
}

// TestRandomSwitchSchedules is a property test: random layer sizes and
// starting points, random switches, padding and duplicated packets,
// and the subscriber must always see a perfectly continuous stream.
func TestRandomSwitchSchedules(t *testing.T) {
	for seed := range seeds() {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		layers := make([]*layer, 3)
		for i := range layers {
			layers[i] = &layer{
				ssrc: uint32(i + 1),
				seq:  uint16(rng.Uint32()),
				ts:   rng.Uint32(),
				pid:  uint16(rng.Uint32()) & 0x7fff,
				tl0:  uint8(rng.Uint32()),
				key:  uint8(rng.Uint32()) & 0x1f,
				wide: true,
			}
		}
		f := newForwarder(rng.IntN(3))
		now := epoch
		keyframeDue := -1
		for frame := range 300 {
			if rng.IntN(15) == 0 {
				f.target = rng.IntN(3)
				// The publisher answers the keyframe request a few
				// frames later.
				keyframeDue = frame + rng.IntN(4)
			}
			for li, l := range layers {
				key := frame == 0 || (li == f.target && frame == keyframeDue) || rng.IntN(100) == 0
				var pkts []packet
				for _, p := range l.frame(li, 1+rng.IntN(4+li*3), key) {
					pkts = append(pkts, p)
					if rng.IntN(10) == 0 {
						pkts = append(pkts, p) // a duplicate
					}
				}
				for range rng.IntN(3) * rng.IntN(2) {
					pkts = append(pkts, l.padding(li))
				}
				for _, p := range pkts {
					f.receive(p, now)
					now = now.Add(time.Duration(rng.IntN(500)) * time.Microsecond)
				}
			}
			now = epoch.Add(time.Duration(frame+1) * frameInterval)
		}
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			if len(f.out) == 0 {
				t.Fatalf("seed %d: nothing forwarded", seed)
			}
			checkContinuous(t, f.out)
		})
	}
}

// TestRandomReordering is the same with packets arriving out of order.
// Holes are then unavoidable (a packet of the old layer that arrives
// after the switch is not sent), but the subscriber must never see a
// sequence number twice, packets of one layer must keep their order,
// and everything sent after a switch must follow, in sequence number
// and timestamp, everything sent before it.
func TestRandomReordering(t *testing.T) {
	for seed := range seeds() {
		rng := rand.New(rand.NewPCG(seed, 0x0dd))
		layers := threeLayers()
		for _, l := range layers {
			l.seq = uint16(rng.Uint32())
			l.ts = rng.Uint32()
		}
		var arrivals []packet
		for frame := range 200 {
			for li, l := range layers {
				key := frame%20 == 0 || rng.IntN(30) == 0
				arrivals = append(arrivals, l.frame(li, 1+rng.IntN(6), key)...)
				if rng.IntN(5) == 0 {
					arrivals = append(arrivals, l.padding(li))
				}
			}
		}
		// Move some packets later by up to 20 places, duplicate others.
		for i := len(arrivals) - 1; i >= 0; i-- {
			switch rng.IntN(12) {
			case 0:
				j := min(len(arrivals)-1, i+1+rng.IntN(20))
				p := arrivals[i]
				copy(arrivals[i:], arrivals[i+1:j+1])
				arrivals[j] = p
			case 1:
				arrivals = slices.Insert(arrivals, min(len(arrivals), i+1+rng.IntN(10)), arrivals[i])
			}
		}

		f := newForwarder(0)
		for i, p := range arrivals {
			if rng.IntN(40) == 0 {
				f.target = rng.IntN(3)
			}
			f.receive(p, epoch.Add(time.Duration(i)*time.Millisecond))
		}
		checkNoDuplicatesAndOrdered(t, seed, f.out)
	}
}

func checkNoDuplicatesAndOrdered(t *testing.T, seed uint64, out []sent) {
	t.Helper()
	if len(out) == 0 || len(out) >= 1<<15 {
		t.Fatalf("seed %d: %d packets forwarded", seed, len(out))
	}
	// Unwrap outgoing sequence numbers and timestamps against the first.
	base, baseTS := out[0].hdr.SequenceNumber, out[0].hdr.Timestamp
	seqOf := func(s sent) int { return int(int16(s.hdr.SequenceNumber - base)) }
	tsOf := func(s sent) int64 { return int64(int32(s.hdr.Timestamp - baseTS)) }

	used := map[int]bool{}
	for _, s := range out {
		if used[seqOf(s)] {
			for _, o := range out {
				if o.hdr.SequenceNumber == s.hdr.SequenceNumber {
					t.Logf("layer %d in %d seg %d pad %v key %v", o.layer, o.in.SequenceNumber, o.segment, o.padding, o.keyframe)
				}
			}
			t.Fatalf("seed %d: sequence number %d sent twice", seed, s.hdr.SequenceNumber)
		}
		used[seqOf(s)] = true
	}
	bySegment := map[int][]sent{}
	for _, s := range out {
		bySegment[s.segment] = append(bySegment[s.segment], s)
	}
	prevMaxSeq, prevMaxTS := -1<<31, int64(-1<<62)
	for seg := 0; seg <= out[len(out)-1].segment; seg++ {
		pkts := bySegment[seg]
		if len(pkts) == 0 {
			continue
		}
		slices.SortFunc(pkts, func(a, b sent) int { return int(int16(a.in.SequenceNumber - b.in.SequenceNumber)) })
		for i, s := range pkts {
			if i > 0 && seqOf(s) <= seqOf(pkts[i-1]) {
				t.Fatalf("seed %d: segment %d: in %d -> out %d, but in %d -> out %d", seed, seg,
					pkts[i-1].in.SequenceNumber, pkts[i-1].hdr.SequenceNumber, s.in.SequenceNumber, s.hdr.SequenceNumber)
			}
			if seqOf(s) <= prevMaxSeq || tsOf(s) <= prevMaxTS {
				t.Fatalf("seed %d: segment %d packet (seq %d, ts %d) does not follow the previous segment (seq %d, ts %d)",
					seed, seg, seqOf(s), tsOf(s), prevMaxSeq, prevMaxTS)
			}
		}
		for _, s := range pkts {
			prevMaxSeq = max(prevMaxSeq, seqOf(s))
			prevMaxTS = max(prevMaxTS, tsOf(s))
		}
	}
}

func TestRewriteAllocatesNothing(t *testing.T) {
	layers := threeLayers()
	m := New(Config{ClockRate: 90000, VP8: true})
	key := layers[0].frame(0, 1, true)[0]
	m.Switch(&key.hdr, key.payload, epoch)
	p := layers[0].frame(0, 1, false)[0]
	pad := layers[0].padding(0)
	allocs := testing.AllocsPerRun(1000, func() {
		p.hdr.SequenceNumber++
		p.hdr.Timestamp += frameTicks
		hdr := p.hdr
		m.Rewrite(&hdr, p.payload, epoch)
		pad.hdr.SequenceNumber = p.hdr.SequenceNumber + 1
		m.Skip(&pad.hdr)
		p.hdr.SequenceNumber++
		m.Switch(&key.hdr, key.payload, epoch)
		m.SwitchAligned(&key.hdr, key.payload, epoch, key.hdr.Timestamp)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

func BenchmarkRewriteVP8(b *testing.B) {
	l := threeLayers()[0]
	m := New(Config{ClockRate: 90000, VP8: true})
	key := l.frame(0, 1, true)[0]
	m.Switch(&key.hdr, key.payload, epoch)
	p := l.frame(0, 1, false)[0]
	b.ReportAllocs()
	for b.Loop() {
		p.hdr.SequenceNumber++
		hdr := p.hdr
		if !m.Rewrite(&hdr, p.payload, epoch) {
			b.Fatal("refused")
		}
	}
}

func BenchmarkRewriteLate(b *testing.B) {
	// Every packet arrives one place late: the span lookup path.
	l := threeLayers()[0]
	m := New(Config{ClockRate: 90000, VP8: true})
	key := l.frame(0, 1, true)[0]
	m.Switch(&key.hdr, key.payload, epoch)
	p := l.frame(0, 1, false)[0]
	b.ReportAllocs()
	for b.Loop() {
		p.hdr.SequenceNumber += 2
		hdr := p.hdr
		m.Rewrite(&hdr, p.payload, epoch)
		hdr = p.hdr
		hdr.SequenceNumber--
		m.Rewrite(&hdr, p.payload, epoch)
	}
}

func BenchmarkRewriteAudio(b *testing.B) {
	m := New(Config{ClockRate: 48000})
	hdr := rtp.Header{SSRC: 1}
	payload := make([]byte, 80)
	m.Switch(&hdr, payload, epoch)
	b.ReportAllocs()
	for b.Loop() {
		hdr.SequenceNumber++
		h := hdr
		m.Rewrite(&h, payload, epoch)
	}
}

func BenchmarkSwitch(b *testing.B) {
	layers := threeLayers()
	m := New(Config{ClockRate: 90000, VP8: true})
	keys := [2]packet{layers[0].frame(0, 1, true)[0], layers[1].frame(1, 1, true)[0]}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := &keys[i&1]
		m.Switch(&k.hdr, k.payload, epoch)
		h := k.hdr
		m.Rewrite(&h, k.payload, epoch)
		i++
	}
}

// A late packet can take the highest outgoing number when the packets
// after it were skipped; the next layer must continue after it, not
// after the newest packet.
func TestSwitchAfterLatePacketBehindSkippedPadding(t *testing.T) {
	layers := threeLayers()
	m := New(Config{ClockRate: 90000, VP8: true})
	a := layers[0].frame(0, 1, true)[0]
	b := layers[0].frame(0, 1, false)[0] // a new frame, delayed
	pad := layers[0].padding(0)
	m.Switch(&a.hdr, a.payload, epoch)
	m.Rewrite(&a.hdr, a.payload, epoch)
	if !m.Skip(&pad.hdr) {
		t.Fatal("padding after a gap not skipped")
	}
	if !m.Rewrite(&b.hdr, b.payload, epoch) || b.hdr.SequenceNumber != a.hdr.SequenceNumber+1 {
		t.Fatalf("late packet: seq %d, want %d", b.hdr.SequenceNumber, a.hdr.SequenceNumber+1)
	}
	c := layers[1].frame(1, 1, true)[0]
	m.Switch(&c.hdr, c.payload, epoch)
	m.Rewrite(&c.hdr, c.payload, epoch)
	if c.hdr.SequenceNumber != b.hdr.SequenceNumber+1 {
		t.Errorf("after the switch: seq %d, want %d", c.hdr.SequenceNumber, b.hdr.SequenceNumber+1)
	}
	if int32(c.hdr.Timestamp-b.hdr.Timestamp) <= 0 {
		t.Errorf("after the switch: ts %d, not after %d", c.hdr.Timestamp, b.hdr.Timestamp)
	}
	if db, dc := descriptorOf(t, b.payload), descriptorOf(t, c.payload); dc.PictureID != db.PictureID+1 {
		t.Errorf("after the switch: picture id %d, want %d", dc.PictureID, db.PictureID+1)
	}
}

func TestPad(t *testing.T) {
	l := threeLayers()[1]
	a := l.frame(1, 3, true)
	b := l.frame(1, 2, false)
	m := New(Config{ClockRate: 90000, VP8: true})
	var pad rtp.Header
	if m.Pad(&pad) {
		t.Fatal("Pad before anything was sent = true, want false")
	}
	base := a[0].hdr.SequenceNumber
	m.Switch(&a[0].hdr, a[0].payload, epoch)
	rewrite := func(p packet) int {
		h := p.hdr
		if !m.Rewrite(&h, slices.Clone(p.payload), epoch) {
			return -1
		}
		return int(h.SequenceNumber - base)
	}
	rewrite(a[0])
	if m.Pad(&pad) {
		t.Fatal("Pad in the middle of a frame = true, want false")
	}
	rewrite(a[2]) // ends the frame; a[1] is late
	for k := range 2 {
		if !m.Pad(&pad) {
			t.Fatalf("padding %d after the frame's last packet refused", k)
		}
		if got := int(pad.SequenceNumber - base); got != 3+k {
			t.Errorf("padding %d numbered %d, want %d", k, got, 3+k)
		}
		if pad.Timestamp != a[2].hdr.Timestamp {
			t.Errorf("padding %d timestamp %d, want the frame's %d", k, pad.Timestamp, a[2].hdr.Timestamp)
		}
	}
	if got := rewrite(a[1]); got != 1 {
		t.Errorf("late packet after padding numbered %d, want its own 1", got)
	}
	if got := rewrite(b[0]); got != 5 {
		t.Errorf("next frame after two paddings numbered %d, want 5", got)
	}
	if got := rewrite(b[1]); got != 6 {
		t.Errorf("next frame's second packet numbered %d, want 6", got)
	}

	// A layer switched to after padding continues after it.
	m.Pad(&pad)
	h := threeLayers()[2].frame(2, 1, true)[0]
	m.Switch(&h.hdr, h.payload, epoch.Add(frameInterval))
	m.Rewrite(&h.hdr, h.payload, epoch.Add(frameInterval))
	if got := int(h.hdr.SequenceNumber - base); got != 8 {
		t.Errorf("first packet of a new layer after padding numbered %d, want 8", got)
	}
}

func TestPauseLetsPaddingFollowAFrameCutShort(t *testing.T) {
	l := threeLayers()[1]
	a := l.frame(1, 3, true)
	m := New(Config{ClockRate: 90000, VP8: true})
	m.Switch(&a[0].hdr, a[0].payload, epoch)
	h := a[0].hdr
	m.Rewrite(&h, slices.Clone(a[0].payload), epoch)
	m.Pause()
	if h := a[1].hdr; m.Rewrite(&h, slices.Clone(a[1].payload), epoch) {
		t.Error("a packet forwarded while paused")
	}
	var pad rtp.Header
	if ok := m.Pad(&pad); !ok || pad.SequenceNumber != a[0].hdr.SequenceNumber+1 {
		t.Fatalf("padding after a frame cut short: %v, numbered %d, want %d", ok, pad.SequenceNumber, a[0].hdr.SequenceNumber+1)
	}
	k := l.frame(1, 1, true)[0]
	m.Switch(&k.hdr, k.payload, epoch.Add(frameInterval))
	if !m.Rewrite(&k.hdr, k.payload, epoch.Add(frameInterval)) || k.hdr.SequenceNumber != pad.SequenceNumber+1 {
		t.Errorf("keyframe after the pause numbered %d, want %d", k.hdr.SequenceNumber, pad.SequenceNumber+1)
	}
}

func TestFollowsTellsAStreamStartedAfresh(t *testing.T) {
	l := threeLayers()[1]
	m := New(Config{ClockRate: 90000, VP8: true})
	p := l.frame(1, 1, true)[0]
	if m.Follows(&p.hdr) {
		t.Error("a munger that forwards nothing follows a stream")
	}
	m.Switch(&p.hdr, p.payload, epoch)
	m.Rewrite(&p.hdr, p.payload, epoch)
	next := l.frame(1, 1, false)[0]
	for _, c := range []struct {
		seq  uint16
		ssrc uint32
		want bool
	}{
		{next.hdr.SequenceNumber, next.hdr.SSRC, true},
		{next.hdr.SequenceNumber - window + 1, next.hdr.SSRC, true},
		{next.hdr.SequenceNumber + window - 2, next.hdr.SSRC, true},
		{next.hdr.SequenceNumber - window - 1, next.hdr.SSRC, false},
		{next.hdr.SequenceNumber + window, next.hdr.SSRC, false},
		{next.hdr.SequenceNumber, next.hdr.SSRC + 1, false},
	} {
		h := rtp.Header{SequenceNumber: c.seq, SSRC: c.ssrc}
		if got := m.Follows(&h); got != c.want {
			t.Errorf("Follows(seq %d, ssrc %x) = %v, want %v", c.seq, c.ssrc, got, c.want)
		}
	}
}
