package signaling_test

import (
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var errWriteRefused = errors.New("test: writes refused")

// wrappingListener hands the server its connections as wrap makes them.
type wrappingListener struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l *wrappingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}

// serveWrapped serves f's signaling server on a second address whose
// connections the server sees as wrap makes them.
func (f *fixture) serveWrapped(t *testing.T, wrap func(net.Conn) net.Conn) (url string) {
	t.Helper()
	hs := httptest.NewUnstartedServer(f.sig)
	hs.Listener = &wrappingListener{Listener: hs.Listener, wrap: wrap}
	hs.Start()
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

// writeFailingConn is a connection whose writes fail once fail is set,
// as a socket whose peer vanished would.
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

// A write to a client that fails ends its session at once: others see it
// reconnecting (its resume grace started) long before the 30 s a silent
// socket is given. The client here sends nothing after its join, as one
// whose network went away.
func TestAFailedWriteStartsTheResumeGraceAtOnce(t *testing.T) {
	f := start(t)
	var failWrites atomic.Bool
	url := f.serveWrapped(t, func(c net.Conn) net.Conn { return &writeFailingConn{Conn: c, fail: &failWrites} })
	ana := (&fixture{url: url}).dialRaw(t, nil)
	if err := ana.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ana"}); err != nil {
		t.Fatal(err)
	}
	_ = ana.SetReadDeadline(time.Now().Add(5 * time.Second))
	var welcome struct{ Type, ID string }
	if err := ana.ReadJSON(&welcome); err != nil || welcome.Type != "welcome" {
		t.Fatalf("want a welcome, got %+v, %v", welcome, err)
	}

	failWrites.Store(true)
	failedAt := time.Now()
	ben := f.join(t, "council", "Ben") // Ana is told, and that write fails

	// The write that fails may be Ben's arrival, or one queued for Ana
	// after her welcome (the room's state, the assembly's), in which case
	// Ben's own welcome already lists her as reconnecting.
	const promptly = 5 * time.Second // the read timeout is 30 s
	for !ben.Participants()[welcome.ID].Reconnecting {
		if time.Since(failedAt) > promptly {
			t.Fatalf("Ben has not seen Ana reconnecting %v after her socket failed a write (saw %+v, %+v)", promptly, ben.Presence(), ben.Participants())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
