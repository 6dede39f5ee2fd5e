package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
)

// TestRequireTokenReachesTheSignalingServer checks the wiring of the
// access settings; the rules themselves are tested in package signaling.
func TestRequireTokenReachesTheSignalingServer(t *testing.T) {
	links, err := auth.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{
		Listen:  "127.0.0.1:0",
		Network: sfu.NetworkConfig{Interfaces: []string{"lo"}},
		Access:  server.Access{Links: links, RequireToken: true},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	c, err := client.Dial(dctx, client.Config{URL: wsURL(srv), Room: "council", Name: "Eve"})
	if err == nil {
		c.Close()
		t.Fatal("joined without a link on a --require-token server")
	}
	var em *client.ErrorMessage
	if !errors.As(err, &em) || em.Code != signaling.CodeTokenRequired {
		t.Fatalf("got %v, want %s", err, signaling.CodeTokenRequired)
	}
}
