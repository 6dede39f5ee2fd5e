package signaling

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/auth"
)

// RoomsFile holds the settings rooms start with, from a file the admin
// writes (plenum serve --rooms FILE):
//
//	# Settings rooms start with. [*] is every room; a named room
//	# starts from [*] and changes what it lists.
//	[*]
//	max-participants = 50
//
//	[council]
//	password = open sesame
//	lobby = on
//	ask-to-unmute = on
//	moderators = links
//
// Keys: password (a room password, 1-128 characters), max-participants
// (0: the server's limit), locked, lobby, ask-to-unmute (on/off,
// true/false, yes/no) and moderators (first: the first comer, then
// whoever has been there longest; links: holders of moderator links
// only). Lines starting with # are comments.
//
// The file is read again when it changes: new settings apply to rooms
// created afterwards; a meeting under way keeps its own (its moderators
// change them). A file that no longer parses is logged and the last good
// one is kept.
type RoomsFile struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	stamp roomsStamp
	all   sfu.RoomSettings            // [*]
	rooms map[string]sfu.RoomSettings // named rooms, [*] applied
}

type roomsStamp struct {
	mod  time.Time
	size int64
}

// OpenRoomsFile reads the rooms file at path; log receives reload
// errors (nil: slog.Default()).
func OpenRoomsFile(path string, log *slog.Logger) (*RoomsFile, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &RoomsFile{path: path, log: log}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads the file now. On error the settings read last stay.
func (f *RoomsFile) Reload() error {
	info, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("rooms file: %w", err)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("rooms file: %w", err)
	}
	all, rooms, err := parseRoomsFile(f.path, data)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o044 != 0 && bytes.Contains(data, []byte("password")) {
		f.log.Warn("the rooms file holds passwords and others may read it: chmod 600", "file", f.path)
	}
	f.mu.Lock()
	f.all, f.rooms, f.stamp = all, rooms, roomsStamp{info.ModTime(), info.Size()}
	f.mu.Unlock()
	return nil
}

// RoomSettings returns the settings room starts with, reading the file
// again first if it changed. A nil file gives the defaults.
func (f *RoomsFile) RoomSettings(room string) sfu.RoomSettings {
	if f == nil {
		return sfu.RoomSettings{}
	}
	if info, err := os.Stat(f.path); err == nil {
		f.mu.Lock()
		changed := f.stamp != roomsStamp{info.ModTime(), info.Size()}
		f.mu.Unlock()
		if changed {
			if err := f.Reload(); err != nil {
				f.log.Error("rooms file not reloaded; the previous settings stay", "err", err)
			} else {
				f.log.Info("rooms file reloaded", "file", f.path)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.rooms[room]; ok {
		return s
	}
	return f.all
}

// parseRoomsFile parses the file's text; name is for error messages.
func parseRoomsFile(name string, data []byte) (sfu.RoomSettings, map[string]sfu.RoomSettings, error) {
	type section struct {
		name  string
		lines []roomsLine
	}
	var sections []*section
	var cur *section
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			room, ok := strings.CutSuffix(line[1:], "]")
			room = strings.TrimSpace(room)
			if !ok || (room != "*" && !ValidRoomName(room)) {
				return sfu.RoomSettings{}, nil, fmt.Errorf("%s:%d: %q is not [room name] or [*]", name, n, line)
			}
			if seen[room] {
				return sfu.RoomSettings{}, nil, fmt.Errorf("%s:%d: [%s] appears twice", name, n, room)
			}
			seen[room] = true
			cur = &section{name: room}
			sections = append(sections, cur)
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return sfu.RoomSettings{}, nil, fmt.Errorf("%s:%d: want key = value", name, n)
		}
		if cur == nil {
			return sfu.RoomSettings{}, nil, fmt.Errorf("%s:%d: %s before any [room]", name, n, strings.TrimSpace(key))
		}
		cur.lines = append(cur.lines, roomsLine{n: n, key: strings.TrimSpace(key), value: strings.TrimSpace(value)})
	}
	if err := sc.Err(); err != nil {
		return sfu.RoomSettings{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	var all sfu.RoomSettings
	for _, s := range sections {
		if s.name == "*" {
			if err := applyRoomsLines(name, &all, s.lines); err != nil {
				return sfu.RoomSettings{}, nil, err
			}
		}
	}
	rooms := map[string]sfu.RoomSettings{}
	for _, s := range sections {
		if s.name == "*" {
			continue
		}
		st := all
		if err := applyRoomsLines(name, &st, s.lines); err != nil {
			return sfu.RoomSettings{}, nil, err
		}
		rooms[s.name] = st
	}
	return all, rooms, nil
}

type roomsLine struct {
	n          int
	key, value string
}

func applyRoomsLines(name string, st *sfu.RoomSettings, lines []roomsLine) error {
	for _, l := range lines {
		bad := func(want string) error {
			if l.key == "password" {
				// Errors go to the terminal and the log: no secret in them.
				return fmt.Errorf("%s:%d: password: want %s", name, l.n, want)
			}
			return fmt.Errorf("%s:%d: %s = %q: want %s", name, l.n, l.key, l.value, want)
		}
		switch l.key {
		case "password":
			if l.value == "" {
				st.Password = ""
				continue
			}
			hash, err := auth.HashPassword(l.value)
			if err != nil {
				return bad("1 to 128 printable characters")
			}
			st.Password = hash
		case "max-participants":
			n, err := strconv.Atoi(l.value)
			if err != nil || n < 0 {
				return bad("a number, 0 for the server's limit")
			}
			st.MaxParticipants = n
		case "locked", "lobby", "ask-to-unmute":
			b, ok := parseOnOff(l.value)
			if !ok {
				return bad("on or off")
			}
			switch l.key {
			case "locked":
				st.Locked = b
			case "lobby":
				st.Lobby = b
			default:
				st.AskToUnmute = b
			}
		case "moderators":
			m := sfu.Moderation(l.value)
			if m != sfu.ModerationFirst && m != sfu.ModerationLinks {
				return bad("first or links")
			}
			st.Moderation = m
		default:
			return fmt.Errorf("%s:%d: unknown key %q (password, max-participants, locked, lobby, ask-to-unmute, moderators)", name, l.n, l.key)
		}
	}
	return nil
}

func parseOnOff(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}
