package signaling_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
)

// accessServer is a whole server with signed links, on loopback.
type accessServer struct {
	url     string
	links   *auth.Keyring
	dataDir string
	manager *sfu.Manager
}

// testLogger discards the server's log, unless the tests run verbose
// with PLENUM_TEST_LOG set: then it goes to stderr, debug included.
func testLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("PLENUM_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startAccess(t *testing.T, configure func(*signaling.Config)) *accessServer {
	t.Helper()
	log := testLogger()
	engine, err := sfu.NewEngine(sfu.NetworkConfig{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	links, err := auth.OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	manager := sfu.NewManager(engine, sfu.Limits{}, log)
	cfg := signaling.Config{Manager: manager, Logger: log, Links: links}
	if configure != nil {
		configure(&cfg)
	}
	sig := signaling.NewServer(cfg)
	hs := httptest.NewServer(sig)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sig.Shutdown(ctx)
		manager.Close(sfu.ErrClosed)
		hs.Close()
		_ = engine.Close()
	})
	return &accessServer{url: "ws" + strings.TrimPrefix(hs.URL, "http"), links: links, dataDir: dir, manager: manager}
}

// link signs a token for room and role, valid an hour.
func (s *accessServer) link(t *testing.T, room string, role string, name string) string {
	t.Helper()
	tok, err := s.links.Sign(auth.Claims{Room: room, Role: role, Name: name, Expires: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// dial joins and fails the test unless the server welcomes or lobbies.
func (s *accessServer) dial(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	c, err := s.try(cfg)
	if err != nil {
		t.Fatalf("join %s as %s: %v", cfg.Room, cfg.Name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// try joins and returns the server's refusal, if any.
func (s *accessServer) try(cfg client.Config) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg.URL = s.url
	return client.Dial(ctx, cfg)
}

// join joins room as name, publishing synthetic audio and video.
func (s *accessServer) join(t *testing.T, room, name string) *client.Client {
	t.Helper()
	return s.dial(t, client.Config{Room: room, Name: name, Publish: true})
}

// refused checks that a join is refused with code.
func (s *accessServer) refused(t *testing.T, cfg client.Config, code string) {
	t.Helper()
	c, err := s.try(cfg)
	if err == nil {
		c.Close()
		t.Fatalf("join %s as %s accepted, want %s", cfg.Room, cfg.Name, code)
	}
	var em *client.ErrorMessage
	if !errors.As(err, &em) || em.Code != code {
		t.Fatalf("join %s as %s: %v, want %s", cfg.Room, cfg.Name, err, code)
	}
	if em.Reason == "" {
		t.Errorf("%s without a reason", code)
	}
}

// endsWith waits for c's session to end with code.
func endsWith(t *testing.T, c *client.Client, code string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("session still open, want it ended with %s", code)
	}
	var em *client.ErrorMessage
	if err := c.Err(); !errors.As(err, &em) || em.Code != code {
		t.Fatalf("session ended with %v, want %s", c.Err(), code)
	}
}

func receivesMedia(c *client.Client, publisher string, kind webrtc.RTPCodecType, n uint64) bool {
	got := c.Received(publisher, kind)
	return got != nil && got.Packets() >= n
}

func receivesBoth(c *client.Client, publisher string) bool {
	return receivesMedia(c, publisher, webrtc.RTPCodecTypeAudio, 10) && receivesMedia(c, publisher, webrtc.RTPCodecTypeVideo, 10)
}

// silentSince reports whether no packet of kind from publisher reached c
// after t.
func silentSince(c *client.Client, publisher string, kind webrtc.RTPCodecType, since time.Time) bool {
	got := c.Received(publisher, kind)
	return got == nil || got.Packets() == 0 || got.Last().Before(since)
}

// stopsReceiving waits until kind from publisher has stopped reaching c
// and returns how long that took after from.
func stopsReceiving(t *testing.T, c *client.Client, publisher string, kind webrtc.RTPCodecType, from time.Time) time.Duration {
	t.Helper()
	var stopped time.Time
	waitFor(t, kind.String()+" from "+publisher+" stops", func() bool {
		got := c.Received(publisher, kind)
		if got == nil {
			stopped = from
			return true
		}
		n := got.Packets()
		time.Sleep(300 * time.Millisecond)
		if got.Packets() != n {
			return false
		}
		stopped = got.Last()
		return true
	})
	return stopped.Sub(from)
}

func boolp(b bool) *bool    { return &b }
func strp(s string) *string { return &s }

func TestFirstPersonModeratesAndModerationPassesOn(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	cleo := s.join(t, "council", "Cleo")
	if ana.Role() != sfu.RoleModerator || ben.Role() != sfu.RoleParticipant || cleo.Role() != sfu.RoleParticipant {
		t.Fatalf("roles %s %s %s, want moderator for the first only", ana.Role(), ben.Role(), cleo.Role())
	}
	if got := cleo.Participants()[ana.ID()].Role; got != sfu.RoleModerator {
		t.Fatalf("Cleo sees Ana as %q", got)
	}
	ana.Leave()
	waitFor(t, "Ben, there longest, becomes moderator", func() bool { return ben.Role() == sfu.RoleModerator })
	waitFor(t, "Cleo sees Ben moderate", func() bool { return cleo.Participants()[ben.ID()].Role == sfu.RoleModerator })
	if cleo.Role() != sfu.RoleParticipant {
		t.Errorf("Cleo became %s too", cleo.Role())
	}
	// The new moderator's powers work.
	if err := ben.ChangeRoom(client.RoomSettings{Locked: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Cleo sees the room locked", func() bool { return cleo.RoomState().Locked })
}

func TestParticipantsModeratorActionsAreRefused(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana") // moderator
	for _, tt := range []struct {
		name string
		act  func(c *client.Client) error
	}{
		{"mute someone", func(c *client.Client) error { return c.MuteParticipant(ana.ID(), true, true) }},
		{"mute all", func(c *client.Client) error { return c.MuteAll(true, false) }},
		{"remove", func(c *client.Client) error { return c.Remove(ana.ID(), true) }},
		{"make oneself moderator", func(c *client.Client) error { return c.SetRole(c.ID(), sfu.RoleModerator) }},
		{"make the moderator a viewer", func(c *client.Client) error { return c.SetRole(ana.ID(), sfu.RoleViewer) }},
		{"lock", func(c *client.Client) error { return c.ChangeRoom(client.RoomSettings{Locked: boolp(true)}) }},
		{"set a password", func(c *client.Client) error { return c.ChangeRoom(client.RoomSettings{Password: strp("mine now")}) }},
		{"admit", func(c *client.Client) error { return c.Admit("abcdef") }},
		{"deny", func(c *client.Client) error { return c.Deny("abcdef") }},
		{"allow to unmute", func(c *client.Client) error { return c.AllowUnmute(c.ID()) }},
		{"end the meeting", func(c *client.Client) error { return c.EndMeeting() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			eve := s.dial(t, client.Config{Room: "council", Name: "Eve"})
			if eve.Role() != sfu.RoleParticipant {
				t.Fatalf("Eve is %s", eve.Role())
			}
			if err := tt.act(eve); err != nil {
				t.Fatal(err)
			}
			endsWith(t, eve, signaling.CodeForbidden)
			stillWorks(t, ana)
			if ana.Role() != sfu.RoleModerator {
				t.Fatalf("Ana is now %s", ana.Role())
			}
			if st := ana.RoomState(); st.Locked || st.Password {
				t.Fatalf("room state changed: %+v", st)
			}
			if _, audio, video := ana.MutedBy(); audio || video {
				t.Fatal("Ana was muted")
			}
		})
	}
}

func TestSignedLinks(t *testing.T) {
	s := startAccess(t, nil)
	other, err := auth.OpenKeyring(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := other.Sign(auth.Claims{Room: "council", Role: auth.RoleModerator, Expires: time.Now().Add(time.Hour).Unix()})
	expired, _ := s.links.Sign(auth.Claims{Room: "council", Role: auth.RoleModerator, Expires: time.Now().Add(-time.Second).Unix()})
	good := s.link(t, "council", auth.RoleModerator, "Chair")
	payload, _, _ := strings.Cut(good, ".")
	_, mac, _ := strings.Cut(forged, ".")

	for _, tt := range []struct {
		name, room, token, code string
	}{
		{"signed by another server", "council", forged, signaling.CodeBadToken},
		{"payload with another's signature", "council", payload + "." + mac, signaling.CodeBadToken},
		{"garbage", "council", "hello", signaling.CodeBadToken},
		{"expired", "council", expired, signaling.CodeTokenExpired},
		{"for another room", "lounge", good, signaling.CodeWrongRoom},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.refused(t, client.Config{Room: tt.room, Name: "Eve", Token: tt.token}, tt.code)
		})
	}

	t.Run("valid", func(t *testing.T) {
		ana := s.join(t, "council", "Ana") // first, so moderator
		viewer := s.dial(t, client.Config{Room: "council", Name: "Vic", Token: s.link(t, "council", auth.RoleViewer, "")})
		chair := s.dial(t, client.Config{Room: "council", Name: "typed name", Token: good})
		if chair.Role() != sfu.RoleModerator || viewer.Role() != sfu.RoleViewer {
			t.Fatalf("roles %s and %s, want moderator and viewer from the links", chair.Role(), viewer.Role())
		}
		waitFor(t, "Ana sees the link's name", func() bool { return ana.Participants()[chair.ID()].Name == "Chair" })
	})

	t.Run("rotation voids links at once", func(t *testing.T) {
		tok := s.link(t, "council", auth.RoleParticipant, "")
		if err := auth.RotateKey(s.dataDir); err != nil {
			t.Fatal(err)
		}
		s.refused(t, client.Config{Room: "council", Name: "Eve", Token: tok}, signaling.CodeBadToken)
		s.dial(t, client.Config{Room: "council", Name: "Fay", Token: s.link(t, "council", auth.RoleParticipant, "")})
	})
}

func TestRequireToken(t *testing.T) {
	s := startAccess(t, func(c *signaling.Config) { c.RequireToken = true })
	s.refused(t, client.Config{Room: "council", Name: "Eve"}, signaling.CodeTokenRequired)
	// With links only, coming first makes nobody moderator.
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben", Token: s.link(t, "council", auth.RoleParticipant, "")})
	if ben.Role() != sfu.RoleParticipant {
		t.Fatalf("Ben is %s, want participant", ben.Role())
	}
	chair := s.dial(t, client.Config{Room: "council", Name: "Chair", Token: s.link(t, "council", auth.RoleModerator, "")})
	if chair.Role() != sfu.RoleModerator {
		t.Fatalf("Chair is %s", chair.Role())
	}
	chair.Leave()
	time.Sleep(200 * time.Millisecond)
	if ben.Role() != sfu.RoleParticipant {
		t.Fatalf("moderation passed on to Ben in a links-only room")
	}
}

// anaAndBen joins Ana (who moderates) and Ben to council, then has Ana
// change its settings and waits until Ben sees them (sees).
func anaAndBen(t *testing.T, s *accessServer, change client.RoomSettings, sees func(sfu.RoomState) bool) (ana, ben *client.Client) {
	t.Helper()
	ana = s.join(t, "council", "Ana")
	ben = s.join(t, "council", "Ben")
	if err := ana.ChangeRoom(change); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben sees the room's new settings", func() bool { return sees(ben.RoomState()) })
	return ana, ben
}

func TestLockedRoomRefusesNewcomers(t *testing.T) {
	s := startAccess(t, nil)
	ana, ben := anaAndBen(t, s, client.RoomSettings{Locked: boolp(true)}, func(st sfu.RoomState) bool { return st.Locked })
	s.refused(t, client.Config{Room: "council", Name: "Cleo"}, signaling.CodeRoomLocked)
	s.refused(t, client.Config{Room: "council", Name: "Cleo", Token: s.link(t, "council", auth.RoleParticipant, "")}, signaling.CodeRoomLocked)
	// A moderator's link opens a locked room.
	s.dial(t, client.Config{Room: "council", Name: "Chair", Token: s.link(t, "council", auth.RoleModerator, "")})
	stillWorks(t, ben)
	if err := ana.ChangeRoom(client.RoomSettings{Locked: boolp(false)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben sees the room unlocked", func() bool { return !ben.RoomState().Locked })
	s.dial(t, client.Config{Room: "council", Name: "Cleo"})
}

func TestLobbyHoldsNewcomerUntilAdmitted(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana sees the lobby on", func() bool { return ana.RoomState().Lobby })

	ben := s.dial(t, client.Config{Room: "council", Name: "Ben", Publish: true})
	if !ben.Waiting() || ben.LobbyID() == "" {
		t.Fatal("Ben was not told to wait")
	}
	waitFor(t, "Ana sees Ben waiting", func() bool {
		l := ana.Lobby()
		return len(l) == 1 && l[0].ID == ben.LobbyID() && l[0].Name == "Ben"
	})
	time.Sleep(700 * time.Millisecond) // time for anything to leak
	if n := len(ben.Participants()); n != 0 {
		t.Fatalf("Ben, waiting, knows of %d participants", n)
	}
	if tracks := ben.ReceivedTracks(); len(tracks) != 0 {
		t.Fatalf("Ben, waiting, receives %v", tracks)
	}
	if _, ok := ana.Participants()[ben.LobbyID()]; ok || len(ana.ReceivedTracks()) != 0 {
		t.Fatal("Ben, waiting, is in the room")
	}
	// A waiting client may only ping or leave.
	if err := ben.Send(map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}

	if err := ana.Admit(ben.LobbyID()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ben.Admitted():
	case <-time.After(5 * time.Second):
		t.Fatal("Ben was not admitted")
	}
	if ben.ID() != ben.LobbyID() || ben.Participants()[ana.ID()].Name != "Ana" {
		t.Fatalf("Ben's welcome: id %s, participants %v", ben.ID(), ben.Participants())
	}
	waitFor(t, "media flows both ways after admission", func() bool {
		return receivesBoth(ben, ana.ID()) && receivesBoth(ana, ben.ID())
	})
	waitFor(t, "the lobby is empty", func() bool { return len(ana.Lobby()) == 0 })

	// Refused, someone else's wait ends.
	cleo := s.dial(t, client.Config{Room: "council", Name: "Cleo"})
	waitFor(t, "Ana sees Cleo waiting", func() bool { return len(ana.Lobby()) == 1 })
	if err := ana.Deny(cleo.LobbyID()); err != nil {
		t.Fatal(err)
	}
	endsWith(t, cleo, signaling.CodeLobbyDenied)
	waitFor(t, "the lobby is empty again", func() bool { return len(ana.Lobby()) == 0 })

	// A moderator's link skips the lobby.
	chair := s.dial(t, client.Config{Room: "council", Name: "Chair", Token: s.link(t, "council", auth.RoleModerator, "")})
	if chair.Waiting() {
		t.Fatal("a moderator's link waits in the lobby")
	}
	// Switching the lobby off lets in whoever waits.
	dan := s.dial(t, client.Config{Room: "council", Name: "Dan"})
	waitFor(t, "Chair sees Dan waiting", func() bool { return len(chair.Lobby()) == 1 })
	if err := chair.ChangeRoom(client.RoomSettings{Lobby: boolp(false)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dan.Admitted():
	case <-time.After(5 * time.Second):
		t.Fatal("Dan was not let in when the lobby closed")
	}
}

func TestLobbyWaitsForAModeratorInLinksOnlyRooms(t *testing.T) {
	s := startAccess(t, func(c *signaling.Config) {
		c.Rooms = roomsFunc(func(string) sfu.RoomSettings {
			return sfu.RoomSettings{Lobby: true, Moderation: sfu.ModerationLinks}
		})
	})
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben"})
	if !ben.Waiting() {
		t.Fatal("Ben, first in a room with a lobby and no moderator, was let in")
	}
	chair := s.dial(t, client.Config{Room: "council", Name: "Chair", Token: s.link(t, "council", auth.RoleModerator, "")})
	waitFor(t, "the moderator who arrives sees Ben waiting", func() bool { return len(chair.Lobby()) == 1 })
	if err := chair.Admit(ben.LobbyID()); err != nil {
		t.Fatal(err)
	}
	<-ben.Admitted()
	if ben.Role() != sfu.RoleParticipant {
		t.Fatalf("Ben is %s", ben.Role())
	}
}

type roomsFunc func(string) sfu.RoomSettings

func (f roomsFunc) RoomSettings(room string) sfu.RoomSettings { return f(room) }

func TestRemovedParticipantsMediaStopsWithinASecond(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	cleo := s.join(t, "council", "Cleo")
	waitFor(t, "everybody receives Ben", func() bool { return receivesBoth(ana, ben.ID()) && receivesBoth(cleo, ben.ID()) })

	removed := time.Now()
	if err := ana.Remove(ben.ID(), true); err != nil {
		t.Fatal(err)
	}
	endsWith(t, ben, signaling.CodeRemoved)
	for _, rx := range []*client.Client{ana, cleo} {
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if d := stopsReceiving(t, rx, ben.ID(), k, removed); d > time.Second {
				t.Errorf("Ben's %s reached %s %v after the removal", k, rx.ID(), d)
			}
		}
	}
	waitFor(t, "Cleo sees Ben gone", func() bool { _, ok := cleo.Participants()[ben.ID()]; return !ok })
	// Banned: Ben came without a link, so his address is kept out (here
	// everybody's, loopback) for the rest of the meeting.
	s.refused(t, client.Config{Room: "council", Name: "Ben"}, signaling.CodeBanned)
	// Other rooms are not affected, nor are links.
	s.dial(t, client.Config{Room: "lounge", Name: "Ben"})
	s.dial(t, client.Config{Room: "council", Name: "Dan", Token: s.link(t, "council", auth.RoleParticipant, "")})
}

func TestBanByLinkKeepsOutOnlyThatLink(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	tok := s.link(t, "council", auth.RoleParticipant, "")
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben", Token: tok})
	if err := ana.Remove(ben.ID(), true); err != nil {
		t.Fatal(err)
	}
	endsWith(t, ben, signaling.CodeRemoved)
	s.refused(t, client.Config{Room: "council", Name: "Ben", Token: tok}, signaling.CodeBanned)
	s.dial(t, client.Config{Room: "council", Name: "Cleo"}) // same address, no link
}

// admit lets whoever waits as c in the lobby in, and waits for it.
func admit(t *testing.T, moderator, c *client.Client) {
	t.Helper()
	waitFor(t, "the moderator sees the newcomer waiting", func() bool {
		return slices.ContainsFunc(moderator.Lobby(), func(e sfu.LobbyEntry) bool { return e.ID == c.LobbyID() })
	})
	if err := moderator.Admit(c.LobbyID()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Admitted():
	case <-time.After(5 * time.Second):
		t.Fatal("not admitted")
	}
}

func TestABanKeepsOutThoseWaitingInTheLobby(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana") // moderator
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lobby on", func() bool { return ana.RoomState().Lobby })

	// Ben comes with a link, and waits with it from a second device too,
	// under another name.
	tok := s.link(t, "council", auth.RoleParticipant, "")
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben", Token: tok})
	admit(t, ana, ben)
	again := s.dial(t, client.Config{Room: "council", Name: "Not Ben", Token: tok})
	waitFor(t, "Ana sees the second device waiting", func() bool { return len(ana.Lobby()) == 1 })
	if err := ana.Remove(ben.ID(), true); err != nil {
		t.Fatal(err)
	}
	endsWith(t, ben, signaling.CodeRemoved)
	// Switching the lobby off lets in whoever waits, but not the banned.
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(false)}); err != nil {
		t.Fatal(err)
	}
	endsWith(t, again, signaling.CodeBanned)
	// Seen off before it is turned on again: else the "on" seen below
	// could be the first one, still shown, and Dan come in directly.
	waitFor(t, "lobby off", func() bool { return !ana.RoomState().Lobby })

	// Without a link, the address is banned: a second session from it,
	// waiting under another name, is not admitted later.
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lobby on again", func() bool { return ana.RoomState().Lobby })
	dan := s.dial(t, client.Config{Room: "council", Name: "Dan"})
	admit(t, ana, dan)
	eve := s.dial(t, client.Config{Room: "council", Name: "Eve"})
	waitFor(t, "Ana sees Eve waiting", func() bool { return len(ana.Lobby()) == 1 })
	if err := ana.Remove(dan.ID(), true); err != nil {
		t.Fatal(err)
	}
	endsWith(t, dan, signaling.CodeRemoved)
	if err := ana.Admit(eve.LobbyID()); err != nil {
		t.Fatal(err)
	}
	endsWith(t, eve, signaling.CodeBanned)
	if n := s.manager.ParticipantCount(); n != 1 {
		t.Fatalf("%d participants, want Ana alone", n)
	}
}

func TestViewerCannotPublish(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	vic := s.dial(t, client.Config{Room: "council", Name: "Vic", Publish: true, Token: s.link(t, "council", auth.RoleViewer, "")})
	if vic.Role() != sfu.RoleViewer {
		t.Fatalf("Vic is %s", vic.Role())
	}
	waitFor(t, "the viewer receives Ana", func() bool { return receivesBoth(vic, ana.ID()) })
	// A client that ignores its role and offers anyway.
	_ = vic.Publish()
	endsWith(t, vic, signaling.CodeForbidden)
	time.Sleep(300 * time.Millisecond)
	if got := ana.Received(vic.ID(), webrtc.RTPCodecTypeVideo); got != nil {
		t.Fatal("the viewer's video reached Ana")
	}
	stillWorks(t, ana)

	// A hand-written offer on a raw socket.
	conn := (&fixture{url: s.url}).dialRaw(t, nil)
	_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Vic", "token": s.link(t, "council", auth.RoleViewer, "")})
	_ = conn.WriteJSON(map[string]any{"type": "offer", "pc": "up", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n"})
	expectError(t, conn, signaling.CodeForbidden)
}

func TestModeratorMakesAParticipantViewerAndBack(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	waitFor(t, "Ana receives Ben", func() bool { return receivesBoth(ana, ben.ID()) })
	demoted := time.Now()
	if err := ana.SetRole(ben.ID(), sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben is told he is a viewer", func() bool { return ben.Role() == sfu.RoleViewer })
	if d := stopsReceiving(t, ana, ben.ID(), webrtc.RTPCodecTypeVideo, demoted); d > time.Second {
		t.Errorf("the viewer's video still reached Ana %v later", d)
	}
	stillWorks(t, ben) // a viewer keeps receiving
	if err := ana.SetRole(ben.ID(), sfu.RoleModerator); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben is moderator", func() bool { return ben.Role() == sfu.RoleModerator })
	waitFor(t, "Ana sees Ben moderate", func() bool { return ana.Participants()[ben.ID()].Role == sfu.RoleModerator })
}

func TestModeratorMuteIsEnforcedByTheServer(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	cleo := s.join(t, "council", "Cleo")
	waitFor(t, "Cleo receives Ben", func() bool { return receivesBoth(cleo, ben.ID()) })

	muted := time.Now()
	if err := ana.MuteParticipant(ben.ID(), true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben is told who muted him", func() bool { by, audio, video := ben.MutedBy(); return by == ana.ID() && audio && !video })
	waitFor(t, "Cleo sees Ben muted", func() bool { return cleo.Participants()[ben.ID()].AudioMuted })
	// Ben's client ignores it and keeps sending: the server holds it.
	if d := stopsReceiving(t, cleo, ben.ID(), webrtc.RTPCodecTypeAudio, muted); d > time.Second {
		t.Errorf("Ben's audio reached Cleo %v after the mute", d)
	}
	video := cleo.Received(ben.ID(), webrtc.RTPCodecTypeVideo).Packets()
	waitFor(t, "Ben's video still flows", func() bool {
		return cleo.Received(ben.ID(), webrtc.RTPCodecTypeVideo).Packets() > video+10
	})

	// Without ask-to-unmute, Ben may unmute himself.
	unmuted := time.Now()
	if err := ben.SetMuted(false, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben's audio is back", func() bool {
		return !silentSince(cleo, ben.ID(), webrtc.RTPCodecTypeAudio, unmuted.Add(200*time.Millisecond))
	})
	waitFor(t, "Cleo sees Ben unmuted", func() bool { return !cleo.Participants()[ben.ID()].AudioMuted })

	// Mute all spares the moderators.
	if err := ana.MuteAll(true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben and Cleo are muted", func() bool {
		_, b, _ := ben.MutedBy()
		_, c, _ := cleo.MutedBy()
		return b && c
	})
	if _, a, _ := ana.MutedBy(); a {
		t.Error("mute all muted the moderator")
	}
}

func TestAskToUnmute(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	cleo := s.join(t, "council", "Cleo")
	waitFor(t, "Cleo receives Ben", func() bool { return receivesBoth(cleo, ben.ID()) })
	if err := ana.ChangeRoom(client.RoomSettings{AskToUnmute: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben sees ask-to-unmute", func() bool { return ben.RoomState().AskToUnmute })
	if err := ana.MuteParticipant(ben.ID(), true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben is muted", func() bool { _, a, _ := ben.MutedBy(); return a })
	muted := time.Now()

	// Ben cannot unmute himself: the server keeps him muted for everybody.
	if err := ben.SetMuted(false, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if !silentSince(cleo, ben.ID(), webrtc.RTPCodecTypeAudio, muted.Add(500*time.Millisecond)) {
		t.Fatal("Ben unmuted himself in an ask-to-unmute room")
	}
	if !cleo.Participants()[ben.ID()].AudioMuted {
		t.Fatal("Cleo sees Ben unmuted")
	}
	stillWorks(t, ben)

	if err := ben.AskToUnmute(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana hears Ben ask", func() bool { r := ana.UnmuteRequests(); return len(r) == 1 && r[0] == ben.ID() })
	if cleo.UnmuteRequests() != nil {
		t.Error("a participant was told of the request")
	}
	if err := ana.AllowUnmute(ben.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben may unmute", func() bool { return ben.UnmuteAllowedCount() == 1 })
	allowed := time.Now()
	if err := ben.SetMuted(false, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben's audio is back", func() bool {
		return !silentSince(cleo, ben.ID(), webrtc.RTPCodecTypeAudio, allowed.Add(200*time.Millisecond))
	})
	waitFor(t, "Cleo sees Ben unmuted", func() bool { return !cleo.Participants()[ben.ID()].AudioMuted })
}

// A moderator's leave to unmute, given while the participant's client
// is away, reaches it when it resumes: otherwise, still thinking itself
// held in an ask-to-unmute room, it would ask for what it has, and its
// request, from someone no longer held, would go to nobody.
// refusedPastTheBurst waits until at least n of the requests c sent at
// once were refused, checks that every refusal is a rate-limit of
// request, and that c's session goes on.
func refusedPastTheBurst(t *testing.T, c *client.Client, request string, n int) {
	t.Helper()
	waitFor(t, "the "+request+" past the burst are refused", func() bool { return len(c.Refusals()) >= n })
	for _, r := range c.Refusals() {
		if r.Code != signaling.CodeRateLimit || r.Request != request {
			t.Fatalf("refusal %+v, want rate-limit of %s", r, request)
		}
	}
	stillWorks(t, c)
}

func TestRequestsToUnmuteAreLimitedButTheSessionGoesOn(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana") // moderator
	ben := s.join(t, "council", "Ben")
	if err := ana.MuteParticipant(ben.ID(), true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben is muted", func() bool { _, audio, _ := ben.MutedBy(); return audio })
	const sent = 20
	for range sent {
		if err := ben.AskToUnmute(); err != nil {
			t.Fatal(err)
		}
	}
	// Two in a row reach the moderators, then one every five seconds.
	refusedPastTheBurst(t, ben, signaling.TypeAskUnmute, sent-3)
	waitFor(t, "the moderator is asked", func() bool { return len(ana.UnmuteRequests()) >= 2 })
	time.Sleep(300 * time.Millisecond) // for any request still on its way
	if n := len(ana.UnmuteRequests()); n > 3 {
		t.Fatalf("the moderator was asked %d times of %d sent at once", n, sent)
	}
}

func TestAnUnmuteAllowedWhileAwayIsToldOnResuming(t *testing.T) {
	s := startAccess(t, nil)
	ana, ben := anaAndBen(t, s, client.RoomSettings{AskToUnmute: boolp(true)}, func(st sfu.RoomState) bool { return st.AskToUnmute })
	if err := ana.MuteParticipant(ben.ID(), true, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben is muted", func() bool { _, a, _ := ben.MutedBy(); return a })

	ben.CutSocket()
	waitFor(t, "Ana sees Ben reconnecting", func() bool { return reconnecting(ana, ben.ID()) })
	if err := ana.AllowUnmute(ben.ID()); err != nil {
		t.Fatal(err)
	}
	if err := ana.Ping(); err != nil { // the server has let Ben unmute
		t.Fatal(err)
	}
	if err := resume(ben, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben learns he may unmute", func() bool { return ben.UnmuteAllowedCount() == 1 })
	if _, audio, _ := ben.MutedBy(); audio {
		t.Error("Ben still thinks himself muted by a moderator")
	}
}

func TestRoomPassword(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	if err := ana.ChangeRoom(client.RoomSettings{Password: strp("open sesame")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana sees the password set", func() bool { return ana.RoomState().Password })
	s.refused(t, client.Config{Room: "council", Name: "Ben"}, signaling.CodePasswordRequired)
	s.refused(t, client.Config{Room: "council", Name: "Ben", Password: "open sesame!"}, signaling.CodeWrongPassword)
	s.dial(t, client.Config{Room: "council", Name: "Ben", Password: "open sesame"})
	// A link needs no password.
	s.dial(t, client.Config{Room: "council", Name: "Cleo", Token: s.link(t, "council", auth.RoleParticipant, "")})

	if err := ana.ChangeRoom(client.RoomSettings{Password: strp("")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana sees the password removed", func() bool { return !ana.RoomState().Password })
	s.dial(t, client.Config{Room: "council", Name: "Dan"})
}

func TestLinkSetsTheRoomPassword(t *testing.T) {
	s := startAccess(t, nil)
	hash, err := auth.HashPassword("hunter2 hunter2")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.links.Sign(auth.Claims{Room: "council", Role: auth.RoleModerator, Expires: time.Now().Add(time.Hour).Unix(), Password: hash})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tok, "hunter2") {
		t.Fatal("the link shows the password")
	}
	chair := s.dial(t, client.Config{Room: "council", Name: "Chair", Token: tok})
	if !chair.RoomState().Password {
		waitFor(t, "the room has a password", func() bool { return chair.RoomState().Password })
	}
	s.refused(t, client.Config{Room: "council", Name: "Ben"}, signaling.CodePasswordRequired)
	s.dial(t, client.Config{Room: "council", Name: "Ben", Password: "hunter2 hunter2"})
	// A new password is the room's; the link, which needs none, still
	// opens it (a password never bound a link: rotate-key voids links).
	for _, pw := range []string{"", "a new one"} { // each change seen in the room's state
		if err := chair.ChangeRoom(client.RoomSettings{Password: strp(pw)}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the password changed", func() bool { return chair.RoomState().Password == (pw != "") })
	}
	s.refused(t, client.Config{Room: "council", Name: "Eve", Password: "hunter2 hunter2"}, signaling.CodeWrongPassword)
	if cleo := s.dial(t, client.Config{Room: "council", Name: "Cleo", Token: tok}); cleo.Role() != sfu.RoleModerator {
		t.Fatalf("the link's second holder is %s", cleo.Role())
	}
}

func TestWrongPasswordsAreThrottled(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	if err := ana.ChangeRoom(client.RoomSettings{Password: strp("right")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "password set", func() bool { return ana.RoomState().Password })
	// Ten wrong guesses pass (and one more every 3 s, which a slow
	// machine may reach), then guessing stops, the right password too.
	wrong := 0
	for ; wrong < 20; wrong++ {
		_, err := s.try(client.Config{Room: "council", Name: "Eve", Password: "wrong"})
		var em *client.ErrorMessage
		if !errors.As(err, &em) {
			t.Fatalf("wrong password: %v", err)
		}
		if em.Code == signaling.CodeRateLimit {
			break
		}
		if em.Code != signaling.CodeWrongPassword {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if wrong < 10 || wrong == 20 {
		t.Fatalf("%d wrong passwords before rate-limit, want 10 (or a few more)", wrong)
	}
	s.refused(t, client.Config{Room: "council", Name: "Eve", Password: "right"}, signaling.CodeRateLimit)
}

func TestEndMeetingEndsEverySession(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	bystander := s.join(t, "lounge", "Zoe")
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lobby on", func() bool { return ana.RoomState().Lobby })
	cleo := s.dial(t, client.Config{Room: "council", Name: "Cleo"})
	waitFor(t, "Cleo waits", func() bool { return len(ana.Lobby()) == 1 })
	if err := ana.EndMeeting(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{ana, ben, cleo} {
		endsWith(t, c, signaling.CodeMeetingEnded)
	}
	stillWorks(t, bystander)
	waitFor(t, "the room is gone", func() bool { return s.manager.RoomCount() == 1 })
	// The name is free for a new meeting, without the old one's settings.
	dan := s.dial(t, client.Config{Room: "council", Name: "Dan"})
	if dan.Waiting() || dan.Role() != sfu.RoleModerator {
		t.Fatalf("Dan in a new meeting: waiting %v, role %s", dan.Waiting(), dan.Role())
	}
}

func TestWaitersAreToldWhenEverybodyLeaves(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lobby on", func() bool { return ana.RoomState().Lobby })
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben"})
	waitFor(t, "Ben waits", func() bool { return len(ana.Lobby()) == 1 })
	ana.Leave()
	endsWith(t, ben, signaling.CodeMeetingEnded)
	waitFor(t, "no room left", func() bool { return s.manager.RoomCount() == 0 })
}

func TestWaiterWhoLeavesLeavesTheLobby(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lobby on", func() bool { return ana.RoomState().Lobby })
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben"})
	waitFor(t, "Ben waits", func() bool { return len(ana.Lobby()) == 1 })
	ben.Vanish()
	waitFor(t, "Ben is gone from the lobby", func() bool { return len(ana.Lobby()) == 0 })
	if err := ana.Admit(ben.LobbyID()); err != nil { // too late: nothing happens
		t.Fatal(err)
	}
	stillWorks(t, ana)
	if n := s.manager.ParticipantCount(); n != 1 {
		t.Fatalf("%d participants", n)
	}
}

func TestPasswordChangesAreLimitedButTheSessionGoesOn(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana") // moderator
	const sent = 10
	for i := range sent {
		if err := ana.ChangeRoom(client.RoomSettings{Password: strp(fmt.Sprintf("secret %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	// Three in a row are hashed, then one every five seconds.
	refusedPastTheBurst(t, ana, signaling.TypeRoomSettings, sent-4)
	if !ana.RoomState().Password {
		t.Fatal("the changes let through set no password")
	}
}

func TestAModeratorSteppingDownHandsOn(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana") // moderator
	ben := s.join(t, "council", "Ben")
	if err := ana.SetRole(ana.ID(), sfu.RoleParticipant); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana steps down", func() bool { return ana.Role() == sfu.RoleParticipant })
	waitFor(t, "Ben, there longest after her, moderates", func() bool { return ben.Role() == sfu.RoleModerator })
	// So a newcomer does not moderate, as one would in a room nobody
	// moderates.
	dan := s.join(t, "council", "Dan")
	if dan.Role() != sfu.RoleParticipant {
		t.Fatalf("a newcomer after the moderator stepped down is %s", dan.Role())
	}
	if ana.Role() != sfu.RoleParticipant {
		t.Fatalf("Ana is %s again", ana.Role())
	}
}

// A guesser on one address, at full rate, keeps nobody else out: its
// wrong passwords are counted against its address, not only the room.
func TestAGuesserKeepsNobodyWhoKnowsThePasswordOut(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	if err := ana.ChangeRoom(client.RoomSettings{Password: strp("right")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "password set", func() bool { return ana.RoomState().Password })
	// tryFrom joins from ip with password and returns the welcome's
	// participant id, or the error's code.
	tryFrom := func(ip, password string) (id, code string) {
		conn := mustDialFrom(t, s.url, ip)
		defer conn.Close()
		if err := conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ben", "password": password}); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			var m struct{ Type, Code, ID string }
			if err := conn.ReadJSON(&m); err != nil {
				t.Fatalf("join from %s: %v", ip, err)
			}
			switch m.Type {
			case "welcome":
				return m.ID, ""
			case "error":
				return "", m.Code
			}
		}
	}
	// The guesser goes on until refused, and stays refused.
	for wrong := 0; ; wrong++ {
		if _, code := tryFrom("127.0.0.2", "wrong"); code == signaling.CodeRateLimit {
			break
		} else if code != signaling.CodeWrongPassword || wrong == 20 {
			t.Fatalf("wrong guess %d from the guesser: %q", wrong, code)
		}
	}
	if _, code := tryFrom("127.0.0.2", "right"); code != signaling.CodeRateLimit {
		t.Fatalf("the guesser, past its bound, got %q, want %s", code, signaling.CodeRateLimit)
	}
	// Somebody else mistypes, then comes in.
	if _, code := tryFrom("127.0.0.3", "rigth"); code != signaling.CodeWrongPassword {
		t.Fatalf("a mistyped password from another address got %q, want %s", code, signaling.CodeWrongPassword)
	}
	id, code := tryFrom("127.0.0.3", "right")
	if id == "" {
		t.Fatalf("the right password from another address got %q, want a welcome", code)
	}
}
