package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
)

// resumeState is what the client needs to resume its session.
type resumeState struct {
	token   string        // from the last welcome
	resumed chan struct{} // closed by the welcome that answers a resume
	count   int           // resumes accepted
}

// CutSocket closes the signaling socket abruptly, as a broken network
// would, and keeps the peer connections: the session can be resumed.
func (c *Client) CutSocket() {
	c.writeMu.Lock()
	_ = c.conn.UnderlyingConn().Close()
	c.writeMu.Unlock()
	<-c.Done()
}

// ResumeToken is the token of the last welcome ("" before any).
func (c *Client) ResumeToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resume.token
}

// Resumes is how many times the session was resumed.
func (c *Client) Resumes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resume.count
}

// Resume opens a new signaling socket after the previous one broke and
// resumes the session with the last welcome's token; token, if not "",
// is sent instead (tests of forged tokens). It returns once the server
// has welcomed the client back, or with the server's error. The peer
// connections are kept; the one that lost connectivity is restarted.
func (c *Client) Resume(ctx context.Context, token string) error {
	select {
	case <-c.Done():
	default:
		return errors.New("resume: the socket is still open")
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, c.cfg.URL, nil)
	if err != nil {
		return fmt.Errorf("dial %s: %w", c.cfg.URL, err)
	}
	closed, resumed := make(chan struct{}), make(chan struct{})
	c.writeMu.Lock()
	c.conn = conn
	c.writeMu.Unlock()
	c.mu.Lock()
	if token == "" {
		token = c.resume.token
	}
	c.closed, c.resume.resumed, c.serverErr = closed, resumed, nil
	id := c.id
	c.mu.Unlock()
	c.wg.Add(1)
	go c.readLoop(conn, closed)
	err = c.send(map[string]any{"type": "resume", "version": 1, "room": c.cfg.Room, "participant": id, "token": token})
	if err != nil {
		return err
	}
	select {
	case <-resumed:
		return nil
	case <-closed:
		if err := c.Err(); err != nil {
			return err
		}
		return errors.New("connection closed before the resume was accepted")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resumed handles the welcome that answers a resume: the room as it is
// now replaces what the client knew (the lobby too, which the server
// sends again after this welcome), and connections that lost
// connectivity restart ICE.
func (c *Client) resumed(m *serverMessage) error {
	c.mu.Lock()
	c.resume.token = m.Resume
	c.resume.count++
	c.moderation.role = m.Role
	c.moderation.lobby = nil
	c.participants = map[string]sfu.ParticipantInfo{}
	for _, p := range m.Participants {
		c.participants[p.ID] = p
	}
	up, down, done := c.up, c.down, c.resume.resumed
	c.mu.Unlock()
	if done != nil {
		close(done)
	}
	if down != nil && lostICE(down) {
		if err := c.send(map[string]any{"type": "ice-restart", "pc": sfu.Down}); err != nil {
			return err
		}
	}
	if up != nil && lostICE(up) {
		offer, err := up.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
		if err != nil {
			return err
		}
		return c.setLocalAndSend(up, sfu.Up, offer)
	}
	return nil
}

func lostICE(pc *webrtc.PeerConnection) bool {
	switch pc.ICEConnectionState() {
	case webrtc.ICEConnectionStateDisconnected, webrtc.ICEConnectionStateFailed:
		return true
	}
	return false
}
