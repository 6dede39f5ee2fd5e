package speaker

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// packetInterval is Opus's usual 20 ms.
const packetInterval = 20 * time.Millisecond

// talk is a stretch of one participant's audio, in seconds from the
// start of a scenario.
type talk struct {
	id         string
	from, to   float64
	level      uint8 // -dBov
	voiceFlags bool  // the sender sets V on these packets
}

// decision is what Decide said at a time.
type decision struct {
	at      float64
	id      string
	changed bool
}

// play feeds the detector 20 ms packets of every participant for the
// given seconds, quiet (level 127) outside their talks, and polls
// Decide every 300 ms.
func play(d *Detector, ids []string, talks []talk, seconds float64) []decision {
	var out []decision
	for _, id := range ids {
		d.Add(id)
	}
	steps := int(seconds * float64(time.Second/packetInterval))
	for i := range steps {
		now := epoch.Add(time.Duration(i) * packetInterval)
		sec := float64(i) * packetInterval.Seconds()
		for _, id := range ids {
			level, voice := uint8(127), false
			for _, tk := range talks {
				if tk.id == id && sec >= tk.from && sec < tk.to {
					level, voice = tk.level, tk.voiceFlags
				}
			}
			d.Observe(id, level, voice, now)
		}
		if i%15 == 14 {
			id, changed := d.Decide(now)
			out = append(out, decision{sec, id, changed})
		}
	}
	return out
}

// floorAt returns who had the floor at the last decision before sec.
func floorAt(ds []decision, sec float64) string {
	id := ""
	for _, x := range ds {
		if x.at > sec {
			break
		}
		id = x.id
	}
	return id
}

// changes lists the successive holders of the floor.
func changes(ds []decision) []string {
	var out []string
	for _, x := range ds {
		if x.changed {
			out = append(out, fmt.Sprintf("%.2f:%s", x.at, x.id))
		}
	}
	return out
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		name    string
		talks   []talk
		seconds float64
		// floor maps a time in seconds to who must have the floor then.
		floor map[float64]string
		// maxChanges bounds the number of changes, against flapping.
		maxChanges int
	}{
		{
			name:    "a loud speaker wins over a quiet one",
			talks:   []talk{{id: "quiet", from: 0, to: 5, level: 33}, {id: "loud", from: 0, to: 5, level: 15}},
			seconds: 5,
			floor:   map[float64]string{0.3: "", 1.5: "loud", 4.9: "loud"},
			// Both become candidates in the same decision.
			maxChanges: 1,
		},
		{
			name:       "a cough does not take the floor from a speaker",
			talks:      []talk{{id: "a", from: 0, to: 6, level: 28}, {id: "b", from: 3, to: 3.25, level: 2}},
			seconds:    6,
			floor:      map[float64]string{1.5: "a", 3.3: "a", 3.9: "a", 5.9: "a"},
			maxChanges: 1,
		},
		{
			name:       "a cough in silence does not take the floor",
			talks:      []talk{{id: "a", from: 0, to: 2, level: 28}, {id: "b", from: 4, to: 4.3, level: 2}},
			seconds:    6,
			floor:      map[float64]string{1.5: "a", 4.5: "a", 5.9: "a"},
			maxChanges: 1,
		},
		{
			name:       "a new speaker who talks for more than a second takes the floor",
			talks:      []talk{{id: "a", from: 0, to: 3, level: 28}, {id: "b", from: 3, to: 6, level: 30}},
			seconds:    6,
			floor:      map[float64]string{2.9: "a", 4.05: "b", 5.9: "b"},
			maxChanges: 2,
		},
		{
			name:       "a much louder voice interrupts",
			talks:      []talk{{id: "a", from: 0, to: 6, level: 34}, {id: "b", from: 3, to: 6, level: 20}},
			seconds:    6,
			floor:      map[float64]string{2.9: "a", 4.2: "b", 5.9: "b"},
			maxChanges: 2,
		},
		{
			name: "two similar voices over each other: no flapping",
			talks: []talk{
				{id: "a", from: 0, to: 8, level: 30},
				{id: "b", from: 1, to: 8, level: 27}, // 3 dB louder, not 6
			},
			seconds:    8,
			floor:      map[float64]string{0.9: "a", 7.9: "a"},
			maxChanges: 1,
		},
		{
			name:       "silence: the floor stays",
			talks:      []talk{{id: "a", from: 0, to: 2, level: 25}},
			seconds:    10,
			floor:      map[float64]string{1.5: "a", 9.9: "a"},
			maxChanges: 1,
		},
		{
			name:       "background noise below the threshold never counts",
			talks:      []talk{{id: "a", from: 0, to: 5, level: 45}},
			seconds:    5,
			floor:      map[float64]string{4.9: ""},
			maxChanges: 0,
		},
		{
			name: "a sender's own voice-activity flag is believed",
			talks: []talk{
				// a's detector flags nothing but one packet as voice:
				// a loud noise that it says is not speech.
				{id: "a", from: 0, to: 0.02, level: 30, voiceFlags: true},
				{id: "a", from: 0.02, to: 5, level: 10, voiceFlags: false},
				// b never sets V: judged on level alone.
				{id: "b", from: 2, to: 5, level: 30},
			},
			seconds:    5,
			floor:      map[float64]string{1.9: "", 4.9: "b"},
			maxChanges: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Detector
			ds := play(&d, []string{"a", "b", "loud", "quiet"}, tt.talks, tt.seconds)
			for sec, want := range tt.floor {
				if got := floorAt(ds, sec); got != want {
					t.Errorf("at %.2fs the floor is %q, want %q; changes %v", sec, got, want, changes(ds))
				}
			}
			if c := changes(ds); len(c) > tt.maxChanges {
				t.Errorf("%d changes, want at most %d: %v", len(c), tt.maxChanges, c)
			}
		})
	}
}

