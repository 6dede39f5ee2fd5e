package signaling

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the per-address limits. One address may be a whole office
// behind NAT, so they are far above what one person needs, yet they stop
// one machine from holding the server's sockets or flooding it from many
// connections at once.
const (
	// DefaultMaxConnectionsPerIP is how many signaling sessions one
	// client address may hold at once.
	DefaultMaxConnectionsPerIP = 64
	// DefaultMessagesPerIP is how many messages per second all sessions
	// of one address may send together (in bursts of ten seconds' worth).
	DefaultMessagesPerIP = 500
)

// ipLimits counts the sessions of each client address, and the
// participants it has kept for a resume, and meters their messages
// together. An address's entry lives while it has sessions or kept
// participants, and after, until its message budget has refilled: a
// client that spent it must not get it back by reconnecting.
type ipLimits struct {
	maxConns int        // 0: no limit
	rate     rate.Limit // 0: no limit
	burst    int

	mu    sync.Mutex
	addrs map[netip.Addr]*ipEntry
	swept time.Time // when entries without sessions were last looked at
}

// sweepEvery is how often entries without sessions are looked at, to
// drop those whose budget has refilled.
const sweepEvery = 10 * time.Second

type ipEntry struct {
	conns int
	// kept counts the participants whose connection from this address
	// broke and who are kept for a resume (see keep): each holds a
	// peer connection and a place in its room as a connected one does.
	kept    int
	limiter *rate.Limiter // nil without a rate limit
}

func newIPLimits(maxConns, perSecond int) *ipLimits {
	l := &ipLimits{maxConns: maxConns, addrs: map[netip.Addr]*ipEntry{}}
	if perSecond > 0 {
		l.rate = rate.Limit(perSecond)
		l.burst = 10 * perSecond
	}
	return l
}

// acquire counts a new session of addr. It returns the address's shared
// message limiter (nil when unlimited) and a release function, or ok
// false when addr already holds as many sessions as allowed. An invalid
// address (a test's pipe) is not limited.
func (l *ipLimits) acquire(addr netip.Addr) (limiter *rate.Limiter, release func(), ok bool) {
	if !addr.IsValid() {
		return nil, func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.Sub(l.swept) >= sweepEvery {
		l.sweepLocked(now)
	}
	e := l.entryLocked(addr)
	if l.maxConns > 0 && e.conns >= l.maxConns {
		return nil, nil, false
	}
	e.conns++
	var once sync.Once
	return e.limiter, func() { once.Do(func() { l.release(addr) }) }, true
}

// entryLocked returns addr's entry, made if it has none.
func (l *ipLimits) entryLocked(addr netip.Addr) *ipEntry {
	e := l.addrs[addr]
	if e == nil {
		e = &ipEntry{}
		if l.rate > 0 {
			e.limiter = rate.NewLimiter(l.rate, l.burst)
		}
		l.addrs[addr] = e
	}
	return e
}

func (l *ipLimits) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.addrs[addr]; e != nil {
		e.conns--
		l.dropIfIdleLocked(addr, e, time.Now())
	}
}

// mayJoin reports whether a session of addr may bring one more
// participant: whether the address's sessions (that one included) and
// the participants it keeps for a resume stay within the limit. Without
// it, a client could join, cut its socket and join again, each time
// leaving a participant kept for the resume grace, and hold as many as
// its message budget allows instead of maxConns. A resume brings no one
// new and is not checked.
func (l *ipLimits) mayJoin(addr netip.Addr) bool {
	if !addr.IsValid() || l.maxConns <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.addrs[addr]
	return e == nil || e.conns+e.kept <= l.maxConns
}

// keep counts a participant of addr kept for a resume after its
// connection broke, until the returned function is called (it may be
// called more than once): at the resume, or when the participant leaves.
func (l *ipLimits) keep(addr netip.Addr) (unkeep func()) {
	if !addr.IsValid() || l.maxConns <= 0 {
		return func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entryLocked(addr)
	e.kept++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			e.kept--
			l.dropIfIdleLocked(addr, e, time.Now())
		})
	}
}

// dropIfIdleLocked forgets addr's entry e once nothing holds it and its
// budget has refilled.
func (l *ipLimits) dropIfIdleLocked(addr netip.Addr, e *ipEntry, now time.Time) {
	if e.conns <= 0 && e.kept <= 0 && l.rested(e, now) && l.addrs[addr] == e {
		delete(l.addrs, addr)
	}
}

// rested reports whether e's budget is whole again: forgetting it then
// gives its address nothing it would not have.
func (l *ipLimits) rested(e *ipEntry, now time.Time) bool {
	return e.limiter == nil || e.limiter.TokensAt(now) >= float64(l.burst)
}

// sweepLocked drops the entries of addresses without sessions or kept
// participants whose budget has refilled.
func (l *ipLimits) sweepLocked(now time.Time) {
	l.swept = now
	for addr, e := range l.addrs {
		l.dropIfIdleLocked(addr, e, now)
	}
}
