package server_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
)

// TestAMeetingThatGoesWellLogsNoWarning: an admin who follows the log
// (journalctl -u plenum -f) as the README says saw warnings from pion
// at every join and leave ("Failed to ping without candidate pairs",
// "Failed to read from candidate … closed pipe", "Failed to accept RTP
// stream is already closed"), for nothing that went wrong. Two people
// meet, hear and see each other and leave, and the server stops: not a
// warning.
func TestAMeetingThatGoesWellLogsNoWarning(t *testing.T) {
	logs := new(syncBuffer)
	srv, stop := startWith(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ana := dial(t, srv, "Ana", false)
	ben := dial(t, srv, "Ben", false)
	waitUntil(t, 15*time.Second, "Ana and Ben hear and see each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, ana.ID())
	})
	ana.Leave()
	ben.Leave()
	waitUntil(t, 10*time.Second, "the server sees both leave", func() bool {
		return strings.Count(logs.String(), "participant left") == 2
	})
	time.Sleep(2 * time.Second) // what pion says as their connections close
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("logged: %s", line)
		}
	}
	if testing.Verbose() {
		t.Log(logs.String())
	}
}

// TestTheTURNSelfCheckIsLoggedOnce: the start's TURN self-check was
// logged twice, by the TURN server ("turn: self-check passed") and by
// the server that ran it, so that an admin read of two checks.
func TestTheTURNSelfCheckIsLoggedOnce(t *testing.T) {
	logs := new(syncBuffer)
	startWith(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	// The server logs its line after the check returns, so once it is
	// there, whatever the check logged is too.
	waitUntil(t, 20*time.Second, "the self-check is logged", func() bool {
		return strings.Contains(logs.String(), "TURN self-check passed")
	})
	if n := strings.Count(logs.String(), "self-check passed"); n != 1 {
		t.Errorf("the self-check's success is logged %d times:\n%s", n, logs.String())
	}
}
