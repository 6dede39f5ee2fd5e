package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// typeInto types text into the field that matches the CSS selector,
// replacing what it held.
func typeInto(t *testing.T, b *webtest.Browser, selector, text string) {
	t.Helper()
	clear := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = ''; e.focus(); return true; })()`, selector)
	if err := b.Eval(clear, new(bool)); err != nil {
		t.Fatalf("focus %s: %v", selector, err)
	}
	if err := b.Do(chromedp.KeyEvent(text)); err != nil {
		t.Fatalf("type into %s: %v", selector, err)
	}
}

func TestPasswordPromptRetriesWithoutReloadAndRemovalIsFinal(t *testing.T) {
	srv := startServer(t)
	const room, password = "e2e-password", "council-2026"

	// A moderator (a Go participant, first in the room) sets a password.
	mo := dialGo(t, srv, room, false)
	pw := password
	if err := mo.ChangeRoom(client.RoomSettings{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the room has a password", func() (bool, string) {
		s := mo.RoomState()
		return s.Password, fmt.Sprintf("%+v", s)
	})

	// Bea, who has no camera, is asked for the password.
	b := webtest.Launch(t, noCamera)
	if err := b.Open(joinURL(srv, room, "Bea", nil)); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`window.plenum?.state === "password" && !!document.querySelector("#room-password")`, time.Minute); err != nil {
		t.Fatalf("Bea is not asked for the password: %v", err)
	}
	// A wrong one: asked again, told it is wrong, the page not reloaded.
	if err := b.Eval(`(() => { window.notReloaded = true; return true; })()`, new(bool)); err != nil {
		t.Fatal(err)
	}
	typeInto(t, b, "#room-password", "not-the-password")
	mouseClick(t, b, "Bea", `[data-action="submit-password"]`)
	if err := b.WaitFor(`window.plenum.state === "password" && !document.querySelector("#password-error").hidden && window.notReloaded === true`, time.Minute); err != nil {
		t.Fatalf("Bea is not told the password is wrong: %v", err)
	}
	// The right one lets her in.
	typeInto(t, b, "#room-password", password)
	mouseClick(t, b, "Bea", `[data-action="submit-password"]`)
	beaID := joinedWithin(t, b, "Bea", time.Minute)

	// Removed (and banned), she is told so and offered no rejoin.
	if err := mo.Remove(beaID, true); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`window.plenum.state === "error" && window.plenum.lastError.code === "removed"`, time.Minute); err != nil {
		t.Fatalf("Bea's page does not show her removal: %v", err)
	}
	if title, buttons := messageScreen(t, b); title != "You were removed" || buttons != 1 {
		t.Fatalf("removal screen %q with %d buttons, want the title and only a new-meeting button", title, buttons)
	}
}

// serverWithViewerLink runs a server that checks signed links, and
// returns it with the token of a viewer link to room named Press, as
// `plenum link --role viewer` makes it.
func serverWithViewerLink(t *testing.T, room string) (*server.Server, string) {
	t.Helper()
	return serverWithLink(t, room, auth.RoleViewer, "Press")
}

// serverWithViewerLinkIn is serverWithViewerLink with its key kept in
// dataDir, for a test to rotate it.
func serverWithViewerLinkIn(t *testing.T, room, dataDir string) (*server.Server, string) {
	t.Helper()
	return serverWithLinkIn(t, room, auth.RoleViewer, "Press", dataDir)
}

// serverWithLink runs a server that checks signed links (anyone may
// still come without one), and returns it with the token of a link to
// room with role, naming its holder name, as `plenum link --role role
// --name name` makes it.
func serverWithLink(t *testing.T, room, role, name string) (*server.Server, string) {
	t.Helper()
	return serverWithLinkIn(t, room, role, name, t.TempDir())
}

