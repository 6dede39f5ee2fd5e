package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// mouseClick clicks the first element matching the CSS selector with the
// mouse, as a user would, once it is shown. Timeouts are generous: a
// loaded CI machine can take seconds to draw a menu.
func mouseClick(t *testing.T, b *webtest.Browser, who, selector string) {
	t.Helper()
	start := time.Now()
	if err := b.Click(selector, 45*time.Second); err != nil {
		t.Fatalf("%s clicks %s: %v", who, selector, err)
	}
	t.Logf("%s clicked %s in %v", who, selector, time.Since(start).Round(time.Millisecond))
}

// evalJS evaluates expr in b's page and returns the result as text, for
// conditions and failure messages.
func evalJS[T any](b *webtest.Browser, expr string) (T, error) {
	var out T
	err := b.Eval(expr, &out)
	return out, err
}

func TestModeratorAdmitsFromLobbyThenMutes(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, nil)
	mod, bea := browsers[0], browsers[1]
	const room = "e2e-lobby"

	// The first one in an open room moderates it.
	if err := mod.Open(joinURL(srv, room, "Mo", nil)); err != nil {
		t.Fatal(err)
	}
	modID := joinedWithin(t, mod, "Mo", time.Minute)
	if err := mod.WaitFor(`window.plenum.role === "moderator"`, 45*time.Second); err != nil {
		t.Fatalf("the first comer is not moderator: %v", err)
	}

	// Mo turns the waiting room on from the room menu.
	mouseClick(t, mod, "Mo", `.ctl-room`)
	mouseClick(t, mod, "Mo", `.menu [data-action="lobby"]`)
	if err := mod.WaitFor(`window.plenum.room && window.plenum.room.lobby === true`, 45*time.Second); err != nil {
		t.Fatalf("the lobby is not on: %v", err)
	}

	// Bea arrives and waits: her page shows the lobby, she receives
	// nothing, and the server counts her in no room.
	if err := bea.Open(joinURL(srv, room, "Bea", nil)); err != nil {
		t.Fatal(err)
	}
	if err := bea.WaitFor(`window.plenum && window.plenum.state === "lobby" && document.querySelector(".lobby-screen") !== null`, time.Minute); err != nil {
		state, _ := evalJS[any](bea, `window.plenum && [window.plenum.state, window.plenum.lastError]`)
		t.Fatalf("Bea does not see the lobby screen (state %v): %v", state, err)
	}
	if n := srv.Manager().ParticipantCount(); n != 1 {
		t.Fatalf("%d participants while Bea waits in the lobby, want 1 (Mo)", n)
	}
	if s, err := bea.Stats(); err != nil || len(s.Video)+len(s.Audio) != 0 {
		t.Fatalf("Bea receives media in the lobby: %+v, %v", s, err)
	}
	if err := mod.WaitFor(`document.querySelectorAll('.lobby-panel [data-lobby]').length === 1`, 45*time.Second); err != nil {
		t.Fatalf("Mo's lobby panel does not list Bea: %v", err)
	}
	if ps, _ := evalJS[[]map[string]any](mod, `window.plenum.participants()`); len(ps) != 0 {
		t.Fatalf("Mo sees participants while Bea waits: %v", ps)
	}

	// Mo admits her: she joins and media flows both ways.
	mouseClick(t, mod, "Mo", `.lobby-panel [data-action="admit"]`)
	beaID := joinedWithin(t, bea, "Bea", time.Minute)
	if _, err := bea.WaitDecodes(modID, time.Minute); err != nil {
		t.Fatalf("Bea after admission: %v", err)
	}
	if _, err := mod.WaitDecodes(beaID, time.Minute); err != nil {
		t.Fatalf("Mo after admitting Bea: %v", err)
	}
	if err := mod.WaitFor(`document.querySelector('.lobby-panel').hidden`, 45*time.Second); err != nil {
		t.Fatalf("the lobby panel stays open with nobody waiting: %v", err)
	}

	// Mo mutes Bea from the menu on her tile.
	tile := fmt.Sprintf(`.tile[data-participant=%q]`, beaID)
	mouseClick(t, mod, "Mo", tile+` .tile-menu`)
	mouseClick(t, mod, "Mo", `.menu [data-action="mute-audio"]`)

	// Bea's page turns her microphone off and tells her so.
	if err := bea.WaitFor(`window.plenum.muted.audio === true`, 45*time.Second); err != nil {
		t.Fatalf("Bea's microphone stays on: %v", err)
	}
	pressed, err := evalJS[string](bea, `document.querySelector('.toolbar .ctl').getAttribute('aria-pressed')`)
	if err != nil || pressed != "true" {
		t.Fatalf("Bea's microphone button shows aria-pressed %q (%v), want muted", pressed, err)
	}
	notice, _ := evalJS[string](bea, `[...document.querySelectorAll('.toast')].map((e) => e.textContent).join(' | ')`)
	if !strings.Contains(notice, "Mo muted your microphone") {
		t.Fatalf("Bea's notices %q do not say Mo muted her", notice)
	}
	// Mo sees it, and the server no longer forwards her audio to Mo.
	if err := mod.WaitFor(fmt.Sprintf(`window.plenum.participants().some((p) => p.id === %q && p.audioMuted)`, beaID), 45*time.Second); err != nil {
		t.Fatalf("Mo does not see Bea muted: %v", err)
	}
	last := -1
	eventually(t, 15*time.Second, "Bea's audio stops reaching Mo", func() (bool, string) {
		s, err := mod.Stats()
		if err != nil {
			return false, err.Error()
		}
		n, ok := s.AudioPacketsFrom(beaID)
		if !ok {
			n = -1
		}
		stalled := n >= 0 && n == last
		last = n
		return n < 0 || stalled, fmt.Sprintf("audio from Bea: %d packets", n)
	})
	// Her video still flows: only the microphone was muted.
	if v, ok := mustStats(t, mod).VideoFrom(beaID); !ok || v.FramesDecoded == 0 {
		t.Fatalf("Mo lost Bea's video: %+v", v)
	}
}

