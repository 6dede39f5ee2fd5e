package signaling

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plenum-meet/plenum/sfu/looks"
	"github.com/plenum-meet/plenum/signaling/auth"
)

func TestDecodeClientMessage(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantCode string // "" when the message is valid
	}{
		{"join", `{"type":"join","version":1,"room":"council","name":"Ana"}`, ""},
		{"join trims the name", `{"type":"join","version":1,"room":"a","name":"  Ana  "}`, ""},
		{"join with an old version", `{"type":"join","version":0,"room":"a","name":"Ana"}`, CodeVersion},
		{"join a reserved room", `{"type":"join","version":1,"room":"healthz","name":"Ana"}`, CodeBadRoom},
		{"join a room with a slash", `{"type":"join","version":1,"room":"a/b","name":"Ana"}`, CodeBadRoom},
		{"join with an empty name", `{"type":"join","version":1,"room":"a","name":"   "}`, CodeBadName},
		{"join with a control character", `{"type":"join","version":1,"room":"a","name":"A\u0007na"}`, CodeBadName},
		{"join with a long name", `{"type":"join","version":1,"room":"a","name":"` + strings.Repeat("é", 65) + `"}`, CodeBadName},
		{"join with a right-to-left override", `{"type":"join","version":1,"room":"a","name":"Ana\u202Enimda"}`, CodeBadName},
		{"join with a right-to-left isolate", `{"type":"join","version":1,"room":"a","name":"\u2067Ana\u2069"}`, CodeBadName},
		{"join with a zero-width space for a name", `{"type":"join","version":1,"room":"a","name":"\u200b"}`, CodeBadName},
		{"join with a Hangul filler for a name", `{"type":"join","version":1,"room":"a","name":" \u3164 "}`, CodeBadName},
		{"join with joiners and marks", `{"type":"join","version":1,"room":"a","name":"می\u200Cخواهم 👩\u200D💻 \u200Fx\u200E"}`, ""},
		{"offer", `{"type":"offer","pc":"up","sdp":"v=0"}`, ""},
		{"offer on down", `{"type":"offer","pc":"down","sdp":"v=0"}`, CodeBadMessage},
		{"answer", `{"type":"answer","pc":"down","sdp":"v=0"}`, ""},
		{"answer without sdp", `{"type":"answer","pc":"down"}`, CodeBadMessage},
		{"candidate", `{"type":"candidate","pc":"up","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}`, ""},
		{"end of candidates", `{"type":"candidate","pc":"down","candidate":{"candidate":""}}`, ""},
		{"candidate without pc", `{"type":"candidate","candidate":{"candidate":""}}`, CodeBadMessage},
		{"candidate missing", `{"type":"candidate","pc":"up"}`, CodeBadMessage},
		{"candidate index huge", `{"type":"candidate","pc":"up","candidate":{"candidate":"","sdpMLineIndex":65535}}`, CodeBadMessage},
		{"mute", `{"type":"mute","audio":true,"video":false}`, ""},
		{"mute half", `{"type":"mute","audio":true}`, CodeBadMessage},
		{"view", `{"type":"view","participant":"ab12","height":360,"visible":true}`, ""},
		{"view hidden", `{"type":"view","participant":"ab12","height":0,"visible":false}`, ""},
		{"view without height", `{"type":"view","participant":"ab12","visible":true}`, CodeBadMessage},
		{"view absurd height", `{"type":"view","participant":"ab12","height":100000,"visible":true}`, CodeBadMessage},
		{"view negative height", `{"type":"view","participant":"ab12","height":-1,"visible":true}`, CodeBadMessage},
		{"view of a screen", `{"type":"view","participant":"ab12","height":1080,"visible":true,"source":"screen"}`, ""},
		{"view of a camera", `{"type":"view","participant":"ab12","height":180,"visible":true,"source":"camera"}`, ""},
		{"view of an unknown source", `{"type":"view","participant":"ab12","height":180,"visible":true,"source":"window"}`, CodeBadMessage},
		{"offer with a screen", `{"type":"offer","pc":"up","sdp":"v=0","screen":["2","3"]}`, ""},
		{"offer with an empty screen mid", `{"type":"offer","pc":"up","sdp":"v=0","screen":[""]}`, CodeBadMessage},
		{"offer with a long screen mid", `{"type":"offer","pc":"up","sdp":"v=0","screen":["0123456789012345678901234567890123"]}`, CodeBadMessage},
		{"offer with too many screen mids", `{"type":"offer","pc":"up","sdp":"v=0","screen":["1","2","3","4","5"]}`, CodeBadMessage},
		{"offer with a screen that is no list", `{"type":"offer","pc":"up","sdp":"v=0","screen":"2"}`, CodeBadMessage},
		{"resume", `{"type":"resume","version":1,"room":"council","participant":"ab12","token":"` + strings.Repeat("A", 43) + `"}`, ""},
		{"resume short token", `{"type":"resume","version":1,"room":"council","participant":"ab12","token":"AAAA"}`, CodeBadMessage},
		{"resume without participant", `{"type":"resume","version":1,"room":"council","token":"` + strings.Repeat("A", 43) + `"}`, CodeBadMessage},
		{"resume old version", `{"type":"resume","version":0,"room":"council","participant":"ab12","token":"` + strings.Repeat("A", 43) + `"}`, CodeVersion},
		{"resume bad room", `{"type":"resume","version":1,"room":"../x","participant":"ab12","token":"` + strings.Repeat("A", 43) + `"}`, CodeBadRoom},
		{"ice-restart", `{"type":"ice-restart","pc":"down"}`, ""},
		{"ice-restart up", `{"type":"ice-restart","pc":"up"}`, CodeBadMessage},
		{"join with a link and a password", `{"type":"join","version":1,"room":"a","name":"Ana","token":"x.y","password":"open sesame"}`, ""},
		{"join with a huge token", `{"type":"join","version":1,"room":"a","name":"Ana","token":"` + strings.Repeat("a", 2000) + `"}`, CodeBadToken},
		{"join with a control character in the password", `{"type":"join","version":1,"room":"a","name":"Ana","password":"a\u0000b"}`, CodeWrongPassword},
		{"mute-participant", `{"type":"mute-participant","participant":"ab12","audio":true}`, ""},
		{"mute-participant without what", `{"type":"mute-participant","participant":"ab12","audio":false}`, CodeBadMessage},
		{"mute-participant without whom", `{"type":"mute-participant","video":true}`, CodeBadMessage},
		{"mute-all", `{"type":"mute-all","audio":true,"video":true}`, ""},
		{"mute-all without what", `{"type":"mute-all"}`, CodeBadMessage},
		{"ask-unmute", `{"type":"ask-unmute"}`, ""},
		{"allow-unmute", `{"type":"allow-unmute","participant":"ab12"}`, ""},
		{"remove", `{"type":"remove","participant":"ab12","ban":true}`, ""},
		{"remove nobody", `{"type":"remove"}`, CodeBadMessage},
		{"set-role", `{"type":"set-role","participant":"ab12","role":"viewer"}`, ""},
		{"set-role to an unknown role", `{"type":"set-role","participant":"ab12","role":"admin"}`, CodeBadMessage},
		{"room-settings", `{"type":"room-settings","locked":true,"lobby":false,"askToUnmute":true,"password":""}`, ""},
		{"room-settings changing nothing", `{"type":"room-settings"}`, CodeBadMessage},
		{"room-settings with a bad password", `{"type":"room-settings","password":"a\u0007"}`, CodeBadMessage},
		{"admit", `{"type":"admit","participant":"ab12"}`, ""},
		{"deny", `{"type":"deny","participant":"ab12"}`, ""},
		{"admit nobody", `{"type":"admit","participant":""}`, CodeBadMessage},
		{"end-meeting", `{"type":"end-meeting"}`, ""},
		{"chat", `{"type":"chat","text":"hello <b>all</b>"}`, ""},
		{"private chat", `{"type":"chat","to":"ab12","text":"hi"}`, ""},
		{"chat of 2000 characters", `{"type":"chat","text":"` + strings.Repeat("語", 2000) + `"}`, ""},
		{"chat too long", `{"type":"chat","text":"` + strings.Repeat("a", 2001) + `"}`, CodeBadMessage},
		{"chat empty", `{"type":"chat","text":""}`, CodeBadMessage},
		{"chat with a control character", `{"type":"chat","text":"a\u0000b"}`, CodeBadMessage},
		{"chat with a right-to-left override", `{"type":"chat","text":"invoice\u202Efdp.exe"}`, CodeBadMessage},
		{"chat with a left-to-right embedding", `{"type":"chat","text":"\u202Aabc\u202C"}`, CodeBadMessage},
		{"chat of a word joiner and a byte order mark", `{"type":"chat","text":"\u2060\ufeff"}`, CodeBadMessage},
		{"chat of a combining mark alone", `{"type":"chat","text":" \u0308 "}`, CodeBadMessage},
		{"chat with joiners and marks", `{"type":"chat","text":"नमस्\u200Dते \u200Cشنبه 👨\u200D👩\u200D👧 \u200E\u200F"}`, ""},
		{"react", `{"type":"react","emoji":"🎉"}`, ""},
		{"react with something else", `{"type":"react","emoji":"💩"}`, CodeBadMessage},
		{"ping", `{"type":"ping"}`, ""},
		{"leave", `{"type":"leave"}`, ""},
		{"unknown fields are ignored", `{"type":"ping","future":[1,2,3]}`, ""},
		{"unknown type", `{"type":"dance"}`, CodeBadMessage},
		{"no type", `{}`, CodeBadMessage},
		{"not JSON", `hello`, CodeBadMessage},
		{"JSON but not an object", `[1,2]`, CodeBadMessage},
		{"wrong field type", `{"type":"join","version":"1"}`, CodeBadMessage},
		{"oversized", `{"type":"ping","x":"` + strings.Repeat("a", MaxMessageBytes) + `"}`, CodeBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeClientMessage([]byte(tt.in))
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if m.Type == TypeJoin && m.Name != strings.TrimSpace(m.Name) {
					t.Errorf("name %q not trimmed", m.Name)
				}
				return
			}
			var perr *Error
			if !errors.As(err, &perr) || perr.Code != tt.wantCode {
				t.Fatalf("want code %s, got %v", tt.wantCode, err)
			}
		})
	}
}

