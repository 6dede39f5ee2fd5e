package e2e

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// screenShown is true in a page when participant's screen share is in
// the spotlight and its video element shows a picture.
func screenShown(participant string) string {
	return fmt.Sprintf(`(() => {
		const l = window.plenum.layout();
		const v = document.querySelector('.spotlight .tile-screen[data-screen=%q] video');
		return !!l && l.featured.includes(%q) && !!v && v.videoWidth > 0;
	})()`, participant, participant+"~screen")
}

// With Chromium's fake media UI (webtest's launcher sets
// --use-fake-ui-for-media-stream), getDisplayMedia picks a fake 800x600
// "screen" with sound, without any picker: no other flag is needed on
// Chromium 156.
func TestScreenShareIsReceivedAndShownOnTheStage(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, []chromedp.ExecAllocatorOption{noCamera})
	ana, ben := browsers[0], browsers[1]
	enter(t, srv, ana, "e2e-screen", "Ana", [2]int64{})
	enter(t, srv, ben, "e2e-screen", "Ben", [2]int64{})
	waitAllJoined(t, browsers)
	anaID, err := ana.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ben.WaitDecodes(anaID, 30*time.Second); err != nil {
		t.Fatalf("Ben before the share: %v", err)
	}

	// A real click: getDisplayMedia needs a user gesture.
	if err := ana.Do(chromedp.Click(".ctl-screen")); err != nil {
		t.Fatalf("Ana clicks share: %v", err)
	}
	var sent struct {
		FrameWidth int `json:"frameWidth"`
		BytesSent  int `json:"bytesSent"`
	}
	eventually(t, 20*time.Second, "Ana sends her screen", func() (bool, string) {
		err := ana.Eval(`window.plenum.screenSent()`, &sent)
		return err == nil && sent.BytesSent > 0, fmt.Sprintf("%+v %v", sent, err)
	})

	frames := -1
	seen := eventually(t, 30*time.Second, "Ben decodes Ana's screen", func() (bool, string) {
		s, err := ben.Stats()
		if err != nil {
			return false, err.Error()
		}
		v, ok := s.ScreenFrom(anaID)
		moving := ok && frames >= 0 && v.FramesDecoded > frames
		frames = v.FramesDecoded
		return moving, fmt.Sprintf("%+v", s.Video)
	})
	t.Logf("Ben receives: %s", seen)
	if err := ben.WaitFor(screenShown(anaID), 10*time.Second); err != nil {
		t.Fatalf("Ben's stage: %v", err)
	}
	s, err := ben.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// One layer, sent whole: what arrives is what Ana encodes.
	if v, _ := s.ScreenFrom(anaID); v.FrameWidth != sent.FrameWidth && sent.FrameWidth > 0 {
		t.Errorf("Ben receives the screen %d wide, Ana sends it %d wide", v.FrameWidth, sent.FrameWidth)
	}
	// Ana's camera keeps coming, beside the screen.
	if v, ok := s.VideoFrom(anaID); !ok || v.FramesDecoded == 0 {
		t.Errorf("Ben no longer decodes Ana's camera: %+v", s.Video)
	}

	// Stopping without rejoining: the stage goes, the grid comes back.
	if err := ana.Do(chromedp.Click(".ctl-screen")); err != nil {
		t.Fatalf("Ana clicks stop: %v", err)
	}
	gone := `(() => { const l = window.plenum.layout(); return !!l && l.featured.length === 0 && !document.querySelector('.tile-screen'); })()`
	if err := ben.WaitFor(gone, 15*time.Second); err != nil {
		t.Fatalf("Ben's stage after the share: %v", err)
	}
	if err := ana.WaitFor(`window.plenum.state === "joined"`, time.Second); err != nil {
		t.Fatalf("Ana after stopping: %v", err)
	}
}

