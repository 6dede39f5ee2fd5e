package turn

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
	"golang.org/x/time/rate"
)

// The relay bandwidth cap (Config.RelayBytesPerSecond) is shared fairly
// among the users relaying. Each user (credential id) relaying now is
// sure of an equal share of the cap: a token bucket of its own, refilled
// at cap/n for n such users. Beyond its share a datagram may still pass,
// on what the others leave: while the server-wide bucket holds more than
// a reserve. So one user alone may use the whole cap, and one flooding
// cannot take from others more than what they do not use: their
// datagrams within their shares find the reserve, which a flood cannot
// touch.
//
// A user is relaying in the activity period in which one of its
// datagrams came (passed or not) and in the period after, so that the
// number of shares follows who is relaying, not who merely holds an
// allocation (a browser allocates on every TURN server it is given,
// whether it ends up relaying or not).

const (
	// minBurst keeps a bucket larger than any datagram, so that a packet
	// can always pass once the bucket has refilled.
	minBurst = 64 << 10
	// activityPeriod is how long a user counts as relaying after a
	// datagram, at least (up to twice as long).
	activityPeriod = 500 * time.Millisecond
)

// bandwidth is the relay byte budget: the server-wide bucket and a
// bucket per relaying user. A nil *bandwidth allows everything.
//
// Each datagram locks two limiters briefly (its user's and the total);
// a lookup of the client's user takes a read lock; nothing is allocated
// and no lock is held across I/O.
type bandwidth struct {
	total     *rate.Limiter
	perSecond float64
	// reserve is what the total bucket keeps for datagrams within their
	// user's share: one beyond it passes only while the bucket holds
	// more.
	reserve float64
	dropped atomic.Uint64
	// share is each relaying user's rate, bytes per second (float64
	// bits).
	share atomic.Uint64

	mu      sync.RWMutex
	users   map[string]*userBandwidth
	clients map[clientKey]*userBandwidth // the user of each allocation's client address
	// period is the current activity period; active counts the users
	// relaying in it, lastActive those of the period before.
	period             int64
	active, lastActive int
}

// userBandwidth is one user's share: its own bucket.
type userBandwidth struct {
	lim  *rate.Limiter
	refs int // its relay sockets and client addresses; bandwidth.mu
	// period is the last activity period it relayed in.
	period atomic.Int64
	// limit is the share lim was last set to (float64 bits), changed
	// with limitMu held.
	limit   atomic.Uint64
	limitMu sync.Mutex
}

// clientKey is a client's transport address: where pion sends an
// allocation's data to.
type clientKey struct {
	addr netip.AddrPort
	tcp  bool // TCP or TLS, not UDP
}

func newBandwidth(bytesPerSecond int64) *bandwidth {
	if bytesPerSecond <= 0 {
		return nil
	}
	burst := burstFor(float64(bytesPerSecond))
	b := &bandwidth{
		total:     rate.NewLimiter(rate.Limit(bytesPerSecond), burst),
		perSecond: float64(bytesPerSecond),
		reserve:   float64(burst) / 2,
		users:     map[string]*userBandwidth{},
		clients:   map[clientKey]*userBandwidth{},
	}
	b.share.Store(math.Float64bits(b.perSecond))

	return b
}

// burstFor is the bucket size for a rate: a quarter second of traffic,
// at least minBurst.
func burstFor(perSecond float64) int {
	return max(int(perSecond/4), minBurst)
}

// user returns id's share, counting one more holder (a relay socket);
// release gives it back.
func (b *bandwidth) user(id string) *userBandwidth {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.holdUnlocked(id)
}

func (b *bandwidth) holdUnlocked(id string) *userBandwidth {
	u := b.users[id]
	if u == nil {
		share := math.Float64frombits(b.share.Load())
		u = &userBandwidth{lim: rate.NewLimiter(rate.Limit(share), burstFor(share))}
		u.limit.Store(math.Float64bits(share))
		b.users[id] = u
	}
	u.refs++

	return u
}

// release gives back a holder of id's share.
func (b *bandwidth) release(id string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.releaseUnlocked(id)
}

func (b *bandwidth) releaseUnlocked(id string) {
	if u := b.users[id]; u != nil {
		if u.refs--; u.refs <= 0 {
			delete(b.users, id)
		}
	}
}

