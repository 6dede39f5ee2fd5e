// Package speaker tells, from the audio levels that senders attach to
// their packets (RFC 6464), which participant of a room is the dominant
// speaker: the one whose video a client shows large.
//
// The server cannot afford to decode audio, but every browser puts the
// level of each packet, in -dBov, in a header extension. A [Detector]
// is fed those levels, one call per packet, and polled a few times a
// second for a decision.
//
// The algorithm is deliberately simple. Time is cut into buckets of
// 100 ms. A packet counts as speech if its level is 35 -dBov or louder
// (and, for a sender that sets the RFC 6464 voice-activity flag at all,
// if it sets it). Over the last second, a participant's activity is the
// number of buckets that hold speech, and their loudness the average,
// over all ten buckets, of each bucket's mean linear amplitude, silent
// buckets counting zero. Only participants who spoke in at least half
// of the last second are candidates, which keeps coughs, door slams
// and keyboard clatter (bursts of a few hundred milliseconds) from
// taking the floor however loud they are. The loudest candidate takes
// the floor if the dominant speaker is no longer a candidate, or if it
// is twice as loud (6 dB) as the dominant speaker, so that two people
// talking over each other at similar levels do not make the floor flap.
// When nobody speaks, the floor stays where it was.
//
// For comparison: LiveKit's audio level observer counts a packet as
// active at 35 -dBov, requires a participant to be active 40% of an
// observation window, converts levels to linear amplitude and smooths
// over two 400 ms intervals. Jitsi Videobridge's
// DominantSpeakerIdentification (after Volfin and Cohen, "Dominant
// Speaker Identification for Multipoint Videoconferencing") scores
// speech activity over three time scales and decides every 300 ms;
// its thresholds are ratios of those scores. Ours is closer to
// LiveKit's, with the hysteresis of Jitsi's.
package speaker

import (
	"errors"
	"math"
	"sync"
	"time"
)

const (
	// bucketDuration is the resolution of the activity measure. A
	// bucket holds speech if any packet in it does, so packet times
	// (10 to 60 ms for Opus) do not change the result, and 100 ms is
	// short enough that a bucket boundary shifts a burst's measured
	// length by at most a tenth of the window.
	bucketDuration = 100 * time.Millisecond

	// windowBuckets is the length of the window, ten buckets or one
	// second: long enough to average over the gaps between words,
	// short enough that a new speaker takes the floor within about a
	// second.
	windowBuckets = 10

	// activeLevel is the quietest level, in -dBov, counted as speech.
	// LiveKit's default; speech into a browser with automatic gain
	// control sits around 20 to 30, background noise after noise
	// suppression well below 50.
	activeLevel = 35

	// minActiveBuckets is how many buckets of the window must hold
	// speech for a participant to be a candidate: half a second of
	// the last second. A burst of 300 ms touches at most four
	// buckets, so it never qualifies. LiveKit asks for 40% of its
	// window; we ask a little more because bucketing rounds a burst's
	// length up.
	minActiveBuckets = 5

	// switchRatio is how much louder than the dominant speaker, in
	// linear amplitude, a candidate must be to take the floor while
	// the dominant speaker is still talking: 2 is 6 dB, more than the
	// few dB by which one voice varies from second to second.
	switchRatio = 2.0
)

// amplitude maps a level in -dBov to linear amplitude, 10^(-level/20),
// with 127, digital silence in RFC 6464, mapped to 0.
var amplitude [128]float64

func init() {
	for l := range 127 {
		amplitude[l] = math.Pow(10, -float64(l)/20)
	}
}

// bucket is the speech of one participant in one bucketDuration.
type bucket struct {
	index   int64   // bucketDuration periods since the detector's epoch
	packets int     // speech packets
	sum     float64 // their linear amplitudes
}

type participant struct {
	// buckets is a ring indexed by bucket index modulo windowBuckets.
	buckets [windowBuckets]bucket
	// vad is set once the sender has set the voice-activity flag: it
	// runs a voice activity detector, so its flag is believed. Senders
	// that never set it are judged on level alone.
	vad bool
}

// measure returns how many buckets of the window ending with bucket
// cur hold speech, and the loudness over that window.
func (p *participant) measure(cur int64) (active int, loudness float64) {
	for i := range p.buckets {
		b := &p.buckets[i]
		if b.packets == 0 || b.index > cur || b.index <= cur-windowBuckets {
			continue
		}
		active++
		loudness += b.sum / float64(b.packets)
	}
	return active, loudness / windowBuckets
}

