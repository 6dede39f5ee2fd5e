package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// pressKey presses and releases one key as a keyboard does: a keydown
// that carries its text, so that a page that handles it as a shortcut
// (preventDefault) keeps the character out of any field. (chromedp's
// KeyEvent sends the character as an event of its own.)
func pressKey(key, code string, vk int64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		text := key
		if key == "Enter" {
			text = "\r"
		}
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: text, UnmodifiedText: text, WindowsVirtualKeyCode: vk}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return chromedp.Void{}, err
		}
		up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code, WindowsVirtualKeyCode: vk}
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return chromedp.Void{}, err
	}
}

// axeIfInstalled returns axe-core's source where it is installed (and
// must be, in CI).
func axeIfInstalled(t *testing.T) (string, bool) {
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core missing (%v): scripts/test installs it with npm", err)
		}
		t.Logf("no accessibility check: axe-core not installed (%v)", err)
		return "", false
	}
	return src, true
}

// typeText types text into the focused field at once, as an input
// method does: one round trip instead of one per key, which a loaded
// machine makes slow.
func typeText(text string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return chromedp.Void{}, err
	}
}

// The chat and reactions between two browsers: typed, sent with Enter,
// shown at the other as text (links clickable, markup not), counted as
// unread, announced, and a reaction shown on the sender's tile.
func TestChatAndReactionsReachTheOtherBrowser(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, nil)
	ana, ben := browsers[0], browsers[1]
	// One after the other, with generous waits: joins take long on a
	// loaded machine.
	for i, name := range []string{"Ana", "Ben"} {
		b := browsers[i]
		if err := b.Open(joinURL(srv, "e2e-chat", name, nil)); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(`window.plenum?.state === "joined"`, time.Minute); err != nil {
			var state any
			_ = b.Eval(`({state: window.plenum?.state, error: window.plenum?.lastError})`, &state)
			t.Fatalf("%s does not join: %v (%v)", name, err, state)
		}
	}
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum.participants().length === 1`, time.Minute); err != nil {
			t.Fatalf("browser %d does not see the other: %v", i, err)
		}
	}
	anaID, err := ana.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}

	// Ana opens the chat with its shortcut and types two messages.
	if err := ana.Do(pressKey("c", "KeyC", 'C')); err != nil {
		t.Fatal(err)
	}
	if err := ana.WaitFor(`!document.getElementById('chat-panel').hidden && document.activeElement?.id === 'chat-input'`, 20*time.Second); err != nil {
		t.Fatal("C does not open the chat with the focus in its field:", err)
	}
	const link = "Agenda: https://example.org/agenda?x=1."
	const markup = `<img src=x onerror="window.pwned=1"> <b>bold</b> & <script>window.pwned=2</script>`
	for _, text := range []string{link, markup} {
		if err := ana.Do(typeText(text), pressKey("Enter", "Enter", 13)); err != nil {
			t.Fatal(err)
		}
	}

	// Ben gets both, as the exact text.
	if err := ben.WaitFor(`document.querySelectorAll('.chat-list .chat-message').length === 2`, 20*time.Second); err != nil {
		t.Fatal("Ben does not get Ana's messages:", err)
	}
	if err := ben.WaitFor(`window.plenum.announcements().includes('Message from Ana: `+link+`')`, 20*time.Second); err != nil {
		var said []string
		_ = ben.Eval(`window.plenum.announcements()`, &said)
		t.Fatalf("Ben's screen reader is not told of the message: %v; it was told %q", err, said)
	}
	var shown []string
	if err := ben.Eval(`[...document.querySelectorAll('.chat-list .chat-text')].map((e) => e.textContent)`, &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown) != 2 || shown[0] != link || shown[1] != markup {
		t.Fatalf("Ben shows %q, want %q and %q", shown, link, markup)
	}
	var injected struct {
		Elements int
		Pwned    bool
		Name     string
	}
	if err := ben.Eval(`({
		elements: document.querySelectorAll('.chat-list img, .chat-list b, .chat-list script').length,
		pwned: window.pwned !== undefined,
		name: document.querySelector('.chat-list .chat-name').textContent,
	})`, &injected); err != nil {
		t.Fatal(err)
	}
	if injected.Elements != 0 || injected.Pwned {
		t.Fatalf("the message's markup became elements at Ben's: %+v", injected)
	}
	if injected.Name != "Ana" {
		t.Fatalf("the message is signed %q, want Ana", injected.Name)
	}
	var anchor struct{ Href, Rel, Target, Text string }
	if err := ben.Eval(`(() => {
		const links = document.querySelectorAll('.chat-list a');
		if (links.length !== 1) return {};
		const a = links[0];
		return { href: a.href, rel: a.rel, target: a.target, text: a.textContent };
	})()`, &anchor); err != nil {
		t.Fatal(err)
	}
	if anchor.Href != "https://example.org/agenda?x=1" || anchor.Rel != "noopener noreferrer" || anchor.Target != "_blank" {
		t.Fatalf("the link in Ben's chat is %+v", anchor)
	}

	// Ben's chat is closed: the button counts two unread; opening the
	// chat reads them.
	if err := ben.WaitFor(`document.querySelector('.ctl-chat .ctl-badge')?.textContent === '2' && !document.querySelector('.ctl-chat .ctl-badge').hidden`, 20*time.Second); err != nil {
		t.Fatal("no unread count on Ben's chat button:", err)
	}
	var label string
	if err := ben.Eval(`document.querySelector('.ctl-chat').getAttribute('aria-label')`, &label); err != nil || label != "Chat, 2 unread messages" {
		t.Fatalf("Ben's chat button reads %q (%v)", label, err)
	}
	// Clicks by script: one round trip (chromedp's Click takes several,
	// too slow on a loaded machine).
	click(t, ben, ".ctl-chat")
	if err := ben.WaitFor(`document.querySelector('.ctl-chat .ctl-badge').hidden && window.plenum.chat().unread === 0`, 20*time.Second); err != nil {
		t.Fatal("opening the chat leaves messages unread:", err)
	}
	axe, withAxe := axeIfInstalled(t)
	if withAxe {
		checkAccessibility(t, ben, axe, "chat panel with messages")
	}

	// Ben's participant list (P) shows Ana's microphone going off. The
	// focus leaves the chat's field first: there a P is typed.
	if err := ben.Eval(`document.activeElement.blur(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	if err := ben.Do(pressKey("p", "KeyP", 'P')); err != nil {
		t.Fatal(err)
	}
	if err := ben.WaitFor(`!document.getElementById('people-panel').hidden && document.getElementById('chat-panel').hidden &&
		[...document.querySelectorAll('.people-list .person-label')].map((e) => e.textContent).join('|') === 'Ben (you)|Ana'`, 20*time.Second); err != nil {
		t.Fatal("P does not show the participant list with Ben and Ana:", err)
	}
	if err := ana.Eval(`document.activeElement.blur(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	if err := ana.Do(pressKey("m", "KeyM", 'M')); err != nil {
		t.Fatal(err)
	}
	anaRow := fmt.Sprintf(`.person[data-participant=%s]`, strconv.Quote(anaID))
	if err := ben.WaitFor(`document.querySelector('`+anaRow+` .person-state.is-off')?.getAttribute('aria-label') === 'Microphone off'`, 20*time.Second); err != nil {
		t.Fatal("Ben's list does not show Ana's microphone off:", err)
	}
	if withAxe {
		checkAccessibility(t, ben, axe, "participant list")
	}

	// Ana reacts: the reaction shows on her tile at Ben's, and at her own.
	click(t, ana, ".ctl-react")
	click(t, ana, `.reaction-choice[data-emoji="👍"]`)
	onTile := fmt.Sprintf(`document.querySelector('.tile[data-participant=%s] .tile-reaction')?.textContent === '👍'`, strconv.Quote(anaID))
	if err := ben.WaitFor(onTile, 20*time.Second); err != nil {
		t.Fatal("Ana's reaction does not show on her tile at Ben's:", err)
	}
	if err := ana.WaitFor(`document.querySelector('.tile-local .tile-reaction')?.textContent === '👍'`, 20*time.Second); err != nil {
		t.Fatal("Ana's reaction does not show on her own tile:", err)
	}
}

// TestAPrivateDraftStaysPrivateWhenItsRecipientLeaves: Ana writes to Mo
// privately, Mo leaves before she sends; her Enter then sends nothing
// (Lee, still there, gets no message), tells her why and keeps the
// draft, with Mo still shown as its recipient.
func TestAPrivateDraftStaysPrivateWhenItsRecipientLeaves(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-chat-gone"
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum && window.plenum.state === "joined"`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dial := func(name string) *client.Client {
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + srv.Addr().String() + "/_/ws", Room: room, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	mo, lee := dial("Mo"), dial("Lee")
	waitAt(t, "Ana", ana, `window.plenum.participants().length === 2`)

	doAt(t, "Ana", ana, pressKey("c", "KeyC", 'C'))
	waitAt(t, "Ana", ana, `!document.getElementById('chat-panel').hidden && document.activeElement?.id === 'chat-input'`)
	if err := ana.Eval(`(() => {
		const s = document.getElementById('chat-to');
		s.value = `+strconv.Quote(mo.ID())+`;
		s.dispatchEvent(new Event('change'));
		document.getElementById('chat-input').focus();
		return true;
	})()`, new(bool)); err != nil {
		t.Fatal(err)
	}
	const draft = "Only for you, Mo"
	doAt(t, "Ana", ana, typeText(draft))
	mo.Leave()
	waitAt(t, "Ana", ana, `window.plenum.participants().length === 1`)

	doAt(t, "Ana", ana, pressKey("Enter", "Enter", 13))
	// Told why, or (what must not be) her message comes back sent.
	waitAt(t, "Ana", ana, `!!document.querySelector('#toasts [data-key="chat"]') || window.plenum.chat().messages.length > 0`)
	var page struct {
		Draft, To, Shown, Notice string
		Sent                     int
	}
	if err := ana.Eval(`(() => { const s = document.getElementById('chat-to');
		return {draft: document.getElementById('chat-input').value, to: s.value, shown: s.selectedOptions[0]?.textContent ?? '',
			notice: document.querySelector('#toasts [data-key="chat"]')?.textContent ?? '',
			sent: window.plenum.chat().messages.length}; })()`, &page); err != nil {
		t.Fatal(err)
	}
	if page.Draft != draft || page.To != mo.ID() || page.Shown != "Mo (privately, has left)" || page.Sent != 0 ||
		!strings.Contains(page.Notice, "has left the meeting") {
		t.Fatalf("after Mo left, Ana's chat shows %+v; want the draft kept for Mo, shown as gone, and nothing sent", page)
	}
	time.Sleep(time.Second) // what was sent would have reached Lee by now
	if got := lee.ChatMessages(); len(got) != 0 {
		t.Fatalf("Lee got Ana's private draft to Mo: %+v", got)
	}
}

// TestAMessageThatShowsNothingIsNotSent: Ana pastes a zero-width space
// into the chat and presses Enter. JavaScript's trim keeps it, but the
// server ends the session of whoever sends a text that shows as blank:
// her Enter sends nothing, as for an empty field, and she stays in the
// meeting, where a visible message then reaches Lee.
func TestAMessageThatShowsNothingIsNotSent(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-chat-blank"
	browsers, ids := joinAll(t, srv, room, noDevices, "Ana")
	ana := browsers[0]
	lee := dialGoAs(t, srv, room, "Lee", false)
	waitAt(t, "Ana", ana, `window.plenum.participants().length === 1`)

	doAt(t, "Ana", ana, pressKey("c", "KeyC", 'C'))
	waitAt(t, "Ana", ana, `!document.getElementById('chat-panel').hidden && document.activeElement?.id === 'chat-input'`)
	doAt(t, "Ana", ana, typeText("\u200b"), pressKey("Enter", "Enter", 13))
	// What she typed stays, as an empty field's nothing would; she
	// deletes it and writes something visible.
	waitAt(t, "Ana", ana, `document.getElementById('chat-input').value === '\u200b'`)
	if err := ana.Eval(`document.getElementById('chat-input').value = '', true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	doAt(t, "Ana", ana, typeText("Hello"), pressKey("Enter", "Enter", 13))
	// Sent and shown back, or (what must not be) her session ended.
	waitAt(t, "Ana", ana, `window.plenum.state !== "joined" || document.querySelectorAll('.chat-list .chat-message').length > 0`)
	var page struct {
		State string
		Shown []string
	}
	if err := ana.Eval(`({state: window.plenum.state, shown: [...document.querySelectorAll('.chat-list .chat-text')].map((e) => e.textContent)})`, &page); err != nil {
		t.Fatal(err)
	}
	if page.State != "joined" || len(page.Shown) != 1 || page.Shown[0] != "Hello" {
		t.Fatalf("after a blank and a visible message Ana's page is %+v; want joined, showing only Hello", page)
	}
	var got []string
	eventually(t, 20*time.Second, "Lee gets Ana's message", func() (bool, string) {
		got = got[:0]
		for _, m := range lee.ChatMessages() {
			got = append(got, m.Text)
		}
		return len(got) > 0, fmt.Sprintf("Lee got %q", got)
	})
	if len(got) != 1 || got[0] != "Hello" {
		t.Fatalf("Lee got %q, want only Hello", got)
	}
	if _, in := lee.Participants()[ids[0]]; !in {
		t.Fatal("Ana is no longer in the meeting at Lee's")
	}
}
