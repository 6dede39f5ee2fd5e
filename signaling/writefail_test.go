package signaling_test

import (
	"errors"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/signaling/client"
)

var errWriteRefused = errors.New("test: writes refused")

// writeFailingListener hands the server connections whose writes fail
// once failWrites is set, as a socket whose peer vanished would.
type writeFailingListener struct {
	net.Listener
	failWrites atomic.Bool
}

func (l *writeFailingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &writeFailingConn{Conn: c, fail: &l.failWrites}, nil
}

type writeFailingConn struct {
	net.Conn
	fail *atomic.Bool
}

func (c *writeFailingConn) Write(p []byte) (int, error) {
	if c.fail.Load() {
		return 0, errWriteRefused
	}
	return c.Conn.Write(p)
}

// serveFailingWrites serves f's signaling server on a second address
// whose connections can be made to fail their writes.
func (f *fixture) serveFailingWrites(t *testing.T) (url string, ln *writeFailingListener) {
	t.Helper()
	hs := httptest.NewUnstartedServer(f.sig)
	ln = &writeFailingListener{Listener: hs.Listener}
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http"), ln
}

// A write to a client that fails ends its session at once: others see it
// reconnecting (its resume grace started) long before the 30 s a silent
// socket is given. The client here sends nothing after its join, as one
// whose network went away.
func TestAFailedWriteStartsTheResumeGraceAtOnce(t *testing.T) {
	f := start(t)
	url, ln := f.serveFailingWrites(t)
	ana := (&fixture{url: url}).dialRaw(t, nil)
	if err := ana.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ana"}); err != nil {
		t.Fatal(err)
	}
	_ = ana.SetReadDeadline(time.Now().Add(5 * time.Second))
	var welcome struct{ Type, ID string }
	if err := ana.ReadJSON(&welcome); err != nil || welcome.Type != "welcome" {
		t.Fatalf("want a welcome, got %+v, %v", welcome, err)
	}

	ln.failWrites.Store(true)
	failedAt := time.Now()
	ben := f.join(t, "council", "Ben") // Ana is told, and that write fails

	reconnecting := client.PresenceEvent{ID: welcome.ID, State: "reconnecting"}
	const promptly = 5 * time.Second // the read timeout is 30 s
	for !slices.Contains(ben.Presence(), reconnecting) {
		if time.Since(failedAt) > promptly {
			t.Fatalf("Ben has not seen Ana reconnecting %v after her socket failed a write (saw %+v)", promptly, ben.Presence())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
