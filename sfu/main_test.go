package sfu_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/sfutest"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

func TestMain(m *testing.M) {
	sfutest.VerifyTestMain(m)
}

// testServer is a whole SFU with its signaling, on loopback.
type testServer struct {
	wsURL   string
	manager *sfu.Manager
}

type networkConfig = sfu.NetworkConfig

func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith lets a test change the network configuration.
func startServerWith(t *testing.T, configure func(*networkConfig)) *testServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := sfu.NetworkConfig{Interfaces: []string{"lo"}}
	if configure != nil {
		configure(&cfg)
	}
	engine, err := sfu.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	manager := sfu.NewManager(engine, sfu.Limits{}, log)
	sig := signaling.NewServer(signaling.Config{Manager: manager, Logger: log})
	hs := httptest.NewServer(sig)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sig.Shutdown(ctx); err != nil {
			t.Errorf("signaling shutdown: %v", err)
		}
		manager.Close(sfu.ErrClosed)
		hs.Close()
		_ = engine.Close()
	})
	return &testServer{wsURL: "ws" + strings.TrimPrefix(hs.URL, "http"), manager: manager}
}

// join connects a publishing participant and closes it at the end of the test.
func (s *testServer) join(t *testing.T, room, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: s.wsURL, Room: room, Name: name, Publish: true})
	if err != nil {
		t.Fatalf("join %s as %s: %v", room, name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
