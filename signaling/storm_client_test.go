//go:build unix

package signaling_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// stormClient is one member of BenchmarkAssemblyStorm's assembly: a bare
// WebSocket that joins, keeps count of what the server tells it and
// sends what it is told to. It has no peer connection.
type stormClient struct {
	conn  *websocket.Conn
	bytes atomic.Int64 // received
	done  chan struct{}

	mu     sync.Mutex
	role   string
	others int  // participants present besides itself
	queued int  // hands in the queue
	open   bool // proposal 1 is open
	voters int  // of proposal 1
	closed bool // proposal 1 is closed
	chats  int
}

// stormMessage holds the fields of the server's messages the storm
// counts.
type stormMessage struct {
	Type         string            `json:"type"`
	Role         string            `json:"role"`
	Participants []json.RawMessage `json:"participants"`
	Entries      []json.RawMessage `json:"entries"`
	Proposal     *struct {
		ID     int      `json:"id"`
		Open   bool     `json:"open"`
		Voters []string `json:"voters"`
	} `json:"proposal"`
}

// dialStorm connects to url and joins room as name, and reads what the
// server sends until the connection closes.
func dialStorm(url, room, name string) (*stormClient, error) {
	d := websocket.Dialer{HandshakeTimeout: time.Minute}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: dial: %w", name, err)
	}
	c := &stormClient{conn: conn, done: make(chan struct{})}
	join, _ := json.Marshal(map[string]any{"type": "join", "version": 1, "room": room, "name": name})
	if err := conn.WriteMessage(websocket.TextMessage, join); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("%s: join: %w", name, err)
	}
	go c.read()
	return c, nil
}

func (c *stormClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		c.bytes.Add(int64(len(data)))
		var m stormMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		c.mu.Lock()
		c.count(&m)
		c.mu.Unlock()
	}
}

// count takes note of m. c.mu must be held.
func (c *stormClient) count(m *stormMessage) {
	switch m.Type {
	case "welcome":
		c.role, c.others = m.Role, len(m.Participants)
	case "participant-joined":
		c.others++
	case "participant-left":
		c.others--
	case "role":
		c.role = m.Role
	case "queue":
		c.queued = len(m.Entries)
	case "chat":
		c.chats++
	case "proposal":
		if p := m.Proposal; p != nil && p.ID == 1 {
			c.open, c.closed, c.voters = p.Open, !p.Open, len(p.Voters)
		}
	}
}

// check reports whether cond holds of c's counts.
func (c *stormClient) check(cond func(*stormClient) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cond(c)
}

func (c *stormClient) send(b *testing.B, msg string) {
	b.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		b.Fatal(err)
	}
}

// close ends the connection and waits for the reader.
func (c *stormClient) close() {
	_ = c.conn.Close()
	<-c.done
}