// A Detector identifies the dominant speaker among the participants of
// one room. Its methods are safe for concurrent use: every audio track
// may feed it from its own goroutine while another polls it. The zero
// Detector is ready to use.
type Detector struct {
	mu           sync.Mutex
	epoch        time.Time // time of the first observation
	started      bool
	participants map[string]*participant
	dominant     string
}

// Add starts tracking participant id. Observations of participants not
// added are ignored. Adding a participant twice is harmless.
func (d *Detector) Add(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.participants == nil {
		d.participants = make(map[string]*participant)
	}
	if d.participants[id] == nil {
		d.participants[id] = &participant{}
	}
}

// Remove stops tracking participant id. If id had the floor, the next
// Decide gives it to someone else, or to nobody, and reports a change.
func (d *Detector) Remove(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.participants, id)
}

// indexUnlocked returns the bucket index of now.
func (d *Detector) indexUnlocked(now time.Time) (int64, bool) {
	if !d.started {
		d.epoch, d.started = now, true
	}
	dt := now.Sub(d.epoch)
	if dt < 0 {
		return 0, false
	}
	return int64(dt / bucketDuration), true
}

// Observe records one audio packet of participant id, received at now,
// with its RFC 6464 level (0 loudest to 127 silent, in -dBov) and voice
// activity flag. It is meant to be called for every audio packet and
// allocates nothing.
func (d *Detector) Observe(id string, level uint8, voice bool, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.participants[id]
	if p == nil {
		return
	}
	if voice {
		p.vad = true
	}
	if level > activeLevel || (p.vad && !voice) {
		return
	}
	idx, ok := d.indexUnlocked(now)
	if !ok {
		return
	}
	b := &p.buckets[idx%windowBuckets]
	if b.index != idx {
		*b = bucket{index: idx}
	}
	b.packets++
	b.sum += amplitude[level]
}

// Decide returns the dominant speaker at now, "" if there is none yet,
// and whether it changed since the previous call. It is meant to be
// polled, every 300 ms or so (Jitsi decides every 300 ms, LiveKit
// reports levels every 400 ms); polling faster gives no faster
// decisions than the one-second window allows. It allocates nothing.
func (d *Detector) Decide(now time.Time) (id string, changed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	prev := d.dominant
	cur, ok := d.indexUnlocked(now)
	if !ok {
		// A clock that went back decides nothing, but a speaker who left
		// loses the floor all the same.
		if _, present := d.participants[prev]; prev != "" && !present {
			d.dominant = ""
			return "", true
		}
		return prev, false
	}

	var best string
	var bestLoudness, domLoudness float64
	domPresent, domCandidate := false, false
	for pid, p := range d.participants {
		active, loudness := p.measure(cur)
		candidate := active >= minActiveBuckets
		if pid == prev {
			domPresent, domCandidate, domLoudness = true, candidate, loudness
		}
		if !candidate {
			continue
		}
		// Ties go to the smaller id, so that map order never decides.
		if best == "" || loudness > bestLoudness || (loudness == bestLoudness && pid < best) {
			best, bestLoudness = pid, loudness
		}
	}

	next := prev
	switch {
	case !domPresent:
		next = best // the dominant speaker left, or there was none
	case best == "":
		// Nobody is talking: the floor stays with the last speaker.
	case !domCandidate:
		next = best
	case best != prev && bestLoudness >= switchRatio*domLoudness:
		next = best
	}
	d.dominant = next
	return next, next != prev
}

// Dominant returns the current dominant speaker, as of the last
// Decide, without deciding anew; "" if there is none.
func (d *Detector) Dominant() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dominant
}

// ErrTruncated is returned by ParseAudioLevel for an empty extension.
var ErrTruncated = errors.New("speaker: empty audio level extension")

// ParseAudioLevel parses the payload of the client-to-mixer audio level
// header extension (RFC 6464, urn:ietf:params:rtp-hdrext:ssrc-audio-level),
// as returned by rtp.Header.GetExtension for its negotiated id: one
// octet holding the voice-activity flag V in its top bit and the level
// in -dBov, 0 to 127, in the other seven. Octets after the first, which
// the two-byte extension header form may carry as padding, are ignored.
// Unlike pion's rtp.AudioLevelExtension it returns plain values and
// cannot allocate.
func ParseAudioLevel(ext []byte) (level uint8, voice bool, err error) {
	if len(ext) < 1 {
		return 0, false, ErrTruncated
	}
	return ext[0] & 0x7f, ext[0]&0x80 != 0, nil
}
