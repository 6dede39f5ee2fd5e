package pionlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestPionsLevelsAreShiftedDownAndQuietKeepsToDebug(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))

	l := Factory{Log: log}.NewLogger("ice")
	l.Errorf("peer %s gone", "a")
	l.Warn("slow")
	l.Info("gathering")
	l.Tracef("packet %d", 1)
	got := out.String()
	for _, want := range []string{"level=WARN msg=\"peer a gone\" pion=ice", "level=WARN msg=slow pion=ice"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "gathering") || strings.Contains(got, "packet") {
		t.Errorf("pion's info and trace reached an info-level log:\n%s", got)
	}

	out.Reset()
	Factory{Log: log, Quiet: true}.NewLogger("twcc").Error("closed pipe")
	if out.Len() != 0 {
		t.Errorf("a quiet factory's error reached an info-level log: %s", out.String())
	}
	debug := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	Factory{Log: debug, Quiet: true}.NewLogger("twcc").Error("closed pipe")
	if !strings.Contains(out.String(), "level=DEBUG msg=\"closed pipe\" pion=twcc") {
		t.Errorf("a quiet factory's error is not at debug: %s", out.String())
	}
}

func TestAPeerCannotFloodTheLogThroughPion(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := Factory{Log: log, Limit: NewLimiter()}.NewLogger("srtp")
	for range 1000 {
		l.Errorf("bad packet from %s", "peer")
	}
	l.Info("not limited")
	lines := strings.Count(out.String(), "bad packet")
	if lines < 20 || lines > 30 {
		t.Errorf("%d of 1000 errors logged at once, want the burst of 20 (and what refills meanwhile)", lines)
	}
	if !strings.Contains(out.String(), "not limited") {
		t.Error("an info line was limited along with the errors")
	}

	// Once the limit refills, the next line says how many were left out.
	time.Sleep(250 * time.Millisecond)
	out.Reset()
	l.Error("bad packet again")
	if !strings.Contains(out.String(), "suppressed_since_last=") {
		t.Errorf("the line after a suppression does not say so: %s", out.String())
	}
}
