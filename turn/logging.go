package turn

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/pion/logging"
	"golang.org/x/time/rate"
)

// Levels pion's messages are logged at. Pion logs per-packet details at
// debug and client-triggered problems at error, so everything is shifted
// down: enabling slog.LevelDebug shows pion's info messages, not its
// per-packet output.
const (
	pionTraceLevel = slog.LevelDebug - 8
	pionDebugLevel = slog.LevelDebug - 4
	pionInfoLevel  = slog.LevelDebug
	pionWarnLevel  = slog.LevelWarn
	pionErrorLevel = slog.LevelWarn
)

// pionLoggerFactory adapts slog to pion's logging.LoggerFactory. With
// quiet set (SelfCheck's client, whose teardown pion reports as warnings)
// everything is logged at debug or below.
type pionLoggerFactory struct {
	log   *slog.Logger
	quiet bool
}

// NewLogger implements logging.LoggerFactory.
func (f pionLoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With("pion", scope), quiet: f.quiet}
}

// pionLogger adapts slog to pion's logging.LeveledLogger; it formats only
// when the level is enabled.
type pionLogger struct {
	log   *slog.Logger
	quiet bool
}

// logf formats and logs when level is enabled.
func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	if l.quiet {
		level = min(level, slog.LevelDebug)
	}
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, args...))
}

// Trace implements logging.LeveledLogger.
func (l pionLogger) Trace(msg string) { l.logf(pionTraceLevel, "%s", msg) }

// Tracef implements logging.LeveledLogger.
func (l pionLogger) Tracef(format string, args ...any) { l.logf(pionTraceLevel, format, args...) }

// Debug implements logging.LeveledLogger.
func (l pionLogger) Debug(msg string) { l.logf(pionDebugLevel, "%s", msg) }

// Debugf implements logging.LeveledLogger.
func (l pionLogger) Debugf(format string, args ...any) { l.logf(pionDebugLevel, format, args...) }

// Info implements logging.LeveledLogger.
func (l pionLogger) Info(msg string) { l.logf(pionInfoLevel, "%s", msg) }

// Infof implements logging.LeveledLogger.
func (l pionLogger) Infof(format string, args ...any) { l.logf(pionInfoLevel, format, args...) }

// Warn implements logging.LeveledLogger.
func (l pionLogger) Warn(msg string) { l.logf(pionWarnLevel, "%s", msg) }

// Warnf implements logging.LeveledLogger.
func (l pionLogger) Warnf(format string, args ...any) { l.logf(pionWarnLevel, format, args...) }

// Error implements logging.LeveledLogger.
func (l pionLogger) Error(msg string) { l.logf(pionErrorLevel, "%s", msg) }

// Errorf implements logging.LeveledLogger.
func (l pionLogger) Errorf(format string, args ...any) { l.logf(pionErrorLevel, format, args...) }

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