// Every text people write refuses each bidirectional embedding,
// override and isolate control, saying why (they are invisible), and
// accepts the joiners and marks that scripts and emoji need. A text of
// nothing but such controls, which looks blank too, is refused for
// them: that it looks blank is their doing.
func TestBidiControlsAreRefusedInEveryTextSayingWhy(t *testing.T) {
	texts := []struct {
		field, message string // message holds %s where the text goes
	}{
		{"name", `{"type":"join","version":1,"room":"a","name":"A%sna"}`},
		{"chat", `{"type":"chat","text":"hello %s all"}`},
		{"question", `{"type":"proposal-open","kind":"yes-no","question":"Adopt %s it?"}`},
		{"option", `{"type":"proposal-open","kind":"choice","question":"Where?","options":["here","the%sre"]}`},
		{"reason", `{"type":"vote","proposal":1,"choice":2,"reason":"it %s breaks"}`},
	}
	onlyControls := []struct {
		field, message string
	}{
		{"name", `{"type":"join","version":1,"room":"a","name":"%s"}`},
		{"chat", `{"type":"chat","text":"%s"}`},
		{"question", `{"type":"proposal-open","kind":"yes-no","question":"%s"}`},
		{"option", `{"type":"proposal-open","kind":"choice","question":"Where?","options":["here","%s"]}`},
		{"reason", `{"type":"vote","proposal":1,"choice":2,"reason":"%s"}`},
	}
	refused := []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
	allowed := []rune{0x200C, 0x200D, 0x200E, 0x200F}
	namesBidi := func(what string, message string) {
		t.Helper()
		_, err := DecodeClientMessage([]byte(message))
		var perr *Error
		if !errors.As(err, &perr) || !strings.Contains(perr.Reason, "bidirectional") {
			t.Errorf("%s: %v, want a refusal that names bidirectional controls", what, err)
		}
	}
	for _, text := range texts {
		for _, r := range refused {
			namesBidi(fmt.Sprintf("%s with U+%04X", text.field, r), fmt.Sprintf(text.message, string(r)))
		}
		for _, r := range allowed {
			if _, err := DecodeClientMessage(fmt.Appendf(nil, text.message, string(r))); err != nil {
				t.Errorf("%s with U+%04X refused: %v", text.field, r, err)
			}
		}
	}
	for _, text := range onlyControls {
		namesBidi(text.field+" of only U+202E", fmt.Sprintf(text.message, "\u202e"))
		namesBidi(text.field+" of only U+2066 U+2069", fmt.Sprintf(text.message, " \u2066\u2069 "))
	}
}

