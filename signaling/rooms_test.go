package signaling_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
)

func writeRooms(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// Another size or time, so the change shows even within one tick
	// of the file system's clock.
	later := time.Now().Add(time.Duration(len(text)) * time.Second)
	_ = os.Chtimes(path, later, later)
}

func TestRoomsFileParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rooms.conf")
	writeRooms(t, path, `
# defaults
[*]
max-participants = 50
lobby = off

[council]
password = open sesame
lobby = on
ask-to-unmute = yes
moderators = links
locked = false
`)
	f, err := signaling.OpenRoomsFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := f.RoomSettings("council")
	if c.MaxParticipants != 50 || !c.Lobby || !c.AskToUnmute || c.Locked || c.Moderation != sfu.ModerationLinks {
		t.Errorf("council: %+v", c)
	}
	if !auth.CheckPassword(c.Password, "open sesame") {
		t.Error("council's password is not the file's")
	}
	if o := f.RoomSettings("other"); o.MaxParticipants != 50 || o.Lobby || o.Password != "" || o.Moderation != "" {
		t.Errorf("other: %+v", o)
	}
	var nilFile *signaling.RoomsFile
	if s := nilFile.RoomSettings("x"); s != (sfu.RoomSettings{}) {
		t.Errorf("nil file gives %+v", s)
	}
}

func TestRoomsFileErrorsNameTheLine(t *testing.T) {
	for text, want := range map[string]string{
		"lobby = on\n":                 ":1: lobby before any [room]",
		"[council]\nlobby = maybe\n":   ":2: lobby = \"maybe\": want on or off",
		"[council]\ncolour = red\n":    ":2: unknown key \"colour\"",
		"[bad/name]\n":                 ":1:",
		"[a]\n[a]\n":                   ":2: [a] appears twice",
		"[a]\nmoderators = chair\n":    "want first or links",
		"[a]\nmax-participants = -1\n": "want a number",
		"[a]\njust words\n":            ":2: want key = value",
		"[a]\npassword = " + strings.Repeat("x", 129) + "\n": "1 to 128",
	} {
		path := filepath.Join(t.TempDir(), "rooms.conf")
		writeRooms(t, path, text)
		_, err := signaling.OpenRoomsFile(path, nil)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %v, want an error naming the file and %q", text, err, want)
		}
	}
}

func TestARefusedRoomPasswordIsNotPrinted(t *testing.T) {
	secret := "correct-horse-battery-staple-" + strings.Repeat("x", 100)
	path := filepath.Join(t.TempDir(), "rooms.conf")
	writeRooms(t, path, "[council]\npassword = "+secret+"\n")
	_, err := signaling.OpenRoomsFile(path, nil)
	if err == nil || !strings.Contains(err.Error(), ":2: password") {
		t.Fatalf("%v, want an error naming the line", err)
	}
	if strings.Contains(err.Error(), "correct-horse") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestRoomsFileSettingsApplyAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rooms.conf")
	writeRooms(t, path, "[council]\nlobby = on\nmax-participants = 2\n")
	rooms, err := signaling.OpenRoomsFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := startAccess(t, func(c *signaling.Config) { c.Rooms = rooms })
	ana := s.join(t, "council", "Ana")
	if !ana.RoomState().Lobby {
		waitFor(t, "the room starts with its lobby on", func() bool { return ana.RoomState().Lobby })
	}
	ben := s.dial(t, client.Config{Room: "council", Name: "Ben"})
	if !ben.Waiting() {
		t.Fatal("Ben was not held in the lobby")
	}
	_ = ana.Admit(ben.LobbyID())
	<-ben.Admitted()
	s.refused(t, client.Config{Room: "council", Name: "Cleo", Token: s.link(t, "council", auth.RoleModerator, "")}, signaling.CodeRoomFull)

	// A new file applies to rooms created afterwards, with no restart;
	// the meeting under way keeps its settings.
	writeRooms(t, path, "[council]\npassword = new one\n[lounge]\nlocked = on\n")
	s.refused(t, client.Config{Room: "lounge", Name: "Dan"}, signaling.CodeRoomLocked)
	if !ana.RoomState().Lobby || ana.RoomState().Password {
		t.Errorf("the running meeting changed: %+v", ana.RoomState())
	}
	// A broken file keeps the last good settings.
	writeRooms(t, path, "[lounge]\nlocked = perhaps\n")
	s.refused(t, client.Config{Room: "lounge", Name: "Dan"}, signaling.CodeRoomLocked)
}
