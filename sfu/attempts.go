package sfu

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/plenum-meet/plenum/sfu/netlimit"
)

// Bounds on wrong room passwords. Each client address (netlimit.Client:
// an IPv4 address, an IPv6 /64) has its own count, in all rooms
// together, so that one address guessing at full rate keeps nobody else
// out; each room has a count too, so that a guesser spread over many
// addresses is still bounded.
//
//   - An address: 10 wrong at once (a person who mistyped a few times
//     retries at once), then one each 3 s, 20 a minute.
//   - A room: 300 wrong at once, then one each 200 ms, 300 a minute.
//     A crowd coming in together never meets it: a meeting of a
//     thousand starting at once, a quarter mistyping once, makes 250;
//     and its people, each on their own address's count, meet their
//     own bound first. A guesser needs 15 addresses at full rate to
//     reach it and then gets 432,000 guesses a day: a password of three
//     random words from a list of 7,776 takes over a thousand years on
//     average, a single dictionary word falls within a day (as it did,
//     in a week, at the 10 a minute that was once the room's only
//     bound). Once a room's count is spent, nobody is checked in it
//     until it refills: a right password cannot be told from a wrong
//     one without checking it, and checks are what is bounded. Holders
//     of a link need no password and are not counted.
//
// Right passwords use up nothing.
const (
	addrAttempts     = 10
	addrAttemptEvery = 3 * time.Second
	roomAttempts     = 300
	roomAttemptEvery = 200 * time.Millisecond
	// maxAttemptRooms and maxAttemptAddrs bound the counts kept. A
	// count that holds nothing (full, no check under way) is dropped to
	// make room; past the bound with every count holding something, a
	// guess from a new room or address is refused. Forgetting counts that
	// hold something would let whoever guesses from or in enough others
	// reset the one they are after. Few are ever held: checks are bounded
	// by the cores (auth), at most some 70 a second a core, and a count
	// rests within 30 s of its last wrong password.
	maxAttemptRooms = 10_000
	maxAttemptAddrs = 100_000
)

// attempts counts wrong room passwords, by room and by client address.
// The zero value is ready.
type attempts struct {
	mu     sync.Mutex
	rooms  map[string]*guessCount
	addrs  map[netip.Addr]*guessCount
	pruned time.Time // when rested counts were last dropped
}

// guessCount counts the wrong passwords of one room or address, and the
// checks under way: a check takes tens of milliseconds, and guesses sent
// in parallel must not all start while the first is being checked,
// before any is known to be wrong. Guarded by attempts.mu.
type guessCount struct {
	wrong   *rate.Limiter
	burst   int
	checked int // checks under way
}

// guess is one password check under way, begun by attempts.begin.
type guess struct {
	a          *attempts
	room, addr *guessCount
}

// begin returns a check of a password typed for room from addr, or nil
// when it is refused: were every check under way wrong, the room or the
// address would have no wrong password left. Each guess it returns must
// be ended.
func (a *attempts) begin(room string, addr netip.Addr) *guess {
	addr = netlimit.Client(addr)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms == nil {
		a.rooms, a.addrs = map[string]*guessCount{}, map[netip.Addr]*guessCount{}
	}
	now := time.Now()
	r := countFor(a, a.rooms, room, maxAttemptRooms, roomAttempts, roomAttemptEvery, now)
	c := countFor(a, a.addrs, addr, maxAttemptAddrs, addrAttempts, addrAttemptEvery, now)
	if r == nil || c == nil || r.left(now) < 1 || c.left(now) < 1 {
		return nil
	}
	r.checked++
	c.checked++
	return &guess{a: a, room: r, addr: c}
}

// end ends a check, counting it if the password was wrong.
func (g *guess) end(right bool) {
	g.a.mu.Lock()
	defer g.a.mu.Unlock()
	for _, c := range []*guessCount{g.room, g.addr} {
		c.checked--
		if !right {
			c.wrong.Allow()
		}
	}
}

// countFor returns the count of key in counts, made if need be, or nil
// when counts holds max that may not be dropped. a.mu must be held.
func countFor[K comparable](a *attempts, counts map[K]*guessCount, key K, max, burst int, every time.Duration, now time.Time) *guessCount {
	if c := counts[key]; c != nil {
		return c
	}
	if len(counts) >= max {
		a.forgetRestedLocked(now)
	}
	if len(counts) >= max {
		return nil
	}
	c := &guessCount{wrong: rate.NewLimiter(rate.Every(every), burst), burst: burst}
	counts[key] = c
	return c
}

// left is how many more wrong passwords would be allowed now, were
// every check under way wrong.
func (c *guessCount) left(now time.Time) float64 {
	return c.wrong.TokensAt(now) - float64(c.checked)
}

// rested reports whether no check is under way and a full burst of
// wrong passwords is allowed: the count holds nothing to keep.
func (c *guessCount) rested(now time.Time) bool {
	return c.checked == 0 && c.wrong.TokensAt(now) >= float64(c.burst)
}

// forgetRestedLocked drops the counts that hold nothing, at most once a
// second (it reads every count). a.mu must be held.
func (a *attempts) forgetRestedLocked(now time.Time) {
	if now.Sub(a.pruned) < time.Second {
		return
	}
	a.pruned = now
	forgetRested(a.rooms, now)
	forgetRested(a.addrs, now)
}

func forgetRested[K comparable](counts map[K]*guessCount, now time.Time) {
	for k, c := range counts {
		if c.rested(now) {
			delete(counts, k)
		}
	}
}
