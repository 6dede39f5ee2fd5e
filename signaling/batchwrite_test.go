package signaling_test

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedConn counts the writes to it; past the first (the upgrade's
// answer), each waits until open is closed.
type gatedConn struct {
	net.Conn
	open   chan struct{}
	writes atomic.Int32
}

func (c *gatedConn) Write(p []byte) (int, error) {
	if c.writes.Add(1) > 1 {
		<-c.open
	}
	return c.Conn.Write(p)
}

// What is queued for a client while its socket is busy goes out in one
// write, each message its own frame: a client told of a join storm or
// a chat flurry was written each message alone, one system call each,
// the largest share of the server's CPU in BenchmarkAssemblyStorm.
func TestMessagesQueuedTogetherGoOutInOneWrite(t *testing.T) {
	f := start(t)
	var (
		mu   sync.Mutex
		gate *gatedConn
		open = make(chan struct{})
	)
	url := f.serveWrapped(t, func(c net.Conn) net.Conn {
		mu.Lock()
		defer mu.Unlock()
		gate = &gatedConn{Conn: c, open: open}
		return gate
	})
	ana := (&fixture{url: url}).dialRaw(t, nil)
	if err := ana.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ana"}); err != nil {
		t.Fatal(err)
	}
	// Ana's socket is held from her welcome on; meanwhile Ben comes and
	// chats, and Ana is sent each of his messages.
	ben := f.join(t, "council", "Ben")
	deadline := time.Now().Add(10 * time.Second)
	for len(ben.Participants()) == 0 { // Ana, once in
		if time.Now().After(deadline) {
			t.Fatal("Ben never saw Ana in the room")
		}
		time.Sleep(10 * time.Millisecond)
	}
	const chats = 10
	for i := range chats {
		must(t, ben.Chat("", fmt.Sprintf("point %d", i)))
	}
	for len(ben.ChatMessages()) < chats {
		if time.Now().After(deadline) {
			t.Fatalf("Ben got %d of his %d chat messages back", len(ben.ChatMessages()), chats)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(open)

	_ = ana.SetReadDeadline(time.Now().Add(10 * time.Second))
	messages, got := 0, 0
	for got < chats {
		var m struct{ Type string }
		if err := ana.ReadJSON(&m); err != nil {
			t.Fatalf("after %d messages, %d chat: %v", messages, got, err)
		}
		messages++
		if m.Type == "chat" {
			got++
		}
	}
	mu.Lock()
	writes := gate.writes.Load() - 1
	mu.Unlock()
	// The welcome (held), then the rest, and maybe the down offer after.
	if writes > 3 {
		t.Fatalf("Ana's %d messages took %d writes to her socket, want them together", messages, writes)
	}
	t.Logf("%d messages in %d writes", messages, writes)
}
