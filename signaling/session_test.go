package signaling_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/sfutest"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

func TestMain(m *testing.M) {
	sfutest.VerifyTestMain(m)
}

type fixture struct {
	url     string
	sig     *signaling.Server
	manager *sfu.Manager
}

func start(t *testing.T) *fixture {
	t.Helper()
	return startWith(t, nil)
}

// startWith starts a server after edit, if not nil, changes its
// configuration.
func startWith(t *testing.T, edit func(*signaling.Config)) *fixture {
	t.Helper()
	return startLimited(t, sfu.Limits{}, edit)
}

// startLimited starts a server whose manager has limits.
func startLimited(t *testing.T, limits sfu.Limits, edit func(*signaling.Config)) *fixture {
	t.Helper()
	log := testLogger()
	engine, err := sfu.NewEngine(sfu.NetworkConfig{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	manager := sfu.NewManager(engine, limits, log)
	cfg := signaling.Config{Manager: manager, Logger: log}
	if edit != nil {
		edit(&cfg)
	}
	sig := signaling.NewServer(cfg)
	hs := httptest.NewServer(sig)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sig.Shutdown(ctx)
		manager.Close(sfu.ErrClosed)
		hs.Close()
		_ = engine.Close()
	})
	return &fixture{url: "ws" + strings.TrimPrefix(hs.URL, "http"), sig: sig, manager: manager}
}

func (f *fixture) dialRaw(t *testing.T, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(f.url, header)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (f *fixture) join(t *testing.T, room, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: f.url, Room: room, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// expectError reads until the server's error message and checks that the
// socket is closed right after it.
func expectError(t *testing.T, conn *websocket.Conn, code string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("socket closed without an error message (want %s): %v", code, err)
		}
		var m struct{ Type, Code, Reason string }
		_ = json.Unmarshal(data, &m)
		if m.Type != "error" {
			continue
		}
		if m.Code != code {
			t.Fatalf("error code %q (%s), want %q", m.Code, m.Reason, code)
		}
		if m.Reason == "" {
			t.Error("error without a reason")
		}
		break
	}
	if _, _, err := conn.ReadMessage(); err == nil {
		t.Fatal("socket still open after the error")
	}
}

// stillWorks checks that an unrelated session kept running.
func stillWorks(t *testing.T, c *client.Client) {
	t.Helper()
	if err := c.Send(map[string]string{"type": "ping"}); err != nil {
		t.Fatalf("bystander's session broke: %v", err)
	}
	select {
	case <-c.Done():
		t.Fatalf("bystander's session ended: %v", c.Err())
	case <-time.After(100 * time.Millisecond):
	}
}

func TestBadMessagesEndOnlyTheirSession(t *testing.T) {
	f := start(t)
	bystander := f.join(t, "council", "Ana")
	for _, tt := range []struct {
		name string
		send func(*websocket.Conn) error
		code string
	}{
		{"not JSON", func(c *websocket.Conn) error { return c.WriteMessage(websocket.TextMessage, []byte("hello")) }, signaling.CodeBadMessage},
		{"binary frame", func(c *websocket.Conn) error { return c.WriteMessage(websocket.BinaryMessage, []byte{1, 2}) }, signaling.CodeBadMessage},
		{"oversized", func(c *websocket.Conn) error {
			return c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","x":"`+strings.Repeat("a", signaling.MaxMessageBytes)+`"}`))
		}, signaling.CodeBadMessage},
		{"offer before join", func(c *websocket.Conn) error {
			return c.WriteJSON(map[string]string{"type": "offer", "pc": "up", "sdp": "v=0"})
		}, signaling.CodeBadMessage},
		{"unsupported version", func(c *websocket.Conn) error {
			return c.WriteJSON(map[string]any{"type": "join", "version": 99, "room": "council", "name": "Eve"})
		}, signaling.CodeVersion},
		{"invalid UTF-8 name", func(c *websocket.Conn) error {
			return c.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"join\",\"version\":1,\"room\":\"council\",\"name\":\"\xff\xfe\"}"))
		}, signaling.CodeBadMessage},
		{"flood", func(c *websocket.Conn) error {
			for range 400 {
				if err := c.WriteJSON(map[string]string{"type": "ping"}); err != nil {
					return nil // the server has already hung up
				}
			}
			return nil
		}, signaling.CodeRateLimit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := f.dialRaw(t, nil)
			if err := tt.send(conn); err != nil {
				t.Fatal(err)
			}
			expectError(t, conn, tt.code)
			stillWorks(t, bystander)
		})
	}
}

