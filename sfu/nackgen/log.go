package nackgen

import "sync"

// receiveLog remembers which of a stream's last logSize sequence numbers
// arrived, and how often each missing one was NACKed.
type receiveLog struct {
	mu      sync.Mutex
	started bool
	highest uint16 // the newest sequence number received
	span    int    // numbers covered since the first packet, up to logSize
	got     [logSize / 64]uint64
	nacked  [logSize]uint8
}

func (l *receiveLog) setLocked(seq uint16) {
	i := int(seq) % logSize
	l.got[i/64] |= 1 << (i % 64)
}

func (l *receiveLog) hasLocked(seq uint16) bool {
	i := int(seq) % logSize
	return l.got[i/64]&(1<<(i%64)) != 0
}

func (l *receiveLog) clearLocked(seq uint16) {
	i := int(seq) % logSize
	l.got[i/64] &^= 1 << (i % 64)
	l.nacked[i] = 0
}

// add notes that seq arrived on the media stream.
func (l *receiveLog) add(seq uint16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		l.started, l.highest, l.span = true, seq, 1
		l.setLocked(seq)
		return
	}
	diff := int(int16(seq - l.highest))
	switch {
	case diff >= logSize || diff <= -logSize:
		// A jump too far to repair: start over from here. Behind as
		// well as ahead: a media packet (repairs come by repaired) that
		// far behind is no late one but the sender numbering afresh, a
		// restarted source behind a pion publisher, say; what follows
		// it was taken for old packets and nothing lost was asked for
		// until the numbers caught up, up to 32768 packets later.
		l.got, l.nacked = [logSize / 64]uint64{}, [logSize]uint8{}
		l.setLocked(seq)
		l.highest, l.span = seq, 1
	case diff > 0:
		for s := l.highest + 1; s != seq; s++ {
			l.clearLocked(s)
		}
		l.clearLocked(seq)
		l.setLocked(seq)
		l.highest = seq
		l.span = min(l.span+diff, logSize)
	case -diff < l.span:
		l.setLocked(seq) // late: reordered, or repaired
	}
}

// missing appends to out the numbers missing below the newest, oldest
// first, leaving out those NACKed maxNacks times already.
func (l *receiveLog) missing(out []uint16) []uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for back := l.span - 1; back >= 1; back-- {
		seq := l.highest - uint16(back) //nolint:gosec // back < logSize
		if l.hasLocked(seq) {
			continue
		}
		i := int(seq) % logSize
		if l.nacked[i] >= maxNacks {
			continue
		}
		l.nacked[i]++
		out = append(out, seq)
	}
	return out
}

// repaired notes that seq arrived repaired, over RTX: a packet asked for,
// behind the newest, if still in the log. Browsers also resend old
// packets to probe their uplink, which must not look like a restart.
func (l *receiveLog) repaired(seq uint16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if back := -int(int16(seq - l.highest)); l.started && back >= 0 && back < l.span {
		l.setLocked(seq)
	}
}
