package signaling_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/plenum-meet/plenum/signaling"
)

// A session the server has ended (here: refused over
// --max-connections-per-ip) is gone within drainTimeout (1 s), even if
// its client never answers the close frame and sends unsolicited pongs,
// which used to put the read deadline back to 30 s each time: the
// session, its goroutines and its socket then lived as long as the
// client liked, uncounted by the per-address limit.
func TestPongsDoNotKeepARefusedSessionOpen(t *testing.T) {
	f := startWith(t, func(c *signaling.Config) { c.MaxConnectionsPerIP = 1 })
	a := f.dialRaw(t, nil)
	answersPing(t, a)
	const extra = 5
	var over []*websocket.Conn
	for range extra {
		c := f.dialRaw(t, nil)
		c.SetCloseHandler(func(int, string) error { return nil }) // never answer the close
		over = append(over, c)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for _, c := range over {
					_ = c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
				}
			}
		}
	}()
	time.Sleep(3 * time.Second) // 3x drainTimeout
	if n := f.sig.SessionCount(); n != 1 {
		t.Fatalf("%d sessions open 3 s after %d of them were refused (limit 1 per address); want 1", n, extra)
	}
}

// A participant whose session the server ends for a protocol error
// leaves the room (p.Leave runs once the read loop and drain return),
// even if its client sends pongs and never answers the close frame.
func TestPongsDoNotKeepAnEndedParticipantInTheRoom(t *testing.T) {
	f := start(t)
	conn := f.dialRaw(t, nil)
	conn.SetCloseHandler(func(int, string) error { return nil })
	send := func(m string) {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"type":"join","version":1,"room":"council","name":"Eve"}`)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var m struct{ Type string }
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("no welcome: %v", err)
		}
		if m.Type == "welcome" {
			break
		}
	}
	// Ended once its peer connections have settled: one closed while
	// pion starts it can leave an ICE agent behind (a pion race).
	time.Sleep(500 * time.Millisecond)
	send(`{"type":"chat","text":"  "}`) // refused: ends the session
	for {
		var m struct{ Type, Code string }
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("no error message: %v", err)
		}
		if m.Type == "error" {
			t.Logf("server ended the session: %s", m.Code)
			break
		}
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				_ = conn.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
			}
		}
	}()
	time.Sleep(3 * time.Second)
	if n := f.manager.Gauges().Participants; n != 0 {
		t.Fatalf("%d participant(s) still in the room 3 s after the server ended the session; want 0", n)
	}
}
