package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// TestJSONLogDurationsAreReadable: slog's JSON handler writes a
// time.Duration as an integer of nanoseconds, so the log said a
// certificate "took": 1500000000; it says "1.5s", as the text log does,
// in groups too.
func TestJSONLogDurationsAreReadable(t *testing.T) {
	var out bytes.Buffer
	log, _, err := newLogger(&out, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("TLS certificate ready", "took", 1500*time.Millisecond,
		slog.Group("turn", slog.Duration("retry_in", 5*time.Minute)), "count", 3)
	var line struct {
		Took any
		Turn struct {
			RetryIn any `json:"retry_in"`
		}
		Count any
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if line.Took != "1.5s" || line.Turn.RetryIn != "5m0s" {
		t.Errorf("durations logged as %v and %v, want \"1.5s\" and \"5m0s\": %s", line.Took, line.Turn.RetryIn, out.String())
	}
	if line.Count != 3.0 {
		t.Errorf("a number logged as %v: %s", line.Count, out.String())
	}

	out.Reset()
	log, _, _ = newLogger(&out, "info", "text")
	log.Info("TLS certificate ready", "took", 1500*time.Millisecond)
	if !bytes.Contains(out.Bytes(), []byte("took=1.5s")) {
		t.Errorf("text log: %s", out.String())
	}
}
