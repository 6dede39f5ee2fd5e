package e2e

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/sfutest"
	"github.com/plenum-meet/plenum/web/webtest"
)

// videoFrom is the page's statistics of participant's camera.
func videoFrom(t *testing.T, b *webtest.Browser, participant string) webtest.VideoStats {
	t.Helper()
	s, err := b.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range s.Video {
		if v.Participant == participant && !v.Screen {
			return v
		}
	}
	t.Fatalf("no video from %s: %+v", participant, s.Video)
	return webtest.VideoStats{}
}

// Chromium's own NACKs, answered by the server's retransmissions over
// RTX (rebuilt from the publisher's one copy of each packet), keep video
// whole when 5 % of what the server sends is lost.
func TestBrowserVideoIsRepairedByNACKOverRTX(t *testing.T) {
	if os.Getenv("PLENUM_IMPAIRED_NETWORK_TESTS") != "1" {
		t.Skip("drops packets on lo: set PLENUM_IMPAIRED_NETWORK_TESTS=1, in a private network namespace, and run it alone")
	}
	srv, port, browsers, ids := twoDecodingEachOther(t, "e2e-loss")
	// A window without loss, then one with it, of the same length.
	const window = 8 * time.Second
	snapshot := func() []webtest.VideoStats {
		out := make([]webtest.VideoStats, len(browsers))
		for i, b := range browsers {
			out[i] = videoFrom(t, b, ids[1-i])
		}
		return out
	}
	start := snapshot()
	time.Sleep(window)
	clean := snapshot()
	server := srv.Manager().Totals()
	// 5 % of what the server's media port sends: media, repairs, RTCP.
	sfutest.DropOnLo(t, "plenume2eloss", "udp sport "+port, 5)
	time.Sleep(window)
	lossy := snapshot()

	for i := range browsers {
		a, b, c := start[i], clean[i], lossy[i]
		cleanFrames, frames := b.FramesDecoded-a.FramesDecoded, c.FramesDecoded-b.FramesDecoded
		nacks, plis, freezes := c.NACKCount-b.NACKCount, c.PLICount-b.PLICount, c.FreezeCount-b.FreezeCount
		t.Logf("browser %d, %v without loss: %d frames; %v with 5 %% loss: %d frames, %d NACKs, %d PLIs, %d freezes, %d packets received, %d counted lost, %d on the RTX stream",
			i, window, cleanFrames, window, frames, nacks, plis, freezes,
			c.PacketsReceived-b.PacketsReceived, c.PacketsLost-b.PacketsLost, c.RetransmittedPacketsReceived-b.RetransmittedPacketsReceived)
		if nacks == 0 {
			t.Errorf("browser %d sent no NACK: the loss rule did not reach it", i)
		}
		// Repaired, the picture goes on as before: without repairs a
		// lost packet breaks its frame and the ones that refer to it,
		// until a keyframe asked for with a PLI.
		if frames*4 < cleanFrames*3 {
			t.Errorf("browser %d decoded %d frames with loss, %d without: repairs did not keep the video whole", i, frames, cleanFrames)
		}
		if plis > 2 || freezes > 3 {
			t.Errorf("browser %d asked for %d keyframes and froze %d times with loss: not repaired", i, plis, freezes)
		}
	}
	after := srv.Manager().Totals()
	resent, rtx, rebuilt := after.Resent-server.Resent, after.ResentRTX-server.ResentRTX, after.ResentRebuilt-server.ResentRebuilt
	t.Logf("the server resent %d packets, %d on RTX streams, %d rebuilt from the publishers' copies", resent, rtx, rebuilt)
	if rtx == 0 || rebuilt != resent {
		t.Errorf("the server resent %d packets, %d over RTX and %d rebuilt: want all rebuilt, over RTX", resent, rtx, rebuilt)
	}
}

// twoDecodingEachOther starts a server, has Ana and Ben join room and
// waits until each decodes the other's video. It returns the server's
// media port, which a test can impair, and the browsers and their ids.
// Each of before, if any, adjusts the server before anyone joins.
func twoDecodingEachOther(t *testing.T, room string, before ...func(*server.Server)) (srv *server.Server, port string, browsers []*webtest.Browser, ids []string) {
	t.Helper()
	srv = startServer(t)
	for _, f := range before {
		f(srv)
	}
	port = mediaPort(t, srv)
	browsers, ids = joinAll(t, srv, room, nil, "Ana", "Ben")
	for i, b := range browsers {
		if _, err := b.WaitDecodes(ids[1-i], 20*time.Second); err != nil {
			t.Fatalf("browser %d: %v", i, err)
		}
	}
	return srv, port, browsers, ids
}

// mediaPort is the port srv receives and sends media on.
func mediaPort(t *testing.T, srv *server.Server) string {
	t.Helper()
	addrs := srv.MediaAddrs()
	if len(addrs) == 0 {
		t.Fatal("the server listens for media nowhere")
	}
	_, port, err := net.SplitHostPort(addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// cutMedia drops every packet srv's media port sends, from now until
// the test ends: the page's connections to it go "disconnected".
func cutMedia(t *testing.T, srv *server.Server, table string) {
	t.Helper()
	sfutest.CutOnLo(t, table, "udp sport "+mediaPort(t, srv))
}

// unstableNotice is true while the page shows that a connection is unstable.
const unstableNotice = `!!document.querySelector('.toast[data-key="unstable"]')`

// TestTheUnstableNoticeGoesWithTheUpConnectionOfOneMadeViewer: Ana's
// sending connection (her only one: Mo sends nothing) is cut, and the
// page says the connection is unstable; Mo makes her viewer, which
// closes it, and the notice goes.
func TestTheUnstableNoticeGoesWithTheUpConnectionOfOneMadeViewer(t *testing.T) {
	srv, mo, ana, anaID := moAndAPage(t, "e2e-unstable-viewer", "Ana", nil)
	eventually(t, time.Minute, "Ana sends her camera", func() (bool, string) {
		layers, err := ana.SentLayers()
		for _, l := range layers {
			if l.BytesSent > 0 {
				return true, ""
			}
		}
		return false, fmt.Sprint(layers, err)
	})
	cutMedia(t, srv, "plenume2eunstableviewer")
	waitAt(t, "Ana", ana, unstableNotice)

	if err := mo.SetRole(anaID, sfu.RoleViewer); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum.role === "viewer"`)
	if err := ana.WaitFor("!"+unstableNotice, 10*time.Second); err != nil {
		t.Fatalf("Ana, made viewer, still reads that her connection is unstable: %v", err)
	}
}