// TestAModeratorMadeParticipantLosesTheUnmuteRequests: Ana moderates
// with Mo when Ben, whom Mo muted in an ask-to-unmute room, asks to
// unmute; her page shows his request with an Allow button. Mo then makes
// her a participant: the notice goes, since she may allow nothing now.
func TestAModeratorMadeParticipantLosesTheUnmuteRequests(t *testing.T) {
	srv := startServer(t)
	mo, ana, anaID, _, request := benAsksToUnmute(t, srv, "e2e-demoted")

	if err := mo.SetRole(anaID, sfu.RoleParticipant); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === "participant"`)
	if err := ana.WaitFor(fmt.Sprintf(`!document.querySelector(%q)`, request), 5*time.Second); err != nil {
		notices, _ := evalJS[string](ana, `[...document.querySelectorAll('.toast')].map((e) => e.textContent).join(' | ')`)
		t.Fatalf("Ana, no longer a moderator, still has Ben's request to allow (notices %q): %v", notices, err)
	}
}

// TestAnUnmuteRequestAnsweredByAnotherModeratorGoes: Ana and Mo
// moderate; Ben, whom Mo muted in an ask-to-unmute room, asks to unmute,
// and Ana's page shows his request. Mo lets him, and Ben turns his
// microphone on: Ana's notice goes, its Allow button no longer asking
// her for what is done.
func TestAnUnmuteRequestAnsweredByAnotherModeratorGoes(t *testing.T) {
	srv := startServer(t)
	mo, ana, _, ben, request := benAsksToUnmute(t, srv, "e2e-answered")

	if err := mo.AllowUnmute(ben.ID()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ben is let unmute", func() (bool, string) {
		return ben.UnmuteAllowedCount() > 0, ""
	})
	if err := ben.SetMuted(false, true); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, fmt.Sprintf(`window.plenum.participants().some((p) => p.id === %q && !p.audioMuted)`, ben.ID()))
	if err := ana.WaitFor(fmt.Sprintf(`!document.querySelector(%q)`, request), 5*time.Second); err != nil {
		notices, _ := evalJS[string](ana, `[...document.querySelectorAll('.toast')].map((e) => e.textContent).join(' | ')`)
		t.Fatalf("Ben unmuted, Ana still has his request to allow (notices %q): %v", notices, err)
	}
}

// benAsksToUnmute starts room with Mo and Ana moderating
// (moderatingWithMo) and asking to unmute; Mo mutes Ben (a Go
// participant), who asks to unmute, and Ana's page shows his request:
// request is its notice's selector.
func benAsksToUnmute(t *testing.T, srv *server.Server, room string) (mo *client.Client, ana *webtest.Browser, anaID string, ben *client.Client, request string) {
	t.Helper()
	mo, ana, anaID = moderatingWithMo(t, srv, room, url.Values{"camera": {"0"}})
	ask := true
	if err := mo.ChangeRoom(client.RoomSettings{AskToUnmute: &ask}); err != nil {
		t.Fatal(err)
	}
	ben = dialGoAs(t, srv, room, "Ben", false)
	eventually(t, 10*time.Second, "the room asks to unmute", func() (bool, string) {
		s := mo.RoomState()
		return s.AskToUnmute, fmt.Sprintf("%+v", s)
	})
	if err := mo.MuteParticipant(ben.ID(), true, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ben is muted", func() (bool, string) {
		by, audio, _ := ben.MutedBy()
		return audio, "muted by " + by
	})
	if err := ben.AskToUnmute(); err != nil {
		t.Fatal(err)
	}
	request = fmt.Sprintf(`.toast[data-key="request-%s"]`, ben.ID())
	waitAt(t, "Ana", ana, fmt.Sprintf(`!!document.querySelector(%q)`, request+" button.btn-primary"))
	return mo, ana, anaID, ben, request
}

// moderatingWithMo starts room with Mo, a Go moderator (the first in),
// then Ana in a browser (joined with extra), whom Mo makes a moderator.
func moderatingWithMo(t *testing.T, srv *server.Server, room string, extra url.Values) (mo *client.Client, ana *webtest.Browser, anaID string) {
	t.Helper()
	mo = dialGo(t, srv, room, false)
	ana = webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", extra)); err != nil {
		t.Fatal(err)
	}
	anaID = joinedWithin(t, ana, "Ana", time.Minute)
	if err := mo.SetRole(anaID, sfu.RoleModerator); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === "moderator"`)
	return mo, ana, anaID
}