// Every text people write that must show something (a name, a chat
// message, a question, an option) refuses one that looks blank, made
// only of invisible characters, saying why (the client cannot see
// them), and accepts such characters beside visible ones.
func TestBlankLookingTextIsRefusedInEveryTextSayingWhy(t *testing.T) {
	texts := []struct {
		field, message string // message holds %s where the text goes
	}{
		{"name", `{"type":"join","version":1,"room":"a","name":"%s"}`},
		{"chat", `{"type":"chat","text":"%s"}`},
		{"question", `{"type":"proposal-open","kind":"yes-no","question":"%s"}`},
		{"option", `{"type":"proposal-open","kind":"choice","question":"Where?","options":["here","%s"]}`},
	}
	blank := []string{
		`\u200b`, `\u2060`, `\ufeff`, ` \u200b\u200d `, `\u0301`, `\u3164`, `\u115f\u1160`, `\u2800`, `\u00a0\u200b\u3000`,
	}
	for _, text := range texts {
		for _, b := range blank {
			_, err := DecodeClientMessage(fmt.Appendf(nil, text.message, b))
			var perr *Error
			if !errors.As(err, &perr) || !strings.Contains(perr.Reason, "blank") {
				t.Errorf("%s %s: %v, want a refusal that says it shows as blank", text.field, b, err)
			}
		}
		if _, err := DecodeClientMessage(fmt.Appendf(nil, text.message, `\u200bA\u0301\u3164`)); err != nil {
			t.Errorf("%s with invisible characters beside a visible one refused: %v", text.field, err)
		}
	}
}

