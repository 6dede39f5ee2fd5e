package chat

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"hello", "hello", nil},
		{"  two\nlines\twith tab  ", "two\nlines\twith tab", nil},
		{"<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", nil},
		{"日本語 ❤️", "日本語 ❤️", nil},
		{strings.Repeat("é", MaxTextRunes), strings.Repeat("é", MaxTextRunes), nil},
		{"", "", ErrEmpty},
		{" \n\t ", "", ErrEmpty},
		{"\u200b", "", ErrBlank},
		{" \u2060\ufeff\n\u200b ", "", ErrBlank},
		{"\u0301\u0308", "", ErrBlank},
		{"\u3164", "", ErrBlank},
		{"\u200bhi", "\u200bhi", nil},
		{strings.Repeat("a", MaxTextRunes+1), "", ErrTooLong},
		{"bad \xff byte", "", ErrNotUTF8},
		{"bell\a", "", ErrControl},
		{"escape \x1b[31m", "", ErrControl},
		{"null\x00", "", ErrControl},
	} {
		got, err := CleanText(tc.in)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("CleanText(%.20q) = %.20q, %v; want %.20q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestValidReaction(t *testing.T) {
	for _, e := range Reactions {
		if !ValidReaction(e) {
			t.Errorf("%q refused", e)
		}
	}
	for _, e := range []string{"", "👎", "👍👍", "<b>", "❤"} {
		if ValidReaction(e) {
			t.Errorf("%q accepted", e)
		}
	}
}

func TestHistoryKeepsTheLastMessagesWithUniqueIDs(t *testing.T) {
	var h History
	seen := map[string]bool{}
	for i := range HistoryMessages + 50 {
		m := h.Add(Message{From: "a", Text: strconv.Itoa(i)})
		if seen[m.ID] {
			t.Fatalf("id %s given twice", m.ID)
		}
		seen[m.ID] = true
	}
	got := h.For("b")
	if len(got) != HistoryMessages {
		t.Fatalf("%d messages kept, want %d", len(got), HistoryMessages)
	}
	if got[0].Text != "50" || got[len(got)-1].Text != strconv.Itoa(HistoryMessages+49) {
		t.Fatalf("kept %s..%s, want the last ones in order", got[0].Text, got[len(got)-1].Text)
	}
}

func TestHistoryIsBoundedInBytes(t *testing.T) {
	var h History
	big := strings.Repeat("x", 8000)
	for range 100 {
		h.Add(Message{From: "a", Text: big})
	}
	if n := h.Len() * len(big); n > HistoryBytes {
		t.Fatalf("history holds %d bytes of text, more than %d", n, HistoryBytes)
	}
	if h.Len() == 0 {
		t.Fatal("history dropped everything")
	}
	// One message larger than the bound is still kept, alone.
	h.Add(Message{From: "a", Text: strings.Repeat("y", HistoryBytes+1)})
	if h.Len() != 1 {
		t.Fatalf("%d messages kept after a huge one, want 1", h.Len())
	}
}

func TestHistoryShowsPrivateMessagesOnlyToSenderAndRecipient(t *testing.T) {
	var h History
	h.Add(Message{From: "a", Text: "public"})
	h.Add(Message{From: "a", To: "b", Text: "a to b"})
	h.Add(Message{From: "c", To: "a", Text: "c to a"})
	texts := func(id string) string {
		var out []string
		for _, m := range h.For(id) {
			out = append(out, m.Text)
		}
		return strings.Join(out, ",")
	}
	for id, want := range map[string]string{
		"a": "public,a to b,c to a",
		"b": "public,a to b",
		"c": "public,c to a",
		"d": "public",
	} {
		if got := texts(id); got != want {
			t.Errorf("%s sees %q, want %q", id, got, want)
		}
	}
}
