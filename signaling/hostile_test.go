package signaling_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// Hostile clients: each abuse gets a clear error, and a well-behaved
// meeting in another room keeps its media flowing meanwhile. Abusers
// connect from other loopback addresses (127.0.0.2 and up) than the
// bystanders (127.0.0.1), so that per-address limits meet only them.

// bystanders are two publishers in a room of their own.
type bystanders struct{ ana, ben *client.Client }

func startBystanders(t *testing.T, s *accessServer) *bystanders {
	t.Helper()
	b := &bystanders{ana: s.join(t, "quiet", "Ana"), ben: s.join(t, "quiet", "Ben")}
	waitLong(t, "bystanders receive each other", func() bool {
		return receivesBoth(b.ana, b.ben.ID()) && receivesBoth(b.ben, b.ana.ID())
	})
	return b
}

// stillReceive checks that both bystanders are in session and that new
// audio and video packets keep reaching each of them.
func (b *bystanders) stillReceive(t *testing.T) {
	t.Helper()
	for _, pair := range [][2]*client.Client{{b.ana, b.ben}, {b.ben, b.ana}} {
		to, from := pair[0], pair[1]
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			before := to.Received(from.ID(), kind).Packets()
			waitLong(t, fmt.Sprintf("%s still receives %s", kind, "media"), func() bool {
				return to.Received(from.ID(), kind).Packets() >= before+10
			})
		}
		select {
		case <-to.Done():
			t.Fatalf("bystander's session ended: %v", to.Err())
		default:
		}
	}
}

// waitLong is waitFor with room for a loaded machine.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dialFrom opens a raw socket from a given loopback address.
func dialFrom(url, ip string, header http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext,
		HandshakeTimeout: 10 * time.Second,
	}
	return d.Dial(url, header)
}

func mustDialFrom(t *testing.T, url, ip string) *websocket.Conn {
	t.Helper()
	conn, _, err := dialFrom(url, ip, nil)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// answersPing checks that a raw socket's session is alive.
func answersPing(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	if err := conn.WriteJSON(map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m struct{ Type, Code, Reason string }
	if err := conn.ReadJSON(&m); err != nil || m.Type != "pong" {
		t.Fatalf("want pong, got %+v, %v", m, err)
	}
}

// expectErrorLike is expectError that also checks the reason.
func expectErrorLike(t *testing.T, conn *websocket.Conn, code, reason string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		var m struct{ Type, Code, Reason string }
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("socket closed without an error message (want %s): %v", code, err)
		}
		if m.Type != "error" {
			continue
		}
		if m.Code != code || !strings.Contains(m.Reason, reason) {
			t.Fatalf("error %q (%s), want %q with %q", m.Code, m.Reason, code, reason)
		}
		return
	}
}

func TestConnectionsPerAddressAreLimited(t *testing.T) {
	const limit = 4
	s := startAccess(t, func(c *signaling.Config) { c.MaxConnectionsPerIP = limit })
	b := startBystanders(t, s)
	var conns []*websocket.Conn
	for range limit {
		conn := mustDialFrom(t, s.url, "127.0.0.2")
		answersPing(t, conn)
		conns = append(conns, conn)
	}
	over := mustDialFrom(t, s.url, "127.0.0.2")
	expectErrorLike(t, over, signaling.CodeRateLimit, "connections from your address")
	answersPing(t, mustDialFrom(t, s.url, "127.0.0.3")) // another address is not counted

	_ = conns[0].Close()
	waitLong(t, "a closed connection frees its place", func() bool {
		conn, _, err := dialFrom(s.url, "127.0.0.2", nil)
		if err != nil {
			return false
		}
		defer conn.Close()
		_ = conn.WriteJSON(map[string]string{"type": "ping"})
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var m struct{ Type string }
		return conn.ReadJSON(&m) == nil && m.Type == "pong"
	})
	b.stillReceive(t)
}

// rawWelcome reads a raw socket's messages up to its welcome.
func rawWelcome(t *testing.T, conn *websocket.Conn) (id, token string, resumed bool) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		var m struct {
			Type, Code, Reason, ID, Resume string
			Resumed                        bool
		}
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("no welcome: %v", err)
		}
		switch m.Type {
		case "welcome":
			return m.ID, m.Resume, m.Resumed
		case "error":
			t.Fatalf("error %s (%s), want a welcome", m.Code, m.Reason)
		}
	}
}