func TestNewSpeakerTakesTheFloorWithinASecond(t *testing.T) {
	var d Detector
	ds := play(&d, []string{"a", "b"}, []talk{
		{id: "a", from: 0, to: 3, level: 25},
		{id: "b", from: 3, to: 6, level: 25},
	}, 6)
	for _, x := range ds {
		if x.changed && x.id == "b" {
			if lag := x.at - 3; lag > 1 {
				t.Errorf("b took the floor %.2fs after starting, want under a second", lag)
			}
			return
		}
	}
	t.Fatalf("b never took the floor: %v", changes(ds))
}

func TestSilenceReportsNoChange(t *testing.T) {
	var d Detector
	ds := play(&d, []string{"a", "b"}, []talk{{id: "a", from: 0, to: 2, level: 25}}, 2)
	if floorAt(ds, 2) != "a" {
		t.Fatalf("a never took the floor: %v", changes(ds))
	}
	// Nobody sends anything at all for a minute (DTX, or muted).
	for i := range 200 {
		now := epoch.Add(2*time.Second + time.Duration(i)*300*time.Millisecond)
		if id, changed := d.Decide(now); id != "a" || changed {
			t.Fatalf("Decide after %d polls of silence = %q, %v; want \"a\", false", i, id, changed)
		}
	}
}

func TestRemoval(t *testing.T) {
	t.Run("dominant speaker leaves, nobody else talks", func(t *testing.T) {
		var d Detector
		play(&d, []string{"a", "b"}, []talk{{id: "a", from: 0, to: 2, level: 25}}, 2)
		d.Remove("a")
		now := epoch.Add(2 * time.Second)
		if id, changed := d.Decide(now); id != "" || !changed {
			t.Errorf("Decide = %q, %v; want \"\", true", id, changed)
		}
		if id, changed := d.Decide(now.Add(300 * time.Millisecond)); id != "" || changed {
			t.Errorf("second Decide = %q, %v; want \"\", false", id, changed)
		}
		d.Observe("a", 10, true, now) // late packet of a removed participant
		if id, _ := d.Decide(now.Add(time.Second)); id != "" {
			t.Errorf("removed participant came back: %q", id)
		}
	})
	t.Run("dominant speaker leaves while another talks", func(t *testing.T) {
		var d Detector
		ds := play(&d, []string{"a", "b"}, []talk{
			{id: "a", from: 0, to: 4, level: 20},
			{id: "b", from: 1, to: 4, level: 30},
		}, 4)
		if floorAt(ds, 4) != "a" {
			t.Fatalf("a should hold the floor: %v", changes(ds))
		}
		d.Remove("a")
		if id, changed := d.Decide(epoch.Add(4 * time.Second)); id != "b" || !changed {
			t.Errorf("Decide = %q, %v; want \"b\", true", id, changed)
		}
	})
	t.Run("removing someone else changes nothing", func(t *testing.T) {
		var d Detector
		play(&d, []string{"a", "b"}, []talk{{id: "a", from: 0, to: 2, level: 25}}, 2)
		d.Remove("b")
		d.Remove("nobody")
		if id, changed := d.Decide(epoch.Add(2 * time.Second)); id != "a" || changed {
			t.Errorf("Decide = %q, %v; want \"a\", false", id, changed)
		}
	})
}

func TestZeroDetector(t *testing.T) {
	var d Detector
	if id, changed := d.Decide(epoch); id != "" || changed {
		t.Errorf("Decide on a zero Detector = %q, %v", id, changed)
	}
	d.Observe("stranger", 0, true, epoch) // never added: ignored
	if id, _ := d.Decide(epoch.Add(2 * time.Second)); id != "" {
		t.Errorf("a participant never added took the floor: %q", id)
	}
	if d.Dominant() != "" {
		t.Errorf("Dominant = %q", d.Dominant())
	}
}

