package sfu

import (
	"sync/atomic"
	"time"
)

// durationSetting is one of the manager's times that a test may shorten
// while the manager runs (the resume grace, the return hold, the
// assembly's pace): unset, it is the default its reader gives. Atomic,
// because it is read with participant and room locks held.
type durationSetting struct{ ns atomic.Int64 }

func (s *durationSetting) set(d time.Duration) { s.ns.Store(int64(d)) }

// or is the setting, or def when it is not set.
func (s *durationSetting) or(def time.Duration) time.Duration {
	if d := time.Duration(s.ns.Load()); d > 0 {
		return d
	}
	return def
}