// moAndAPage starts a server, has Mo (a Go client that moderates and
// sends nothing) open room, then one page join it as name with params,
// and returns them with the page's participant id.
func moAndAPage(t *testing.T, room, name string, params url.Values) (srv *server.Server, mo *client.Client, page *webtest.Browser, id string) {
	t.Helper()
	srv = startServer(t)
	mo, page, id = moAndAPageOn(t, srv, room, name, params)
	return srv, mo, page, id
}

// moAndAPageOn is moAndAPage on a server already started.
func moAndAPageOn(t *testing.T, srv *server.Server, room, name string, params url.Values) (mo *client.Client, page *webtest.Browser, id string) {
	t.Helper()
	mo = dialGo(t, srv, room, false)
	page = webtest.Launch(t)
	if err := page.Open(joinURL(srv, room, name, params)); err != nil {
		t.Fatal(err)
	}
	return mo, page, joinedWithin(t, page, name, time.Minute)
}

// joinedWithin waits until b's page has joined and returns its
// participant id; the wait is long, for a loaded CI machine.
func joinedWithin(t *testing.T, b *webtest.Browser, name string, within time.Duration) string {
	t.Helper()
	if err := b.WaitFor(`window.plenum && window.plenum.state === "joined"`, within); err != nil {
		state, _ := evalJS[any](b, `window.plenum && [window.plenum.state, window.plenum.lastError]`)
		t.Fatalf("%s joins (state %v): %v", name, state, err)
	}
	id, err := b.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustStats(t *testing.T, b *webtest.Browser) webtest.Stats {
	t.Helper()
	s, err := b.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// moWithBen starts a server where Mo, in a browser without camera or
// microphone, opens room, the first in and so its moderator, and Ben
// joins, a Go participant publishing nothing.
func moWithBen(t *testing.T, room string) (srv *server.Server, mod *webtest.Browser, ben *client.Client) {
	t.Helper()
	srv = startServer(t)
	mod = webtest.Launch(t)
	if err := mod.Open(joinURL(srv, room, "Mo", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, mod, "Mo", time.Minute)
	waitAt(t, "Mo", mod, `window.plenum.role === "moderator"`)
	return srv, mod, dialGoAs(t, srv, room, "Ben", false)
}

// TestATileMenuClosesWhenItsParticipantLeaves: Mo moderates in a
// browser and opens the menu on Ben's tile; Ben leaves. The menu goes
// with him, its actions acting on nobody now, and focus, which was in
// it, lands on a control Mo can see rather than nowhere.
func TestATileMenuClosesWhenItsParticipantLeaves(t *testing.T) {
	_, mod, ben := moWithBen(t, "e2e-menu-left")

	mouseClick(t, mod, "Mo", fmt.Sprintf(`.tile[data-participant=%q] .tile-menu`, ben.ID()))
	waitAt(t, "Mo", mod, `!!document.activeElement?.closest('.menu')`)
	benLeaves(t, mod, ben, fmt.Sprintf(`!document.querySelector('.tile[data-participant=%q]')`, ben.ID()))
}

// benLeaves makes Ben leave; once gone is true in Mo's page, no menu
// may be open there, and focus must be on something shown rather than
// nowhere.
func benLeaves(t *testing.T, mod *webtest.Browser, ben *client.Client, gone string) {
	t.Helper()
	ben.Leave()
	waitAt(t, "Mo", mod, gone)
	if after := focusAfter(t, mod); after.Menus != 0 || !after.Visible {
		t.Fatalf("after Ben left, Mo's page shows %d menus with focus on %s (visible: %v), want none and focus on something shown", after.Menus, after.Focused, after.Visible)
	}
}

// pageFocus is what a page shows of its menus and focus.
type pageFocus struct {
	Menus   int    // menus in the page, open ones
	Focused string // the focused element: "body", or its tag and classes
	Visible bool   // whether it is in the page and shown
}

// focusAfter tells, after something went from b's page, where focus is
// and how many menus are open.
func focusAfter(t *testing.T, b *webtest.Browser) pageFocus {
	t.Helper()
	var after pageFocus
	if err := b.Eval(`(() => { const el = document.activeElement;
		return {menus: document.querySelectorAll('.menu').length,
			focused: el === document.body ? 'body' : el.tagName.toLowerCase() + '.' + [...el.classList].join('.'),
			visible: el !== document.body && el.isConnected && el.getClientRects().length > 0}; })()`, &after); err != nil {
		t.Fatal(err)
	}
	return after
}

// TestAPersonMenuStaysOpenAcrossARedrawAndGoesWithItsPerson: Mo
// moderates in a browser and opens Ben's menu in the participant list.
// Cy joins: the list draws every row anew, and Ben's menu stays open,
// focus in it, and Escape gives focus back to its button. Opened again,
// it goes with Ben when he leaves, and focus lands on something shown.
func TestAPersonMenuStaysOpenAcrossARedrawAndGoesWithItsPerson(t *testing.T) {
	const room = "e2e-person-menu"
	srv, mod, ben := moWithBen(t, room)
	mouseClick(t, mod, "Mo", `.ctl-people`)
	button := fmt.Sprintf(`.people-list .person[data-participant=%q] .person-menu`, ben.ID())

	mouseClick(t, mod, "Mo", button)
	waitAt(t, "Mo", mod, `!!document.activeElement?.closest('.menu')`)
	dialGoAs(t, srv, room, "Cy", false)
	waitAt(t, "Mo", mod, `document.querySelectorAll('.people-list .person').length === 3`)
	if open, err := evalJS[bool](mod, fmt.Sprintf(`document.querySelector(%q)?.getAttribute('aria-expanded') === 'true'
		&& document.querySelectorAll('.menu').length === 1 && !!document.activeElement?.closest('.menu')`, button)); err != nil || !open {
		t.Fatalf("after Cy joined, Ben's menu in Mo's list is not open with focus in it (%v): %+v", err, focusAfter(t, mod))
	}
	press(t, mod, kb.Escape)
	if back, err := evalJS[bool](mod, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, button)); err != nil || !back {
		t.Fatalf("Escape in Ben's menu does not give focus back to its button (%v): %+v", err, focusAfter(t, mod))
	}

	mouseClick(t, mod, "Mo", button)
	waitAt(t, "Mo", mod, `!!document.activeElement?.closest('.menu')`)
	benLeaves(t, mod, ben, `document.querySelectorAll('.people-list .person').length === 2`)
}

// TestFocusOnATileGoesToTheToolbarWhenItsParticipantLeaves: Mo, at the
// keyboard, is on the pin button of Ben's tile when Ben leaves; focus
// goes to a control Mo can see, not nowhere.
func TestFocusOnATileGoesToTheToolbarWhenItsParticipantLeaves(t *testing.T) {
	_, mod, ben := moWithBen(t, "e2e-tile-left")
	tile := fmt.Sprintf(`.tile[data-participant=%q]`, ben.ID())
	waitAt(t, "Mo", mod, fmt.Sprintf(`(() => { const pin = document.querySelector(%q); pin?.focus(); return !!pin && document.activeElement === pin; })()`, tile+` .tile-actions .tile-btn`))
	benLeaves(t, mod, ben, fmt.Sprintf(`!document.querySelector(%q)`, tile))
}

// TestAModeratorsMenusCloseWhenTheRoleGoes: Ana moderates with Mo and
// has the menu on Ben's tile open when Mo makes her a participant, or a
// viewer (whose microphone and camera buttons go too). The menu closes,
// its actions refused by the server now, and focus, which was in it,
// lands on a control Ana can see rather than nowhere.
func TestAModeratorsMenusCloseWhenTheRoleGoes(t *testing.T) {
	for _, role := range []sfu.Role{sfu.RoleParticipant, sfu.RoleViewer} {
		t.Run(string(role), func(t *testing.T) {
			srv := startServer(t)
			room := "e2e-demoted-menu-" + string(role)
			mo, ana, anaID := moderatingWithMo(t, srv, room, noDevices)
			ben := dialGoAs(t, srv, room, "Ben", false)

			mouseClick(t, ana, "Ana", fmt.Sprintf(`.tile[data-participant=%q] .tile-menu`, ben.ID()))
			waitAt(t, "Ana", ana, `!!document.activeElement?.closest('.menu')`)
			if err := mo.SetRole(anaID, role); err != nil {
				t.Fatal(err)
			}
			waitAt(t, "Ana", ana, fmt.Sprintf(`window.plenum.role === %q`, role))
			if after := focusAfter(t, ana); after.Menus != 0 || !after.Visible {
				t.Fatalf("made %s, Ana's page shows %d menus with focus on %s (visible: %v), want none and focus on something shown", role, after.Menus, after.Focused, after.Visible)
			}
		})
	}
}

// TestFocusInTheLobbyPanelGoesToAControlShownWhenAModeratorIsMadeViewer:
// Ana moderates with Mo, Lee waits in the lobby, and Ana is on his
// Admit button when Mo makes her a viewer. The panel hides with her
// role, and focus goes to a toolbar control she can see, not to the
// microphone button a viewer no longer has.
func TestFocusInTheLobbyPanelGoesToAControlShownWhenAModeratorIsMadeViewer(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-lobby-viewer"
	mo, ana, anaID := moderatingWithALobby(t, srv, room)
	dialGoAs(t, srv, room, "Lee", false)
	waitAt(t, "Ana", ana, `(() => { const admit = document.querySelector('.lobby-panel [data-action="admit"]'); admit?.focus(); return !!admit && document.activeElement === admit; })()`)

	if err := mo.SetRole(anaID, sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === "viewer" && document.querySelector('.lobby-panel').hidden`)
	if after := focusAfter(t, ana); !after.Visible {
		t.Fatalf("made viewer from the lobby panel, Ana's focus is on %s, which she cannot see", after.Focused)
	}
}

// moderatingWithALobby is moderatingWithMo, Ana without devices, in a
// room whose lobby Mo then turns on.
func moderatingWithALobby(t *testing.T, srv *server.Server, room string) (mo *client.Client, ana *webtest.Browser, anaID string) {
	t.Helper()
	mo, ana, anaID = moderatingWithMo(t, srv, room, noDevices)
	on := true
	if err := mo.ChangeRoom(client.RoomSettings{Lobby: &on}); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.room?.lobby === true`)
	return mo, ana, anaID
}

// TestATileMenuClosesWhenTheMeetingIsDrawnAnew: Mo moderates in a
// browser and has the menu on Ben's tile open when he chooses German.
// The meeting is drawn anew, and the menu, which lives in <body>, goes
// with the old view rather than staying beside nothing.
func TestATileMenuClosesWhenTheMeetingIsDrawnAnew(t *testing.T) {
	_, mod, ben := moWithBen(t, "e2e-menu-language")
	tile := fmt.Sprintf(`.tile[data-participant=%q]`, ben.ID())
	mouseClick(t, mod, "Mo", tile+` .tile-menu`)
	waitAt(t, "Mo", mod, `document.querySelectorAll('.menu').length === 1`)

	chooseLanguage(t, mod, "de")
	waitAt(t, "Mo", mod, fmt.Sprintf(`document.documentElement.lang === "de" && !!document.querySelector(%q)`, tile+` .tile-menu`))
	if after := focusAfter(t, mod); after.Menus != 0 {
		t.Fatalf("after the language change Mo's page shows %d menus, want none", after.Menus)
	}
}
