package signaling

import (
	"strings"
	"testing"
)

// FuzzParseRoomsFile: the rooms file is written by an administrator, but
// a broken one must give an error naming the line, never a crash, and
// whatever parses gives sane settings.
func FuzzParseRoomsFile(f *testing.F) {
	f.Add([]byte("# defaults\n[*]\nmax-participants = 50\nlobby = off\n\n[council]\npassword = open sesame\nlobby = on\nask-to-unmute = yes\nmoderators = links\nlocked = false\n"))
	f.Add([]byte("[a]\n[a]\n"))
	f.Add([]byte("lobby = on\n"))
	f.Add([]byte("[council\nmax-participants = -1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		all, rooms, err := parseRoomsFile("rooms.conf", data)
		if err != nil {
			if !strings.Contains(err.Error(), "rooms.conf") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if all.MaxParticipants < 0 {
			t.Fatalf("negative default limit %d", all.MaxParticipants)
		}
		for name, st := range rooms {
			if !ValidRoomName(name) {
				t.Fatalf("settings for an invalid room name %q", name)
			}
			if st.MaxParticipants < 0 {
				t.Fatalf("room %q: negative limit %d", name, st.MaxParticipants)
			}
		}
	})
}