func TestTimeGoingBackwardsIsIgnored(t *testing.T) {
	var d Detector
	d.Add("a")
	d.Observe("a", 20, true, epoch)
	d.Observe("a", 20, true, epoch.Add(-time.Hour))
	if id, changed := d.Decide(epoch.Add(-time.Minute)); id != "" || changed {
		t.Errorf("Decide in the past = %q, %v", id, changed)
	}
}

func TestConcurrentUse(t *testing.T) {
	var d Detector
	ids := []string{"a", "b", "c", "d"}
	for _, id := range ids {
		d.Add(id)
	}
	var wg sync.WaitGroup
	for n, id := range ids {
		wg.Go(func() {
			for i := range 500 {
				d.Observe(id, uint8(10+n*10), true, epoch.Add(time.Duration(i)*packetInterval))
			}
		})
	}
	wg.Go(func() {
		for i := range 40 {
			d.Decide(epoch.Add(time.Duration(i) * 300 * time.Millisecond))
			_ = d.Dominant()
		}
	})
	wg.Go(func() {
		for i := range 100 {
			d.Add(fmt.Sprint("late", i))
			d.Remove(fmt.Sprint("late", i))
		}
	})
	wg.Wait()
}

func TestNoAllocations(t *testing.T) {
	var d Detector
	d.Add("alice")
	d.Add("bob")
	id := "alice"
	now := epoch
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(packetInterval)
		d.Observe(id, 20, true, now)
		d.Observe("bob", 40, false, now)
		d.Decide(now)
		ParseAudioLevel([]byte{0x94})
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

func TestParseAudioLevel(t *testing.T) {
	tests := []struct {
		ext   []byte
		level uint8
		voice bool
		err   error
	}{
		{[]byte{0x00}, 0, false, nil},
		{[]byte{0x80}, 0, true, nil},
		{[]byte{0x7f}, 127, false, nil},
		{[]byte{0xff}, 127, true, nil},
		{[]byte{0x9e}, 30, true, nil},
		{[]byte{0x1e, 0x00}, 30, false, nil}, // two-byte form with padding
		{nil, 0, false, ErrTruncated},
		{[]byte{}, 0, false, ErrTruncated},
	}
	for _, tt := range tests {
		level, voice, err := ParseAudioLevel(tt.ext)
		if level != tt.level || voice != tt.voice || !errors.Is(err, tt.err) {
			t.Errorf("ParseAudioLevel(% x) = %d, %v, %v; want %d, %v, %v",
				tt.ext, level, voice, err, tt.level, tt.voice, tt.err)
		}
	}
}

func FuzzParseAudioLevel(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x9e})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, ext []byte) {
		level, voice, err := ParseAudioLevel(ext)
		if err != nil {
			if len(ext) != 0 {
				t.Fatalf("error %v for % x", err, ext)
			}
			return
		}
		if level > 127 || voice != (ext[0]&0x80 != 0) {
			t.Fatalf("ParseAudioLevel(% x) = %d, %v", ext, level, voice)
		}
	})
}

// FuzzDetector plays arbitrary observations, removals and decisions,
// with arbitrary (even backward) times, and checks that the detector
// never panics and never names a participant who is not in the room.
func FuzzDetector(f *testing.F) {
	f.Add([]byte{0, 20, 1, 1, 20, 1, 2, 0, 0, 3, 1, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 5})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var d Detector
		names := [4]string{"a", "b", "c", "d"}
		present := map[string]bool{}
		now := epoch
		for i := 0; i+3 <= len(ops); i += 3 {
			op, x, y := ops[i], ops[i+1], ops[i+2]
			id := names[op>>2%4]
			now = now.Add(time.Duration(int8(y)) * 10 * time.Millisecond)
			switch op % 4 {
			case 0:
				d.Add(id)
				present[id] = true
			case 1:
				d.Observe(id, x, y&1 != 0, now)
			case 2:
				d.Remove(id)
				delete(present, id)
			case 3:
				got, _ := d.Decide(now)
				if got != "" && !present[got] {
					t.Fatalf("Decide named %q, who is not in the room", got)
				}
			}
		}
	})
}

func BenchmarkObserve(b *testing.B) {
	var d Detector
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("participant-%02d", i)
		d.Add(ids[i])
	}
	now := epoch
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%len(ids) == 0 {
			now = now.Add(packetInterval)
		}
		d.Observe(ids[i%len(ids)], uint8(i%64), true, now)
		i++
	}
}

// BenchmarkDecide measures one poll of a room of 50.
func BenchmarkDecide(b *testing.B) {
	var d Detector
	for i := range 50 {
		id := fmt.Sprintf("participant-%02d", i)
		d.Add(id)
		for k := range 50 {
			d.Observe(id, uint8(20+i%20), true, epoch.Add(time.Duration(k)*packetInterval))
		}
	}
	now := epoch.Add(time.Second)
	b.ReportAllocs()
	for b.Loop() {
		d.Decide(now)
	}
}
