package client

import "time"

// Return is what a client that left with LeaveToReturn needs to come
// back as the same participant (Config.Return), as a page that reloads
// keeps it in its tab's storage.
type Return struct {
	ID, Token string
}

// LeaveToReturn leaves as a page that reloads does: it says it returns
// (leave with returning), then closes everything, the peer connections
// included. It returns what a new client needs to come back as the
// same participant within the server's return hold.
func (c *Client) LeaveToReturn() Return {
	r := Return{ID: c.ID(), Token: c.ResumeToken()}
	if c.send(map[string]any{"type": "leave", "returning": true}) == nil {
		// The server closes the socket once it has read the leave (see
		// Leave).
		select {
		case <-c.Done():
		case <-time.After(2 * time.Second):
		}
	}
	c.Close()
	return r
}

// returning reports whether the client came with Config.Return and has
// no welcome yet: the one that answers its resume starts it afresh.
func (c *Client) returning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Return != nil && c.id == ""
}
