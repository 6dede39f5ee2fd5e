package turn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
	"golang.org/x/time/rate"
)

var (
	errUserQuota  = errors.New("per-user allocation quota reached")
	errTotalQuota = errors.New("server allocation limit reached")
)

// allocQuota counts relay sockets per credential id and in total. A slot is
// taken when a relay socket is bound and given back when pion closes it, so
// the count cannot drift from the sockets actually held.
type allocQuota struct {
	maxPerUser, maxTotal int

	mu      sync.Mutex
	perUser map[string]int
	total   int
}

func newAllocQuota(maxPerUser, maxTotal int) *allocQuota {
	return &allocQuota{maxPerUser: maxPerUser, maxTotal: maxTotal, perUser: map[string]int{}}
}

// userHasRoom is the early per-user check behind pion's QuotaHandler (whose
// refusal is answered 486 Allocation Quota Reached).
func (q *allocQuota) userHasRoom(user string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()

	return q.perUser[user] < q.maxPerUser
}

// acquire takes a slot for user; the empty user (pion probing for an even
// port) counts only towards the total.
func (q *allocQuota) acquire(user string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.total >= q.maxTotal {
		return fmt.Errorf("%w (%d)", errTotalQuota, q.maxTotal)
	}
	if user != "" {
		if q.perUser[user] >= q.maxPerUser {
			return fmt.Errorf("%w (%d for %q)", errUserQuota, q.maxPerUser, user)
		}
		q.perUser[user]++
	}
	q.total++

	return nil
}

func (q *allocQuota) release(user string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.total--
	if user != "" {
		if q.perUser[user]--; q.perUser[user] <= 0 {
			delete(q.perUser, user)
		}
	}
}

func (q *allocQuota) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()

	return q.total
}

// quotaHandler is pion's QuotaHandler; userID is the id parsed by
// authenticate.
func (s *Server) quotaHandler(userID, _ string, src net.Addr) bool {
	if s.quota.userHasRoom(userID) {
		return true
	}
	s.refusals.Log(s.log, slog.LevelInfo, "turn: allocation refused", "reason", errUserQuota.Error(), "user", userID,
		"client", addrString(src), "limit", s.quota.maxPerUser)

	return false
}

// bandwidth is the server-wide relay byte budget, a token bucket. A nil
// *bandwidth allows everything.
type bandwidth struct {
	lim     *rate.Limiter
	dropped atomic.Uint64
}

// minBurst keeps the bucket larger than any datagram, so that a packet can
// always pass once the bucket has refilled.
const minBurst = 64 << 10

func newBandwidth(bytesPerSecond int64) *bandwidth {
	if bytesPerSecond <= 0 {
		return nil
	}
	burst := max(bytesPerSecond/4, minBurst)

	return &bandwidth{lim: rate.NewLimiter(rate.Limit(bytesPerSecond), int(burst))}
}

// allow spends n bytes of the budget, or reports that the datagram must be
// dropped.
func (b *bandwidth) allow(n int) bool {
	if b == nil || b.lim.AllowN(time.Now(), n) {
		return true
	}
	b.dropped.Add(uint64(n)) //nolint:gosec // n is a datagram length

	return false
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
