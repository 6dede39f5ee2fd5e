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
	if args, ok := l.pass(args); ok {
		logger.Log(context.Background(), level, msg, args...)
	}
}

// pass reports whether a line may be logged now and, if so, returns its
// args with the count of lines suppressed since the last one, if any.
func (l *Limiter) pass(args []any) ([]any, bool) {
	if !l.lim.Allow() {
		l.suppressed.Add(1)
		return nil, false
	}
	if n := l.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	return args, true
}