// TestTheShareButtonStaysPressedAcrossALanguageChange: the meeting
// screen is drawn again in the new language while Ana shares her screen;
// its share button still says she shares, and stops the share.
func TestTheShareButtonStaysPressedAcrossALanguageChange(t *testing.T) {
	srv := startServer(t)
	ana := webtest.Launch(t) // the fake devices give the fake screen too
	if err := ana.Open(joinURL(srv, "e2e-screen-lang", "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum && window.plenum.state === "joined"`)
	doAt(t, "Ana", ana, chromedp.Click(".ctl-screen")) // a real click: getDisplayMedia needs a gesture
	waitAt(t, "Ana", ana, `document.querySelector('.ctl-screen')?.getAttribute('aria-pressed') === 'true'`)

	chooseLanguage(t, ana, "de")
	waitAt(t, "Ana", ana, `document.documentElement.lang === "de" && window.plenum.state === "joined"`)
	var button struct {
		Pressed, Title string
		Active         bool
	}
	if err := ana.Eval(`(() => { const b = document.querySelector('.ctl-screen');
		return {pressed: b.getAttribute('aria-pressed'), title: b.title, active: b.classList.contains('ctl-active')}; })()`, &button); err != nil {
		t.Fatal(err)
	}
	if button.Pressed != "true" || button.Title != "Bildschirmfreigabe beenden (D)" || !button.Active {
		t.Fatalf("after the language change, the share button shows %+v, want pressed, saying it stops the share", button)
	}
	// And it does.
	doAt(t, "Ana", ana, chromedp.Click(".ctl-screen"))
	waitAt(t, "Ana", ana, `document.querySelector('.ctl-screen')?.getAttribute('aria-pressed') === 'false'`)
	var sent any
	if err := ana.Eval(`window.plenum.screenSent()`, &sent); err != nil || sent != nil {
		t.Fatalf("Ana still shares after stopping: %v (%v)", sent, err)
	}
}

// holdUpAnswers, run before the page's own scripts, lets the test make
// the server look slow: after window.holdNextUpAnswer(ms), the next
// answer for the up connection, and every message after it, reach the
// page only ms later, in their order.
const holdUpAnswers = `(() => {
  let armed = 0;
  let holding = false;
  const held = [];
  window.holdNextUpAnswer = (ms) => { armed = ms; };
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, listener, ...rest) {
    if (type !== 'message') return add.call(this, type, listener, ...rest);
    return add.call(this, type, (event) => {
      const deliver = () => listener.call(this, event);
      if (holding) {
        held.push(deliver);
        return;
      }
      if (armed) {
        let msg = null;
        try { msg = JSON.parse(event.data); } catch { /* not ours to judge */ }
        if (msg?.type === 'answer' && msg.pc === 'up') {
          holding = true;
          held.push(deliver);
          setTimeout(() => {
            holding = false;
            for (const d of held.splice(0)) d();
          }, armed);
          armed = 0;
          return;
        }
      }
      deliver();
    }, ...rest);
  };
})()`

// beforeScripts runs src in every page b opens from now on, before the
// page's own scripts.
func beforeScripts(src string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return chromedp.Void{}, err
	}
}

// TestALateUpAnswerIsNotAppliedToANewerOffer: the server is slow to
// answer the offer that adds Ana's screen share; the page stops waiting
// after 10 s, and her stopping the share offers again. The late answer,
// which then comes first, is the older offer's: the page must not apply
// it to the newer one (nor then fail on the newer one's answer), and
// stays in the meeting with the answer that fits.
func TestALateUpAnswerIsNotAppliedToANewerOffer(t *testing.T) {
	srv := startServer(t)
	ana := webtest.Launch(t)
	doAt(t, "Ana", ana, beforeScripts(holdUpAnswers))
	if err := ana.Open(joinURL(srv, "e2e-late-answer", "Ana", url.Values{"camera": {"0"}})); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum && window.plenum.state === "joined" && window.plenum.descriptions().up.remote !== ''`)

	if err := ana.Eval(`window.holdNextUpAnswer(13000), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	doAt(t, "Ana", ana, chromedp.Click(".ctl-screen"))
	waitAt(t, "Ana", ana, `document.querySelector('.ctl-screen')?.getAttribute('aria-pressed') === 'true'`)
	time.Sleep(11 * time.Second) // past the page's 10 s wait for an answer
	doAt(t, "Ana", ana, chromedp.Click(".ctl-screen"))
	waitAt(t, "Ana", ana, `document.querySelector('.ctl-screen')?.getAttribute('aria-pressed') === 'false'`)

	// Both answers come once the hold ends (13 s after the first).
	time.Sleep(5 * time.Second)
	var state struct {
		State         string
		Error         any
		Local, Remote int
	}
	if err := ana.Eval(`(() => { const d = window.plenum.descriptions().up;
		const sections = (sdp) => sdp.split('\n').filter((l) => l.startsWith('m=')).length;
		return {state: window.plenum.state, error: window.plenum.lastError,
			local: sections(d.local), remote: sections(d.remote)}; })()`, &state); err != nil {
		t.Fatal(err)
	}
	if state.State != "joined" || state.Error != nil || state.Local != state.Remote {
		t.Fatalf("after a late answer: %+v, want still in the meeting with matching descriptions", state)
	}
	if n := srv.Manager().ParticipantCount(); n != 1 {
		t.Fatalf("%d participants on the server, want Ana", n)
	}
}

// TestAScreenSharesButtonsAreToldFromItsSharersCamera: Ben shares his
// screen; on Ana's page no button of his screen's tile is named as one
// of his camera tile's ("Pin Ben"), which a screen reader could not
// tell apart.
func TestAScreenSharesButtonsAreToldFromItsSharersCamera(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-screen-labels"
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	ben := dialGoWith(t, srv, client.Config{Room: room, Name: "Ben", Publish: true, Screen: true})
	camera := fmt.Sprintf(`.tile[data-participant=%q] .tile-actions button`, ben.ID())
	screen := fmt.Sprintf(`.tile-screen[data-screen=%q] .tile-actions button`, ben.ID())
	waitAt(t, "Ana", ana, fmt.Sprintf(`!!document.querySelector(%q) && !!document.querySelector(%q)`, camera, screen))

	var labels struct{ Camera, Screen []string }
	if err := ana.Eval(fmt.Sprintf(`(() => { const labels = (sel) => [...document.querySelectorAll(sel)].map((b) => b.getAttribute('aria-label'));
		return {camera: labels(%q), screen: labels(%q)}; })()`, camera, screen), &labels); err != nil {
		t.Fatal(err)
	}
	for _, l := range labels.Screen {
		if slices.Contains(labels.Camera, l) {
			t.Errorf("Ben's screen tile has a button named %q, as his camera tile does (camera: %q, screen: %q)", l, labels.Camera, labels.Screen)
		}
	}
}
