package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
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