// A participant whose socket broke is kept for a resume with its peer
// connection and its place in the room: it counts against its address
// as a connection does until it resumes or leaves. Otherwise one
// address could join, cut its socket and join again, each time leaving
// a participant kept for the grace, and hold hundreds of them within
// its message budget whatever the limit on connections. A resume brings
// nobody new and is let in.
func TestParticipantsKeptForAResumeCountAgainstTheirAddress(t *testing.T) {
	const limit = 2
	s := startAccess(t, func(c *signaling.Config) { c.MaxConnectionsPerIP = limit })
	ana := s.dial(t, client.Config{Room: "council", Name: "Ana"}) // moderates
	join := func() *websocket.Conn {
		conn := mustDialFrom(t, s.url, "127.0.0.2")
		if err := conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Eve"}); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	var ids, tokens []string
	for range limit {
		conn := join()
		id, token, _ := rawWelcome(t, conn)
		ids, tokens = append(ids, id), append(tokens, token)
		_ = conn.NetConn().Close() // gone without a word: kept for a resume
		waitLong(t, "Ana sees Eve reconnecting", func() bool { return reconnecting(ana, id) })
	}

	refused := join()
	expectErrorLike(t, refused, signaling.CodeRateLimit, "kept for a resume")
	_ = refused.Close()

	back := mustDialFrom(t, s.url, "127.0.0.2")
	if err := back.WriteJSON(map[string]any{"type": "resume", "version": 1, "room": "council", "participant": ids[0], "token": tokens[0]}); err != nil {
		t.Fatal(err)
	}
	if id, _, resumed := rawWelcome(t, back); id != ids[0] || !resumed {
		t.Fatalf("resume welcomed %s (resumed %v), want %s back", id, resumed, ids[0])
	}
	expectErrorLike(t, join(), signaling.CodeRateLimit, "from your address")

	// The one still away leaves (removed): its place is free again.
	if err := ana.Remove(ids[1], false); err != nil {
		t.Fatal(err)
	}
	waitLong(t, "a kept participant who left frees its place", func() bool {
		conn := join()
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var m struct{ Type string }
			if conn.ReadJSON(&m) != nil || m.Type == "error" {
				return false
			}
			if m.Type == "welcome" {
				return true
			}
		}
	})
}

func TestMessagesPerAddressAreLimited(t *testing.T) {
	// Each connection stays under its own limit (burst 200); together
	// they exceed the address's (burst 10 x 20).
	s := startAccess(t, func(c *signaling.Config) { c.MessagesPerIP = 20 })
	b := startBystanders(t, s)
	var conns []*websocket.Conn
	for range 4 {
		conns = append(conns, mustDialFrom(t, s.url, "127.0.0.4"))
	}
	refused := make(chan string, len(conns))
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() {
			for range 150 {
				if conn.WriteJSON(map[string]string{"type": "ping"}) != nil {
					break
				}
			}
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			for pongs := 0; pongs < 150; {
				var m struct{ Type, Code, Reason string }
				if conn.ReadJSON(&m) != nil {
					return
				}
				if m.Type == "pong" {
					pongs++
				}
				if m.Type == "error" {
					refused <- m.Code + ": " + m.Reason
					return
				}
			}
		})
	}
	wg.Wait()
	close(refused)
	n := 0
	for r := range refused {
		if !strings.HasPrefix(r, signaling.CodeRateLimit+":") || !strings.Contains(r, "from your address") {
			t.Errorf("unexpected error %q", r)
		}
		n++
	}
	if n == 0 {
		t.Fatal("600 messages from one address in a burst were all accepted")
	}
	answersPing(t, mustDialFrom(t, s.url, "127.0.0.5"))
	b.stillReceive(t)
}

