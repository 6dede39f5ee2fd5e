package pionlog

import (
	"context"
	"log/slog"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Limiter rate-limits a class of log lines that a remote peer can cause
// (refused credentials, malformed packets, failed handshakes), so that a
// misbehaving client cannot flood the log. Lines over the limit are
// counted and the count is attached to the next line logged.
type Limiter struct {
	lim        *rate.Limiter
	suppressed atomic.Int64
}

// NewLimiter allows 5 lines per second on average, bursts of 20.
func NewLimiter() *Limiter {
	return &Limiter{lim: rate.NewLimiter(5, 20)}
}

// Log logs msg at level unless over the limit.
func (l *Limiter) Log(logger *slog.Logger, level slog.Level, msg string, args ...any) {
	if !logger.Enabled(context.Background(), level) {
		return
	}
	n, ok := l.allow()
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	logger.Log(context.Background(), level, msg, args...)
}

// allow reports whether a line may be logged now and, if so, how many
// were suppressed since the last one.
func (l *Limiter) allow() (suppressed int64, ok bool) {
	if !l.lim.Allow() {
		l.suppressed.Add(1)
		return 0, false
	}
	return l.suppressed.Swap(0), true
}
