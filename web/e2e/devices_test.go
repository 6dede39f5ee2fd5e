package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plenum-meet/plenum/web/webtest"
)

// twoCameras gives a browser fake cameras to switch between. Chromium's
// second fake camera is a depth camera (16-bit grey, which the encoder
// does not take); the third is an ordinary MJPEG one.
var twoCameras = chromedp.Flag("use-fake-device-for-media-stream", "device-count=3")

// waitAllJoined waits, generously, until every page has joined: on a
// loaded 2-core machine two browsers starting at once can take a minute.
func waitAllJoined(t *testing.T, browsers []*webtest.Browser) {
	t.Helper()
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum && window.plenum.state === "joined"`, 90*time.Second); err != nil {
			var state any
			_ = b.Eval(`({state: window.plenum?.state, error: window.plenum?.lastError})`, &state)
			t.Fatalf("browser %d joins: %v (page: %v)", i, err, state)
		}
	}
}

// settings opens the settings dialog of b's meeting.
func settings(t *testing.T, b *webtest.Browser) {
	t.Helper()
	// A click event rather than a pointer click: nothing here needs a
	// user gesture, and the toolbar may move while the page settles.
	run(t, b, `document.querySelector('.ctl-settings').click()`)
	if err := b.WaitFor(`!!document.querySelector('dialog.settings[open]')`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestCameraSwitchAudioOnlyAndQualityMidCall(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, []chromedp.ExecAllocatorOption{twoCameras}, []chromedp.ExecAllocatorOption{noCamera})
	ana, ben := browsers[0], browsers[1]
	enter(t, srv, ana, "e2e-devices", "Ana", [2]int64{})
	enter(t, srv, ben, "e2e-devices", "Ben", [2]int64{})
	waitAllJoined(t, browsers)
	anaID, err := ana.ParticipantID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ben.WaitDecodes(anaID, 30*time.Second); err != nil {
		t.Fatalf("Ben: %v", err)
	}

	// Ana switches to her second camera: same call, same encodings.
	settings(t, ana)
	const localDevice = `document.querySelector('.tile-local video').srcObject?.getVideoTracks()[0]?.getSettings().deviceId || ''`
	var before string
	if err := ana.Eval(localDevice, &before); err != nil {
		t.Fatal(err)
	}
	run(t, ana, `const s = document.querySelector('dialog.settings select[id^="set-cam"]');
		const other = [...s.options].reverse().find((o) => o.value && o.value !== s.value);
		if (!other) throw new Error('one camera only: ' + s.options.length);
		s.value = other.value;
		s.dispatchEvent(new Event('change'))`)
	eventually(t, 15*time.Second, "Ana's camera is the other one", func() (bool, string) {
		var now, options string
		err := ana.Eval(localDevice, &now)
		_ = ana.Eval(`[...document.querySelector('dialog.settings select[id^="set-cam"]').options].map((o) => o.value.slice(0, 8) + ' ' + o.text).join(', ')`, &options)
		return err == nil && now != "" && now != before, fmt.Sprintf("%.8s (was %.8s; cameras %s) %v", now, before, options, err)
	})
	receives(t, ben, ana, "Ben", anaID, 20*time.Second, "after the switch", func(int) bool { return true })
	layers, err := ana.SentLayers()
	if err != nil || len(layers) != 3 {
		t.Fatalf("Ana's encodings after the switch: %s %v", layersString(layers), err)
	}
	if err := ana.WaitFor(`window.plenum.state === "joined"`, time.Second); err != nil {
		t.Fatal(err)
	}

	// Quality badges and the statistics table at Ben's.
	badge := fmt.Sprintf(`(() => { const b = document.querySelector('.tile[data-participant=%q] .tile-quality'); return !!b && !b.hidden && ['good','fair','poor'].includes(b.dataset.level); })()`, anaID)
	if err := ben.WaitFor(badge, 15*time.Second); err != nil {
		t.Fatalf("Ben's badge for Ana: %v", err)
	}
	settings(t, ben)
	run(t, ben, `document.querySelector('dialog.settings details.stats').open = true`)
	var table string
	eventually(t, 10*time.Second, "Ben's statistics list Ana", func() (bool, string) {
		err := ben.Eval(`document.querySelector('dialog.settings .stats-table tbody')?.textContent || ''`, &table)
		return err == nil && strings.Contains(table, "Ana"), table
	})

	// Audio only: nothing more of Ana's camera arrives, her sound does.
	run(t, ben, `document.querySelector('dialog.settings input[type="checkbox"]').click()`)
	last := -1
	eventually(t, 20*time.Second, "Ben receives no more video", func() (bool, string) {
		s, err := ben.Stats()
		if err != nil {
			return false, err.Error()
		}
		v, _ := s.VideoFrom(anaID)
		n := v.BytesReceived
		still := n == last
		last = n
		return still, fmt.Sprintf("%d bytes", n)
	})
	p0 := audioFrom(t, ben, anaID)
	eventually(t, 10*time.Second, "Ben still hears Ana", func() (bool, string) {
		n := audioFrom(t, ben, anaID)
		return n > p0, fmt.Sprintf("%d packets (had %d)", n, p0)
	})
	run(t, ben, `document.querySelector('dialog.settings input[type="checkbox"]').click()`)
	receives(t, ben, ana, "Ben", anaID, 20*time.Second, "after audio only", func(int) bool { return true })
}

// holdDevices makes b's getUserMedia wait, as a prompt or a slow camera
// does, until releaseDevices; window.heldTracks keeps every track it
// then gives the page, and window.devicesAsked counts the requests.
func holdDevices(t *testing.T, b *webtest.Browser) {
	t.Helper()
	run(t, b, `(() => {
		const md = navigator.mediaDevices;
		const gum = window.realGetUserMedia ??= md.getUserMedia.bind(md);
		let release;
		const released = new Promise((resolve) => { release = resolve; });
		window.releaseDevices = release;
		window.heldTracks = [];
		window.devicesAsked = 0;
		md.getUserMedia = async (c) => {
			window.devicesAsked++;
			await released;
			const s = await gum(c);
			window.heldTracks.push(...s.getTracks());
			return s;
		};
	})()`)
}

// releaseDevices lets b's held getUserMedia go on and waits until its
// tracks reached the page.
func releaseDevices(t *testing.T, b *webtest.Browser, who string) {
	t.Helper()
	run(t, b, `window.releaseDevices()`)
	waitAt(t, who, b, `window.heldTracks.length > 0`)
	time.Sleep(500 * time.Millisecond) // the page's handling of them
}

// TestACameraTurnedOffWhileStartingStaysOff: Bea turns her camera on
// and, while it is still starting, Mo (a moderator) turns it off; later
// she turns it on again and leaves before it has started. Each time the
// camera that then arrives is stopped (its light goes off) and her page
// shows it off: it does not come on after all.
func TestACameraTurnedOffWhileStartingStaysOff(t *testing.T) {
	_, mo, bea, beaID := moAndAPage(t, "e2e-late-camera", "Bea", noDevices)
	const camButton = `.toolbar .ctl[aria-keyshortcuts="V"]`
	stopped := `window.heldTracks.every((t) => t.readyState === 'ended')`

	holdDevices(t, bea)
	click(t, bea, camButton)
	waitAt(t, "Bea", bea, `window.devicesAsked === 1`)
	if err := mo.MuteParticipant(beaID, false, true); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Bea", bea, `!!document.querySelector('.toast[data-key="muted"]')`)
	releaseDevices(t, bea, "Bea")
	var page struct {
		Stopped, CamOff bool
		Pressed         string
	}
	if err := bea.Eval(`({stopped: `+stopped+`, camOff: window.plenum.muted.video,
		pressed: document.querySelector('`+camButton+`').getAttribute('aria-pressed')})`, &page); err != nil {
		t.Fatal(err)
	}
	if !page.Stopped || !page.CamOff || page.Pressed != "true" {
		t.Fatalf("Bea's camera, muted by Mo while starting, came on: %+v; want its track stopped and the camera shown off", page)
	}
	if p := mo.Participants()[beaID]; !p.VideoMuted {
		t.Fatalf("Mo sees Bea's camera on: %+v", p)
	}

	holdDevices(t, bea)
	click(t, bea, camButton)
	waitAt(t, "Bea", bea, `window.devicesAsked === 1`)
	click(t, bea, ".ctl-leave")
	waitAt(t, "Bea", bea, `window.plenum.state === "left"`)
	releaseDevices(t, bea, "Bea")
	if err := bea.Eval(stopped, &page.Stopped); err != nil || !page.Stopped {
		t.Fatalf("the camera Bea turned on before leaving came on after she left (stopped %v, %v)", page.Stopped, err)
	}
}