func TestMessageBytesPerAddressAreLimited(t *testing.T) {
	// 16 messages of 16 KiB: far under every count limit, but 256 KiB
	// from one address, four times its byte burst (64 KiB, the least it
	// may be, at 4 KiB a second).
	s := startAccess(t, func(c *signaling.Config) { c.MessageBytesPerIP = 4 << 10 })
	b := startBystanders(t, s)
	conn := mustDialFrom(t, s.url, "127.0.0.4")
	pad := strings.Repeat("x", 16<<10)
	for range 16 {
		if conn.WriteJSON(map[string]string{"type": "ping", "pad": pad}) != nil {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	refused := ""
	for pongs := 0; pongs < 16 && refused == ""; {
		var m struct{ Type, Code, Reason string }
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("after %d pongs: %v, want a rate-limit error", pongs, err)
		}
		switch m.Type {
		case "pong":
			pongs++
		case "error":
			refused = m.Code + ": " + m.Reason
		}
	}
	if refused == "" {
		t.Fatal("256 KiB from one address in a burst were all accepted")
	}
	if !strings.HasPrefix(refused, signaling.CodeRateLimit+":") || !strings.Contains(refused, "bytes") || !strings.Contains(refused, "from your address") {
		t.Errorf("unexpected error %q", refused)
	}
	answersPing(t, mustDialFrom(t, s.url, "127.0.0.5"))
	b.stillReceive(t)
}

func TestSlowClientsAreCutOff(t *testing.T) {
	defer signaling.SetClientDeadlines(3*time.Second, time.Second)()
	s := startAccess(t, nil)
	b := startBystanders(t, s)

	t.Run("a message that never completes", func(t *testing.T) {
		conn := mustDialFrom(t, s.url, "127.0.0.6")
		w, err := conn.NextWriter(websocket.TextMessage)
		if err != nil {
			t.Fatal(err)
		}
		// More than the write buffer: a first frame goes out without its
		// end, and the rest never follows (pongs still answered by the
		// reader below).
		if _, err := w.Write([]byte(`{"type":"ping","pad":"` + strings.Repeat("x", 8000))); err != nil {
			t.Fatal(err)
		}
		expectErrorLike(t, conn, signaling.CodeBadMessage, "not complete within")
	})
	t.Run("a socket that never joins", func(t *testing.T) {
		conn := mustDialFrom(t, s.url, "127.0.0.6")
		expectErrorLike(t, conn, signaling.CodeBadMessage, "no join within")
	})
	b.stillReceive(t)
}

// sdpWith builds a session description with sections media sections of
// formats payload types and rids simulcast rids each.
func sdpWith(sections, formats, rids int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 %s\r\na=setup:actpass\r\n",
		strings.TrimSuffix(strings.Repeat("AB:", 32), ":"))
	for i := range sections {
		pts := make([]string, formats)
		for j := range pts {
			pts[j] = fmt.Sprint(96 + j%32)
		}
		fmt.Fprintf(&sb, "m=video 9 UDP/TLS/RTP/SAVPF %s\r\na=mid:%d\r\n", strings.Join(pts, " "), i)
		for r := range rids {
			fmt.Fprintf(&sb, "a=rid:r%d send\r\n", r)
		}
	}
	return sb.String()
}

func TestAbsurdOffersAreRefusedWithAReason(t *testing.T) {
	s := startAccess(t, nil)
	b := startBystanders(t, s)
	for _, tt := range []struct {
		name, sdp, reason string
	}{
		{"hundreds of media sections", sdpWith(300, 1, 0), "media sections exceed"},
		{"hundreds of payload types", sdpWith(1, 500, 0), "payload types exceed"},
		{"dozens of simulcast rids", sdpWith(1, 1, 40), "rids exceed"},
		{"a port beyond 65535", strings.Replace(sdpWith(1, 1, 0), "m=video 9 ", "m=video 99999999999 ", 1), "does not parse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := mustDialFrom(t, s.url, "127.0.0.7")
			_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Eve"})
			_ = conn.WriteJSON(map[string]any{"type": "offer", "pc": "up", "sdp": tt.sdp})
			expectErrorLike(t, conn, signaling.CodeBadMessage, tt.reason)
		})
	}
	b.stillReceive(t)
}

