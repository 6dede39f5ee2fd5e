package turn

import (
	"context"
	"log/slog"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// logLimiter rate-limits a class of client-triggered log lines (refused
// credentials, peers, allocations) so that a misbehaving client cannot
// flood the log. Lines over the limit are counted and the count is attached
// to the next line logged.
type logLimiter struct {
	lim        *rate.Limiter
	suppressed atomic.Int64
}

// newLogLimiter allows 5 lines per second on average, bursts of 20.
func newLogLimiter() *logLimiter {
	return &logLimiter{lim: rate.NewLimiter(5, 20)}
}

// log logs msg at level unless over the limit.
func (l *logLimiter) log(logger *slog.Logger, level slog.Level, msg string, args ...any) {
	if !logger.Enabled(context.Background(), level) {
		return
	}
	if !l.lim.Allow() {
		l.suppressed.Add(1)

		return
	}
	if n := l.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	logger.Log(context.Background(), level, msg, args...)
}
