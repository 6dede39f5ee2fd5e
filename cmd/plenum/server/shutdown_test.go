package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

func TestGracefulShutdownTellsClientsAndEndsInBoundedTime(t *testing.T) {
	before := goleak.IgnoreCurrent()
	srv, stop := startWith(t, nil)
	ana := dialRoom(t, srv, "farewell", "Ana")
	ben := dialRoom(t, srv, "farewell", "Ben")
	waitUntil(t, 15*time.Second, "Ana and Ben receive each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, ana.ID())
	})
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := hc.Get("http://" + srv.Addr().String() + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz before shutdown: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// SIGTERM cancels Serve's context; here the test does.
	start := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(server.ShutdownTimeout + 5*time.Second):
		t.Fatalf("Serve still running %v after shutdown began (bound: %v)", time.Since(start), server.ShutdownTimeout)
	}
	t.Logf("Serve returned %v after shutdown began", time.Since(start).Round(time.Millisecond))

	for _, c := range []*client.Client{ana, ben} {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a client's connection is still open after the server stopped")
		}
		var em *client.ErrorMessage
		if err := c.Err(); !errors.As(err, &em) || em.Code != signaling.CodeServerShutdown {
			t.Errorf("client saw %v, want %s", err, signaling.CodeServerShutdown)
		}
	}

	// Nobody joins any more, and the port is free for the next Plenum.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c, err := client.Dial(ctx, client.Config{URL: wsURL(srv), Room: "farewell", Name: "Late"}); err == nil {
		c.Close()
		t.Error("a participant joined a stopped server")
	}
	ln, err := net.Listen("tcp", srv.Addr().String())
	if err != nil {
		t.Errorf("the HTTP port is still held: %v", err)
	} else {
		ln.Close()
	}

	ana.Close()
	ben.Close()
	goleak.VerifyNone(t, before)
}