func TestOriginMustMatchSchemeAndHost(t *testing.T) {
	s := startAccess(t, func(c *signaling.Config) {
		c.AllowedOrigins = []string{"https://app.example.org"}
	})
	own := "http" + strings.TrimPrefix(s.url, "ws")
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{own, true},
		{"", true}, // not a browser
		{strings.Replace(own, "http://", "https://", 1), false},
		{"http://evil.example", false},
		{"https://app.example.org", true},
		{"https://app.example.org:443", true},
		{"http://app.example.org", false},
		{"https://app.example.org.evil.example", false},
		{"null", false},
	} {
		header := http.Header{}
		if tt.origin != "" {
			header.Set("Origin", tt.origin)
		}
		conn, resp, err := dialFrom(s.url, "127.0.0.8", header)
		if conn != nil {
			_ = conn.Close()
		}
		switch {
		case tt.ok && err != nil:
			t.Errorf("Origin %q refused: %v", tt.origin, err)
		case !tt.ok && err == nil:
			t.Errorf("Origin %q accepted", tt.origin)
		case !tt.ok && (resp == nil || resp.StatusCode != http.StatusForbidden):
			t.Errorf("Origin %q: want 403, got %v", tt.origin, resp)
		}
	}
}

func TestInvalidTextIsRefusedWithAReason(t *testing.T) {
	s := startAccess(t, nil)
	b := startBystanders(t, s)
	for _, tt := range []struct{ name, raw string }{
		{"invalid UTF-8 in a name", "{\"type\":\"join\",\"version\":1,\"room\":\"council\",\"name\":\"Eve\xc3\x28\"}"},
		{"a lone surrogate in a name", `{"type":"join","version":1,"room":"council","name":"Eve\ud800"}`},
		{"invalid UTF-8 in a room", "{\"type\":\"join\",\"version\":1,\"room\":\"co\xffuncil\",\"name\":\"Eve\"}"},
		{"invalid UTF-8 in a password", "{\"type\":\"join\",\"version\":1,\"room\":\"council\",\"name\":\"Eve\",\"password\":\"\xfe\"}"},
		{"control characters in a name", `{"type":"join","version":1,"room":"council","name":"Eve\u0000\u001b[31m"}`},
		{"a right-to-left override in a name", `{"type":"join","version":1,"room":"council","name":"Eve\u202Enimda"}`},
		{"only zero-width spaces in a name", `{"type":"join","version":1,"room":"council","name":"\u200b\u200b"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := mustDialFrom(t, s.url, "127.0.0.9")
			_ = conn.WriteMessage(websocket.TextMessage, []byte(tt.raw))
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			for {
				var m struct{ Type, Code, Reason string }
				if err := conn.ReadJSON(&m); err != nil {
					t.Fatalf("socket closed without an error: %v", err)
				}
				if m.Type == "welcome" {
					t.Fatal("joined with invalid text")
				}
				if m.Type == "error" {
					if m.Reason == "" || (m.Code != signaling.CodeBadMessage && m.Code != signaling.CodeBadName && m.Code != signaling.CodeBadRoom) {
						t.Fatalf("error %q (%s)", m.Code, m.Reason)
					}
					return
				}
			}
		})
	}
	b.stillReceive(t)
}

// TestManyAbusersAtOnce runs floods, oversized messages and connection
// storms from several addresses together while a meeting goes on.
func TestManyAbusersAtOnce(t *testing.T) {
	s := startAccess(t, func(c *signaling.Config) { c.MaxConnectionsPerIP = 8; c.MessagesPerIP = 100 })
	b := startBystanders(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 6 {
		ip := fmt.Sprintf("127.0.1.%d", i+1)
		wg.Go(func() {
			for ctx.Err() == nil {
				var conns []*websocket.Conn
				for range 12 {
					if conn, _, err := dialFrom(s.url, ip, nil); err == nil {
						conns = append(conns, conn)
					}
				}
				for j, conn := range conns {
					switch j % 3 {
					case 0:
						for range 300 {
							if conn.WriteJSON(map[string]string{"type": "ping"}) != nil {
								break
							}
						}
					case 1:
						_ = conn.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("{", signaling.MaxMessageBytes+10)))
					case 2:
						_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"join","version":1,"room":"council","name":"Eve"}`))
					}
				}
				for _, conn := range conns {
					_ = conn.Close()
				}
			}
		})
	}
	time.Sleep(3 * time.Second)
	b.stillReceive(t)
	cancel()
	wg.Wait()
	b.stillReceive(t)
}