func TestValidRoomName(t *testing.T) {
	for name, want := range map[string]bool{
		"council": true, "Weekly-Meeting_2026.v2~x": true, "a": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "-leading": false, "_": false, "space here": false,
		"é": false, "Metrics": false, "robots.txt": false, "..": false,
	} {
		if got := ValidRoomName(name); got != want {
			t.Errorf("ValidRoomName(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzDecodeClientMessage checks that no input panics the decoder, that
// every error is a protocol error with a code, and that what it accepts
// satisfies the protocol's rules.
func FuzzDecodeClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"join","version":1,"room":"council","name":"Ana"}`,
		`{"type":"offer","pc":"up","sdp":"v=0\r\n"}`,
		`{"type":"answer","pc":"down","sdp":"v=0\r\n"}`,
		`{"type":"candidate","pc":"up","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}`,
		`{"type":"mute","audio":true,"video":false}`,
		`{"type":"view","participant":"ab12","height":360,"visible":true}`,
		`{"type":"resume","version":1,"room":"council","participant":"ab12","token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"type":"ice-restart","pc":"down"}`,
		`{"type":"join","version":1,"room":"council","name":"Ana","token":"eyJ2IjoxfQ.AAAA","password":"pw"}`,
		`{"type":"mute-participant","participant":"ab12","audio":true}`, `{"type":"mute-all","video":true}`,
		`{"type":"remove","participant":"ab12","ban":true}`, `{"type":"set-role","participant":"ab12","role":"moderator"}`,
		`{"type":"room-settings","locked":true,"password":"x"}`, `{"type":"admit","participant":"ab12"}`,
		`{"type":"deny","participant":"ab12"}`, `{"type":"allow-unmute","participant":"ab12"}`,
		`{"type":"ask-unmute"}`, `{"type":"end-meeting"}`,
		`{"type":"ping"}`, `{"type":"leave"}`, `{}`, `null`, `"join"`, `{"type":"join","name":"\ud800"}`,
		`{"type":"chat","text":"a\u202eb\u200dc"}`, `{"type":"join","version":1,"room":"a","name":"\u2066Ana"}`,
		`{"type":"proposal-open","kind":"choice","question":"Q\u200c","options":["a\u2067","b"]}`,
		`{"type":"vote","proposal":1,"choice":0,"reason":"\u202bno"}`,
		`{"type":"join","version":1,"room":"a","name":"\u3164"}`, `{"type":"chat","text":"\u200b\u0301"}`,
		`{"type":"proposal-open","kind":"choice","question":"Q","options":["a","\u2800"]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeClientMessage(data)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Code == "" {
				t.Fatalf("error %v is not a protocol error", err)
			}
			return
		}
		for _, text := range append([]string{m.Name, m.Text, m.Question, m.Reason}, m.Options...) {
			if strings.ContainsFunc(text, looks.BidiControl) {
				t.Fatalf("accepted a bidirectional control in %q", text)
			}
		}
		var shown []string // the texts this type shows, each of which must show something
		switch m.Type {
		case TypeJoin:
			shown = []string{m.Name}
		case TypeChat:
			shown = []string{m.Text}
		case TypeProposalOpen:
			shown = append([]string{m.Question}, m.Options...)
		}
		for _, text := range shown {
			if looks.Blank(text) {
				t.Fatalf("accepted a %s whose text %+q looks blank", m.Type, text)
			}
		}
		switch m.Type {
		case TypeJoin:
			if !ValidRoomName(m.Room) || !utf8.ValidString(m.Name) || m.Name == "" || utf8.RuneCountInString(m.Name) > maxNameRunes {
				t.Fatalf("accepted a bad join: %+v", m)
			}
		case TypeCandidate:
			if m.Candidate == nil {
				t.Fatal("accepted a candidate message without a candidate")
			}
		case TypeMute:
			if m.Audio == nil || m.Video == nil {
				t.Fatal("accepted a half mute")
			}
		case TypeMuteParticipant, TypeRemove, TypeSetRole, TypeAdmit, TypeDeny, TypeAllowUnmute:
			if m.Participant == "" {
				t.Fatalf("accepted %s without a participant", m.Type)
			}
		case TypeRoomSettings:
			if m.Password != nil && *m.Password != "" && !auth.ValidPassword(*m.Password) {
				t.Fatal("accepted a bad room password")
			}
		}
	})
}
