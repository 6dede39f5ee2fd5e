package signaling_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/plenum-meet/plenum/sfu/chat"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// joinRecording joins room as name (receiving only) and keeps every
// message the server sends it.
func (f *fixture) joinRecording(t *testing.T, room, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: f.url, Room: room, Name: name, Record: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// texts lists the texts of c's chat messages, in order.
func texts(c *client.Client) string {
	var out []string
	for _, m := range c.ChatMessages() {
		out = append(out, m.Text)
	}
	return strings.Join(out, "|")
}

func TestChatHistoryReachesNewcomers(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	if err := ana.Chat("", "good morning"); err != nil {
		t.Fatal(err)
	}
	if err := ana.Chat(ben.ID(), "only for Ben"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben gets Ana's two", func() bool { return texts(ben) == "good morning|only for Ben" })
	if err := ben.Chat("", "hello Ana"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben gets all three", func() bool { return texts(ben) == "good morning|only for Ben|hello Ana" })
	waitFor(t, "Ana gets her own messages back and Ben's", func() bool { return texts(ana) == "good morning|only for Ben|hello Ana" })

	cleo := f.joinRecording(t, "council", "Cleo")
	waitFor(t, "Cleo gets the public history", func() bool { return texts(cleo) == "good morning|hello Ana" })
	first := cleo.ChatMessages()[0]
	if first.From != ana.ID() || first.Name != "Ana" || first.ID == "" || first.Time == 0 || first.To != "" {
		t.Fatalf("history message %+v lacks its sender, id or time", first)
	}
	var histories int
	for _, m := range cleo.Recorded() {
		if m.Type == signaling.TypeChatHistory {
			histories++
		}
	}
	if histories != 1 {
		t.Fatalf("Cleo got %d chat-history messages, want 1", histories)
	}

	// Once everybody left, the room and its history are gone.
	ana.Leave()
	ben.Leave()
	cleo.Leave()
	waitFor(t, "the room ends", func() bool { return f.manager.RoomCount() == 0 })
	dan := f.joinRecording(t, "council", "Dan")
	if err := dan.Chat("", "anyone?"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Dan gets his own message", func() bool { return len(dan.ChatMessages()) > 0 })
	if got := texts(dan); got != "anyone?" {
		t.Fatalf("a new meeting shows %q, want only its own message", got)
	}
}

func TestPrivateMessageReachesOnlyItsRecipient(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	cleo := f.joinRecording(t, "council", "Cleo")
	const secret = "the-secret-7f3a"
	if err := ana.Chat(ben.ID(), secret); err != nil {
		t.Fatal(err)
	}
	// Messages reach each client in the order the room sent them: once
	// Cleo has the public message sent after, she would have had the
	// private one.
	if err := ana.Chat("", "public after"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben gets both", func() bool { return texts(ben) == secret+"|public after" })
	waitFor(t, "Ana gets both back", func() bool { return texts(ana) == secret+"|public after" })
	waitFor(t, "Cleo gets the public one", func() bool { return texts(cleo) == "public after" })
	m := ben.ChatMessages()[0]
	if m.From != ana.ID() || m.To != ben.ID() || !m.Private() {
		t.Fatalf("Ben's private message reads %+v", m)
	}
	for _, r := range cleo.Recorded() {
		if bytes.Contains(r.Raw, []byte(secret)) {
			t.Fatalf("Cleo received the private text in %s: %s", r.Type, r.Raw)
		}
	}
	// And a newcomer does not get it in the history either.
	dan := f.joinRecording(t, "council", "Dan")
	waitFor(t, "Dan gets the history", func() bool { return texts(dan) == "public after" })
	for _, r := range dan.Recorded() {
		if bytes.Contains(r.Raw, []byte(secret)) {
			t.Fatalf("Dan received the private text in %s: %s", r.Type, r.Raw)
		}
	}
}

func TestPrivateMessageToSomeoneGoneIsRefused(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	benID := ben.ID()
	waitFor(t, "Ana sees Ben", func() bool { _, ok := ana.Participants()[benID]; return ok })
	ben.Leave()
	waitFor(t, "Ana sees Ben leave", func() bool { _, ok := ana.Participants()[benID]; return !ok })
	for _, to := range []string{benID, "nobody", ana.ID()} {
		if err := ana.Chat(to, "are you there?"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three refusals", func() bool { return len(ana.Refusals()) == 3 })
	for _, r := range ana.Refusals() {
		if r.Request != signaling.TypeChat || r.Code != signaling.CodeNotFound || r.Reason == "" {
			t.Fatalf("refusal %+v", r)
		}
	}
	stillWorks(t, ana)
	if n := len(ana.ChatMessages()); n != 0 {
		t.Fatalf("Ana got %d messages back, want none", n)
	}
}

func TestChatFloodIsLimitedButTheSessionGoesOn(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	const sent = 40
	for i := range sent {
		if err := ana.Chat("", "spam "+strings.Repeat("!", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "Ana is told of refusals", func() bool { return len(ana.Refusals()) >= sent-20 })
	for _, r := range ana.Refusals() {
		if r.Code != signaling.CodeRateLimit || r.Request != signaling.TypeChat {
			t.Fatalf("refusal %+v, want rate-limit", r)
		}
	}
	waitFor(t, "every message is delivered or refused", func() bool {
		return len(ana.ChatMessages())+len(ana.Refusals()) == sent
	})
	if got := len(ana.ChatMessages()); got > 20 {
		t.Fatalf("%d of %d flooded messages went through", got, sent)
	}
	waitFor(t, "Ben gets what went through", func() bool { return len(ben.ChatMessages()) == len(ana.ChatMessages()) })
	stillWorks(t, ana)

	// Reactions have their own, tighter limit.
	for range 20 {
		if err := ana.React("👏"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "reactions are delivered or refused", func() bool {
		n := 0
		for _, r := range ana.Refusals() {
			if r.Request == signaling.TypeReact {
				n++
			}
		}
		return n > 0 && len(ana.Reactions())+n == 20
	})
	if got := len(ben.Reactions()); got > 10 {
		t.Fatalf("%d of 20 flooded reactions reached Ben", got)
	}
	stillWorks(t, ana)
}

func TestReactionsReachEverybody(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	for _, e := range chat.Reactions {
		if err := ana.React(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*client.Client{ana, ben} {
		waitFor(t, "reactions arrive", func() bool { return len(c.Reactions()) >= 5 })
		for i, r := range c.Reactions() {
			if r.From != ana.ID() || r.Emoji != chat.Reactions[i] {
				t.Fatalf("reaction %d reads %+v", i, r)
			}
		}
	}
}

func TestViewersMayChat(t *testing.T) {
	s := startAccess(t, nil)
	ana := s.join(t, "council", "Ana")
	viewer := s.dial(t, client.Config{Room: "council", Name: "Vic", Token: s.link(t, "council", "viewer", "")})
	if err := viewer.Chat("", "a question from the audience"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana reads the viewer's question", func() bool { return texts(ana) == "a question from the audience" })
}

func TestBadChatMessagesEndTheSession(t *testing.T) {
	f := start(t)
	bystander := f.joinRecording(t, "council", "Ana")
	join := `{"type":"join","version":1,"room":"council","name":"Eve"}`
	for _, tt := range []struct {
		name string
		msgs []string
	}{
		{"too long", []string{join, `{"type":"chat","text":"` + strings.Repeat("a", chat.MaxTextRunes+1) + `"}`}},
		{"empty", []string{join, `{"type":"chat","text":"  "}`}},
		{"control characters", []string{join, `{"type":"chat","text":"\u001b[2Jhello"}`}},
		{"a right-to-left override", []string{join, `{"type":"chat","text":"ballot\u202Efdp.exe"}`}},
		{"invalid UTF-8", []string{join, "{\"type\":\"chat\",\"text\":\"\xff\xfe\"}"}},
		{"recipient id too long", []string{join, `{"type":"chat","to":"` + strings.Repeat("p", 65) + `","text":"hi"}`}},
		{"unknown reaction", []string{join, `{"type":"react","emoji":"<b>"}`}},
		{"no reaction", []string{join, `{"type":"react"}`}},
		{"chat before join", []string{`{"type":"chat","text":"hi"}`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := f.dialRaw(t, nil)
			for _, m := range tt.msgs {
				if err := conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			expectError(t, conn, signaling.CodeBadMessage)
			stillWorks(t, bystander)
		})
	}
	if n := len(bystander.ChatMessages()) + len(bystander.Reactions()); n != 0 {
		t.Fatalf("the bystander was shown %d refused messages or reactions", n)
	}
}

func TestResumedParticipantGetsWhatWasSaidWhileAway(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	if err := ana.Chat("", "before"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben gets the first message", func() bool { return texts(ben) == "before" })
	ben.CutSocket()
	if err := ana.Chat("", "while away"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ana gets her message back", func() bool { return texts(ana) == "before|while away" })
	if err := resume(ben, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ben gets what he missed, once", func() bool { return texts(ben) == "before|while away" })
}
