// Package pionlog passes pion's log messages (WebRTC, ICE, DTLS, SRTP,
// TURN) to log/slog, so that they honour the server's --log-level and
// --log-format instead of going to standard error in pion's own format.
package pionlog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// Levels pion's messages are logged at. Pion logs per-packet details at
// debug and problems a remote peer causes (a closed connection, a bad
// packet) at error, so everything is shifted down: slog.LevelDebug shows
// pion's info messages, not its per-packet output, and pion's errors are
// the server's warnings.
const (
	traceLevel = slog.LevelDebug - 8
	debugLevel = slog.LevelDebug - 4
	infoLevel  = slog.LevelDebug
	warnLevel  = slog.LevelWarn
	errorLevel = slog.LevelWarn
)

// Factory is a logging.LoggerFactory that logs to Log (slog.Default()
// when nil). With Quiet set, everything is logged at debug or below: for
// pion stacks whose own teardown pion reports as errors, such as the
// TURN self-check's client or the load generator's peers, which report
// what matters themselves.
//
// With Limit set, pion's warnings and errors, which a remote peer can
// cause at will, go through it.
type Factory struct {
	Log   *slog.Logger
	Quiet bool
	Limit *Limiter
}

// NewLogger implements logging.LoggerFactory.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	return logger{log: log.With("pion", scope), quiet: f.Quiet, limit: f.Limit}
}

// logger adapts slog to pion's logging.LeveledLogger; it formats only
// when the level is enabled.
type logger struct {
	log   *slog.Logger
	quiet bool
	limit *Limiter
}

// logf formats and logs when level is enabled.
func (l logger) logf(level slog.Level, format string, args ...any) {
	if l.quiet {
		level = min(level, slog.LevelDebug)
	}
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if level >= slog.LevelWarn && isRoutine(msg) {
		if level = infoLevel; !l.log.Enabled(ctx, level) {
			return
		}
	}
	var count []any
	if l.limit != nil && level >= slog.LevelWarn {
		var ok bool
		if count, ok = l.limit.pass(nil); !ok {
			return
		}
	}
	l.log.Log(ctx, level, msg, count...)
}

// Trace implements logging.LeveledLogger.
func (l logger) Trace(msg string) { l.logf(traceLevel, "%s", msg) }

// Tracef implements logging.LeveledLogger.
func (l logger) Tracef(format string, args ...any) { l.logf(traceLevel, format, args...) }

// Debug implements logging.LeveledLogger.
func (l logger) Debug(msg string) { l.logf(debugLevel, "%s", msg) }

// Debugf implements logging.LeveledLogger.
func (l logger) Debugf(format string, args ...any) { l.logf(debugLevel, format, args...) }

// Info implements logging.LeveledLogger.
func (l logger) Info(msg string) { l.logf(infoLevel, "%s", msg) }

// Infof implements logging.LeveledLogger.
func (l logger) Infof(format string, args ...any) { l.logf(infoLevel, format, args...) }

// Warn implements logging.LeveledLogger.
func (l logger) Warn(msg string) { l.logf(warnLevel, "%s", msg) }

// Warnf implements logging.LeveledLogger.
func (l logger) Warnf(format string, args ...any) { l.logf(warnLevel, format, args...) }

// Error implements logging.LeveledLogger.
func (l logger) Error(msg string) { l.logf(errorLevel, "%s", msg) }

// Errorf implements logging.LeveledLogger.
func (l logger) Errorf(format string, args ...any) { l.logf(errorLevel, format, args...) }