func TestGarbageSDPEndsTheSessionWithAReason(t *testing.T) {
	f := start(t)
	bystander := f.join(t, "council", "Ana")
	conn := f.dialRaw(t, nil)
	_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Eve"})
	_ = conn.WriteJSON(map[string]any{"type": "offer", "pc": "up", "sdp": "this is not SDP"})
	expectError(t, conn, signaling.CodeBadMessage)
	stillWorks(t, bystander)
}

func TestAnswerWithoutOfferIsRefused(t *testing.T) {
	f := start(t)
	conn := f.dialRaw(t, nil)
	_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Eve"})
	_ = conn.WriteJSON(map[string]any{"type": "answer", "pc": "down", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"})
	expectError(t, conn, signaling.CodeBadMessage)
}

func TestForeignOriginIsRefused(t *testing.T) {
	f := start(t)
	_, resp, err := websocket.DefaultDialer.Dial(f.url, http.Header{"Origin": {"http://evil.example"}})
	if err == nil {
		t.Fatal("a page from another origin opened a session")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("want 403, got %v", resp)
	}
}

func TestParticipantsSeeJoinsMuteAndLeaves(t *testing.T) {
	f := start(t)
	ana := f.join(t, "council", "Ana")
	ben := f.join(t, "council", "Ben")
	if got := ben.Participants()[ana.ID()]; got.Name != "Ana" {
		t.Fatalf("Ben's welcome lists %+v, want Ana", ben.Participants())
	}
	waitFor(t, "Ana sees Ben join", func() bool { return ana.Participants()[ben.ID()].Name == "Ben" })
	if err := ben.SetMuted(true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana sees Ben muted", func() bool { return ana.Participants()[ben.ID()].AudioMuted })
	ben.Leave()
	waitFor(t, "Ana sees Ben leave", func() bool { _, ok := ana.Participants()[ben.ID()]; return !ok })
}

// A microphone flipped as fast as messages may go costs the others a
// few messages, not one each flip, and they end with its last state.
func TestAMuteFlippedInABurstIsToldTogether(t *testing.T) {
	f := start(t)
	ana := f.join(t, "council", "Ana")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ben, err := client.Dial(ctx, client.Config{URL: f.url, Room: "council", Name: "Ben", Record: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ben.Close)
	const flips = 50
	for i := range flips {
		if err := ana.SetMuted(i%2 == 0, false); err != nil {
			t.Fatal(err)
		}
	}
	// The last flip unmutes; this mutes again, for good.
	if err := ana.SetMuted(true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben sees Ana's last state", func() bool { return ben.Participants()[ana.ID()].AudioMuted })
	time.Sleep(500 * time.Millisecond) // for any update still to come
	updates := 0
	for _, m := range ben.Recorded() {
		var u struct{ Participant sfu.ParticipantInfo }
		if m.Type == signaling.TypeParticipantUpdated && json.Unmarshal(m.Raw, &u) == nil && u.Participant.ID == ana.ID() {
			updates++
		}
	}
	if updates > 10 {
		t.Fatalf("Ben was told %d times of Ana's %d changes within a second", updates, flips+1)
	}
	if !ben.Participants()[ana.ID()].AudioMuted {
		t.Fatal("Ben does not end with Ana's last state")
	}
}

func TestShutdownTellsEveryClient(t *testing.T) {
	f := start(t)
	ana := f.join(t, "council", "Ana")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.sig.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-ana.Done()
	var em *client.ErrorMessage
	if err := ana.Err(); err == nil || !asError(err, &em) || em.Code != signaling.CodeServerShutdown {
		t.Fatalf("client saw %v, want %s", ana.Err(), signaling.CodeServerShutdown)
	}
}

func asError(err error, target **client.ErrorMessage) bool {
	e, ok := err.(*client.ErrorMessage)
	*target = e
	return ok
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWelcomeCarriesMediaSettingsAndICEServers(t *testing.T) {
	f := start(t)
	conn := f.dialRaw(t, nil)
	_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ana"})
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var welcome struct {
		Type       string         `json:"type"`
		ICEServers []any          `json:"iceServers"`
		Media      map[string]any `json:"media"`
	}
	if err := conn.ReadJSON(&welcome); err != nil {
		t.Fatal(err)
	}
	if welcome.Type != "welcome" || welcome.ICEServers == nil || welcome.Media == nil {
		t.Fatalf("welcome %+v lacks iceServers or media", welcome)
	}
}
