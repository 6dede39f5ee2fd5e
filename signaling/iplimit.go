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
	// DefaultMessageBytesPerIP is how many bytes of messages per second
	// all sessions of one address may send together (in bursts of ten
	// seconds' worth, 2.5 MiB). A client sends a few KiB a minute of chat
	// and candidates, and an SDP offer of 5 to 20 KiB (a screen share
	// with simulcast) at a join or a renegotiation: sixty-four people
	// behind one NAT joining at once fit in the burst, while parsing
	// 500 messages of 64 KiB a second (32 MiB/s, a core of a small
	// server) does not.
	DefaultMessageBytesPerIP = 256 << 10
)

// ipBurstSeconds is how many seconds' worth of messages and bytes an
// address may send at once.
const ipBurstSeconds = 10

// ipLimits counts the sessions of each client address, and the
// participants it has kept for a resume, and meters their messages
// together. An address's entry lives while it has sessions or kept
// participants, and after, until its message budget has refilled: a
// client that spent it must not get it back by reconnecting.
type ipLimits struct {
	maxConns int // 0: no limit
	messages budget
	bytes    budget

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
	kept  int
	meter ipMeter
}

// budget is the rate and burst of one of an address's limits; a zero
// rate means no limit.
type budget struct {
	rate  rate.Limit
	burst int
}

// newBudget allows perSecond a second in bursts of ipBurstSeconds'
// worth, and at least least at once (0: no limit).
func newBudget(perSecond, least int) budget {
	if perSecond <= 0 {
		return budget{}
	}
	return budget{rate: rate.Limit(perSecond), burst: max(ipBurstSeconds*perSecond, least)}
}

// limiter returns a new limiter of b, nil without a limit.
func (b budget) limiter() *rate.Limiter {
	if b.rate <= 0 {
		return nil
	}
	return rate.NewLimiter(b.rate, b.burst)
}

// rested reports whether lim, made by b, is whole again at now.
func (b budget) rested(lim *rate.Limiter, now time.Time) bool {
	return lim == nil || lim.TokensAt(now) >= float64(b.burst)
}

// ipMeter charges the messages of every session of one address to the
// address's budgets; its limiters are nil when unlimited.
type ipMeter struct {
	messages, bytes *rate.Limiter
}

// charge spends one message of size bytes, or returns the rate-limit
// error that ends the session when the address has spent its budget.
func (m ipMeter) charge(size int) *Error {
	if m.messages != nil && !m.messages.Allow() {
		return protocolError(CodeRateLimit, "more than %v messages per second from your address", m.messages.Limit())
	}
	if m.bytes != nil && !m.bytes.AllowN(time.Now(), size) {
		return protocolError(CodeRateLimit, "more than %v bytes of messages per second from your address", m.bytes.Limit())
	}
	return nil
}

// newIPLimits bounds each address to maxConns sessions and
// messagesPerSecond messages of bytesPerSecond bytes together (0: no
// limit). The byte burst holds at least one message of the largest size.
func newIPLimits(maxConns, messagesPerSecond, bytesPerSecond int) *ipLimits {
	return &ipLimits{
		maxConns: maxConns,
		messages: newBudget(messagesPerSecond, 1),
		bytes:    newBudget(bytesPerSecond, MaxMessageBytes),
		addrs:    map[netip.Addr]*ipEntry{},
	}
}

// acquire counts a new session of addr. It returns the address's shared
// meter and a release function, or ok false when addr already holds as
// many sessions as allowed. An invalid address (a test's pipe) is not
// limited.
func (l *ipLimits) acquire(addr netip.Addr) (meter ipMeter, release func(), ok bool) {
	if !addr.IsValid() {
		return ipMeter{}, func() {}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.Sub(l.swept) >= sweepEvery {
		l.sweepLocked(now)
	}
	e := l.entryLocked(addr)
	if l.maxConns > 0 && e.conns >= l.maxConns {
		return ipMeter{}, nil, false
	}
	e.conns++
	var once sync.Once
	return e.meter, func() { once.Do(func() { l.release(addr) }) }, true
}

// entryLocked returns addr's entry, made if it has none.
func (l *ipLimits) entryLocked(addr netip.Addr) *ipEntry {
	e := l.addrs[addr]
	if e == nil {
		e = &ipEntry{meter: ipMeter{messages: l.messages.limiter(), bytes: l.bytes.limiter()}}
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

// rested reports whether e's budgets are whole again: forgetting it then
// gives its address nothing it would not have.
func (l *ipLimits) rested(e *ipEntry, now time.Time) bool {
	return l.messages.rested(e.meter.messages, now) && l.bytes.rested(e.meter.bytes, now)
}

// sweepLocked drops the entries of addresses without sessions or kept
// participants whose budget has refilled.
func (l *ipLimits) sweepLocked(now time.Time) {
	l.swept = now
	for addr, e := range l.addrs {
		l.dropIfIdleLocked(addr, e, now)
	}
}