// serverWithLinkIn is serverWithLink with its key kept in dataDir.
func serverWithLinkIn(t *testing.T, room, role, name, dataDir string) (*server.Server, string) {
	t.Helper()
	keys, err := auth.OpenKeyring(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startServerOn(t, "127.0.0.1:0", func(c *server.Config) { c.Access.Links = keys })
	token, err := keys.Sign(auth.Claims{Room: room, Role: role, Expires: time.Now().Add(time.Hour).Unix(), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return srv, token
}

func TestViewerLinkJoinsWithoutDevicesAndReceives(t *testing.T) {
	const room = "e2e-viewer"
	// The press gets a viewer link.
	srv, token := serverWithViewerLink(t, room)

	// Someone publishes (a Go participant with synthetic media).
	mo := dialGo(t, srv, room, true)

	b := webtest.Launch(t)
	if err := b.Open(joinURL(srv, room, "", nil) + "#token=" + token); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, b, "Press", time.Minute)
	var seen struct {
		Role      string `json:"role"`
		Name      string `json:"name"`
		Mic       bool   `json:"mic"`
		UpOffered bool   `json:"upOffered"`
	}
	if err := b.Eval(`({role: window.plenum.role, name: document.querySelector(".tile-local .tile-name").textContent,
		mic: !document.querySelector(".toolbar .ctl").hidden,
		upOffered: !!(document.querySelector('.toolbar .ctl-screen') && !document.querySelector('.toolbar .ctl-screen').hidden)})`, &seen); err != nil {
		t.Fatal(err)
	}
	if seen.Role != "viewer" || seen.Mic || seen.UpOffered {
		t.Fatalf("viewer's page: %+v, want role viewer and no microphone or share controls", seen)
	}
	if !strings.Contains(seen.Name, "Press") {
		t.Fatalf("the local tile is named %q, want the link's name Press", seen.Name)
	}
	if layers, err := b.SentLayers(); err != nil || len(layers) != 0 {
		t.Fatalf("the viewer sends %v (%v), want nothing", layers, err)
	}
	// The Go participant's synthetic video is no real VP8 (nothing to
	// decode): what arrives is what counts.
	eventually(t, time.Minute, "the viewer receives the publisher's media", func() (bool, string) {
		s, err := b.Stats()
		if err != nil {
			return false, err.Error()
		}
		v, _ := s.VideoFrom(mo.ID())
		audio, _ := s.AudioPacketsFrom(mo.ID())
		return v.BytesReceived > 0 && audio > 0, fmt.Sprintf("video %+v, audio packets %d", v, audio)
	})
}

// countDeviceRequests makes the page count its getUserMedia calls (each
// may prompt for a camera or microphone, and lights its indicator).
const countDeviceRequests = `(() => {
  window.deviceRequests = 0;
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c) => { window.deviceRequests += 1; return real(c); };
})()`

// TestAViewerWhoRejoinsIsNotAskedForDevices: the holder of a viewer link
// leaves and rejoins from the page that says they left; the page asks
// for no microphone or camera, the second time no more than the first.
func TestAViewerWhoRejoinsIsNotAskedForDevices(t *testing.T) {
	const room = "e2e-viewer-rejoin"
	srv, token := serverWithViewerLink(t, room)
	dialGo(t, srv, room, false)
	b := webtest.Launch(t)
	doAt(t, "Press", b, beforeScripts(countDeviceRequests))
	if err := b.Open(joinURL(srv, room, "", nil) + "#token=" + token); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, b, "Press", time.Minute)
	mouseClick(t, b, "Press", ".ctl-leave")
	waitAt(t, "Press", b, `window.plenum.state === "left"`)
	mouseClick(t, b, "Press", ".message-card .btn-primary")
	joinedWithin(t, b, "Press", time.Minute)
	if n, err := evalJS[int](b, `window.deviceRequests`); err != nil || n != 0 {
		t.Fatalf("the viewer's page asked for devices %d times (%v), want never", n, err)
	}
}

// dialGo joins room as Mo, a Go participant (the moderator when first
// in), publishing synthetic media if publish; it leaves at the end of
// the test.
func dialGo(t *testing.T, srv *server.Server, room string, publish bool) *client.Client {
	t.Helper()
	return dialGoAs(t, srv, room, "Mo", publish)
}

// dialGoAs is dialGo with another name.
func dialGoAs(t *testing.T, srv *server.Server, room, name string, publish bool) *client.Client {
	t.Helper()
	return dialGoWith(t, srv, client.Config{Room: room, Name: name, Publish: publish})
}

// dialGoWith is dialGo with a whole configuration, its URL filled in.
func dialGoWith(t *testing.T, srv *server.Server, cfg client.Config) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg.URL = "ws://" + srv.Addr().String() + "/_/ws"
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Rotating the key (the link leaked) puts its holder out of the meeting
// at once: the page says why and offers no rejoin with the dead link.
func TestAHolderOfARevokedLinkIsToldWhy(t *testing.T) {
	const room = "e2e-revoked"
	dir := t.TempDir()
	srv, token := serverWithViewerLinkIn(t, room, dir)
	b := webtest.Launch(t)
	if err := b.Open(joinURL(srv, room, "", nil) + "#token=" + token); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, b, "Press", time.Minute)

	if err := auth.RotateKey(dir); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`window.plenum.state === "error" && window.plenum.lastError.code === "link-revoked"`, time.Minute); err != nil {
		t.Fatalf("the page does not show that the link was revoked: %v", err)
	}
	if title, buttons := messageScreen(t, b); title != "Your link was revoked" || buttons != 1 {
		t.Fatalf("screen %q with %d buttons, want the title and only a new-meeting button", title, buttons)
	}
}

// messageScreen reads the title and the number of buttons of the
// message the page shows (an error, a removal).
func messageScreen(t *testing.T, b *webtest.Browser) (title string, buttons int) {
	t.Helper()
	var screen struct {
		Title   string `json:"title"`
		Buttons int    `json:"buttons"`
	}
	if err := b.Eval(`({title: document.querySelector(".message-title").textContent, buttons: document.querySelectorAll(".message-card .actions button").length})`, &screen); err != nil {
		t.Fatal(err)
	}
	return screen.Title, screen.Buttons
}