// addClient charges what is relayed to an allocation's client address
// to the allocation's user (pion's OnAllocationCreated).
func (b *bandwidth) addClient(client net.Addr, user string) {
	key, ok := keyOf(client)
	if b == nil || !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.clients[key]; old != nil {
		return // already there: pion refuses a second allocation on a 5-tuple
	}
	b.clients[key] = b.holdUnlocked(user)
}

// removeClient forgets an allocation's client address (pion's
// OnAllocationDeleted).
func (b *bandwidth) removeClient(client net.Addr, user string) {
	key, ok := keyOf(client)
	if b == nil || !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.clients[key] != nil {
		delete(b.clients, key)
		b.releaseUnlocked(user)
	}
}

// keyOf is the key of a client address. (The address's type tells the
// transport: pion's 5-tuples say UDP for TCP and TLS clients too.)
func keyOf(client net.Addr) (clientKey, bool) {
	switch a := client.(type) {
	case *net.UDPAddr:
		return udpClientKey(a), true
	case *net.TCPAddr:
		return tcpClientKey(a), true
	}

	return clientKey{}, false
}

func udpClientKey(a *net.UDPAddr) clientKey { return newClientKey(a.AddrPort(), false) }

func tcpClientKey(a *net.TCPAddr) clientKey { return newClientKey(a.AddrPort(), true) }

func newClientKey(ap netip.AddrPort, tcp bool) clientKey {
	return clientKey{addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), tcp: tcp}
}

// allowToClient spends n bytes of relayed data sent to client, charged
// to its allocation's user, or reports that the datagram must be
// dropped.
func (b *bandwidth) allowToClient(client clientKey, n int) bool {
	if b == nil {
		return true
	}
	b.mu.RLock()
	u := b.clients[client]
	b.mu.RUnlock()

	return b.allow(u, n)
}

// allow spends n bytes of u's share, or of what the others leave, or
// reports that the datagram must be dropped. A nil u (data for a client
// not known yet) has the total bucket alone.
func (b *bandwidth) allow(u *userBandwidth, n int) bool {
	if b == nil {
		return true
	}
	now := time.Now()
	var ok bool
	if u == nil {
		ok = b.total.AllowN(now, n)
	} else {
		b.noteRelaying(u, now)
		b.applyShare(u, now)
		if u.lim.AllowN(now, n) {
			ok = b.total.AllowN(now, n)
		} else {
			// Beyond its share: only what the others leave.
			ok = b.total.TokensAt(now) >= b.reserve+float64(n) && b.total.AllowN(now, n)
		}
	}
	if !ok {
		b.dropped.Add(uint64(n)) //nolint:gosec // n is a datagram length
	}

	return ok
}

// noteRelaying counts u as relaying in now's activity period; the
// first datagram of a user in a period recomputes the share.
func (b *bandwidth) noteRelaying(u *userBandwidth, now time.Time) {
	period := now.UnixNano() / int64(activityPeriod)
	if u.period.Load() == period {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.period != period {
		b.lastActive = 0
		if b.period == period-1 {
			b.lastActive = b.active
		}
		b.active, b.period = 0, period
	}
	if u.period.Swap(period) != period {
		b.active++
	}
	b.share.Store(math.Float64bits(b.perSecond / float64(max(b.active, b.lastActive, 1))))
}

// applyShare sets u's bucket to the current share if that changed. The
// share is read again under the lock, so that of two datagrams racing
// over a change, the later share is the one set.
func (b *bandwidth) applyShare(u *userBandwidth, now time.Time) {
	if u.limit.Load() == b.share.Load() {
		return
	}
	u.limitMu.Lock()
	defer u.limitMu.Unlock()
	share := b.share.Load()
	if u.limit.Load() == share {
		return
	}
	perSecond := math.Float64frombits(share)
	u.lim.SetLimitAt(now, rate.Limit(perSecond))
	u.lim.SetBurstAt(now, burstFor(perSecond))
	u.limit.Store(share)
}

var dataIndicationType = stun.NewType(stun.MethodData, stun.ClassIndication).Value()

// isRelayedData reports whether a message pion sends to a client carries
// relayed peer data (ChannelData or a Data indication), as opposed to a
// STUN response.
func isRelayedData(p []byte) bool {
	if len(p) >= 4 && p[0]>>6 == 1 { // ChannelData: channel numbers 0x4000-0x7FFF
		return true
	}

	return len(p) >= 20 && binary.BigEndian.Uint16(p) == dataIndicationType
}
