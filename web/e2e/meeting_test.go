// Package e2e holds the end-to-end tests of the web client: real
// headless browsers join meetings on a real server over loopback and
// must decode each other's media.
package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/turn"
	"github.com/plenum-meet/plenum/web/webtest"
)

// startServer runs a whole Plenum on loopback for the test, with the
// built-in TURN server.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	srv, _ := startServerOn(t, "127.0.0.1:0")
	return srv
}

// startServerOn runs a whole Plenum whose HTTP side listens on listen;
// stop ends it before the test does (it ends at cleanup otherwise).
// adjust, if given, changes the configuration first (access, limits).
func startServerOn(t *testing.T, listen string, adjust ...func(*server.Config)) (srv *server.Server, stop func()) {
	t.Helper()
	webtest.Require(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cfg := server.Config{
		Listen:  listen,
		Network: sfu.NetworkConfig{Interfaces: []string{"lo"}},
		TURN: server.TURNConfig{
			Embedded: true, Secret: []byte("e2e"), CredentialTTL: time.Hour,
			Server: turn.Config{ListenIP: net.IPv4(127, 0, 0, 1), RelayIP: net.IPv4(127, 0, 0, 1)},
		},
		Logger: log,
	}
	for _, f := range adjust {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

// joinURL is the meeting link with autojoin, as a kiosk would open it.
func joinURL(srv *server.Server, room, name string, extra url.Values) string {
	q := url.Values{"autojoin": {"1"}, "name": {name}}
	for k, v := range extra {
		q[k] = v
	}
	// 127.0.0.1, not localhost: the browser resolves no name at all.
	return fmt.Sprintf("http://%s/%s?%s", srv.Addr(), room, q.Encode())
}

// joinAll opens one browser per name in room and waits until each has joined.
func joinAll(t *testing.T, srv *server.Server, room string, extra url.Values, names ...string) ([]*webtest.Browser, []string) {
	t.Helper()
	var browsers []*webtest.Browser
	var ids []string
	for _, name := range names {
		b := webtest.Launch(t)
		if err := b.Open(joinURL(srv, room, name, extra)); err != nil {
			t.Fatalf("%s opens the meeting: %v", name, err)
		}
		browsers = append(browsers, b)
	}
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum && window.plenum.state === "joined"`, 60*time.Second); err != nil {
			t.Fatalf("%s joins: %v", names[i], err)
		}
		id, err := b.ParticipantID()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return browsers, ids
}

func TestTwoBrowsersSeeAndHearEachOther(t *testing.T) {
	srv := startServer(t)
	browsers, ids := joinAll(t, srv, "e2e-two", nil, "Ana", "Ben")
	for i, b := range browsers {
		other := ids[1-i]
		s, err := b.WaitDecodes(other, 20*time.Second)
		if err != nil {
			t.Fatalf("browser %d: %v", i, err)
		}
		t.Logf("browser %d decodes %s: %+v", i, other, s.Video)
		checkRTX(t, b, i)
	}
}

// TestMediaFlowsBothWaysSoonAfterJoining: Ben joins Ana's meeting and
// they see and hear each other within seconds. The page once handled no
// server message while its first up offer waited for its answer, which
// was itself one of those messages: the answer, the down offer and all
// else came only once it gave up waiting, 10 s after joining.
func TestMediaFlowsBothWaysSoonAfterJoining(t *testing.T) {
	const soon = 7 * time.Second
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, nil, nil)
	ana, ben := browsers[0], browsers[1]
	if err := ana.Open(joinURL(srv, "e2e-soon", "Ana", nil)); err != nil {
		t.Fatal(err)
	}
	anaID := joinedWithin(t, ana, "Ana", 60*time.Second)
	if err := ana.WaitFor(`window.plenum.descriptions().up.remote !== ''`, 30*time.Second); err != nil {
		t.Fatalf("Ana publishes: %v", err)
	}
	if err := ben.Open(joinURL(srv, "e2e-soon", "Ben", nil)); err != nil {
		t.Fatal(err)
	}
	benID := joinedWithin(t, ben, "Ben", 60*time.Second)
	joined := time.Now()
	if _, err := ben.WaitDecodes(anaID, soon); err != nil {
		t.Fatalf("Ben, %v after joining: %v", time.Since(joined).Round(time.Millisecond), err)
	}
	if _, err := ana.WaitDecodes(benID, soon-time.Since(joined)); err != nil {
		t.Fatalf("Ana, %v after Ben joined: %v", time.Since(joined).Round(time.Millisecond), err)
	}
	t.Logf("Ana and Ben decode each other %v after Ben joined", time.Since(joined).Round(time.Millisecond))
}

// checkRTX fails the test unless browser i negotiated RTX (RFC 4588)
// for video both ways: the server's answer to its offer and its answer to
// the server's offer name RTX formats, and the server's offer gives each
// video stream its RTX stream (an SSRC group, FID).
func checkRTX(t *testing.T, b *webtest.Browser, i int) {
	t.Helper()
	d, err := b.Descriptions()
	if err != nil {
		t.Fatal(err)
	}
	rtx := func(sdp string) bool { return strings.Contains(sdp, "rtx/90000") && strings.Contains(sdp, "apt=") }
	if !rtx(d.Up.Remote) {
		t.Errorf("browser %d: the server's answer does not accept RTX from it:\n%s", i, d.Up.Remote)
	}
	if !rtx(d.Down.Local) || !strings.Contains(d.Down.Remote, "a=ssrc-group:FID ") {
		t.Errorf("browser %d: RTX not negotiated toward it; server's offer:\n%s\nits answer:\n%s", i, d.Down.Remote, d.Down.Local)
	}
	t.Logf("browser %d negotiated RTX both ways (its down answer: %d bytes)", i, len(d.Down.Local))
}

func TestRelayOnlyBrowsersMeetThroughBuiltInTURN(t *testing.T) {
	srv := startServer(t)
	browsers, ids := joinAll(t, srv, "e2e-relay", url.Values{"relay": {"1"}}, "Ana", "Ben")
	for i, b := range browsers {
		s, err := b.WaitDecodes(ids[1-i], 30*time.Second)
		if err != nil {
			t.Fatalf("browser %d: %v", i, err)
		}
		if s.CandidatePair == nil || !s.CandidatePair.Relayed {
			t.Fatalf("browser %d decodes, but not through a relay: %+v", i, s.CandidatePair)
		}
	}
	if n := srv.TURN().Allocations(); n == 0 {
		t.Fatal("the built-in TURN server holds no allocation")
	}
}

// renameParticipants, run before the page's own scripts, plays a server
// that renames someone: after window.renames[id] = name, each
// participant-joined or participant-updated for id reaches the page with
// that name.
const renameParticipants = `(() => {
  window.renames = {};
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, listener, ...rest) {
    if (type !== 'message') return add.call(this, type, listener, ...rest);
    return add.call(this, type, (event) => {
      let msg = null;
      try { msg = JSON.parse(event.data); } catch { /* not ours to judge */ }
      const name = window.renames[msg?.participant?.id];
      if (name === undefined || !['participant-joined', 'participant-updated'].includes(msg.type)) return listener.call(this, event);
      msg.participant.name = name;
      return listener.call(this, new MessageEvent('message', { data: JSON.stringify(msg) }));
    }, ...rest);
  };
})()`

// TestTheFullScreenButtonNamesARenamedParticipant: Ben, on Ana's
// screen, is renamed Cleo (a participant-updated with her new name);
// every button of the tile, full screen and pin too, names Cleo, none
// Ben.
func TestTheFullScreenButtonNamesARenamedParticipant(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-rename"
	ana := webtest.Launch(t)
	doAt(t, "Ana", ana, beforeScripts(renameParticipants))
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	ben := dialGoAs(t, srv, room, "Ben", false)
	tile := fmt.Sprintf(`.tile[data-participant=%q]`, ben.ID())
	waitAt(t, "Ana", ana, fmt.Sprintf(`!!document.querySelector(%q)`, tile+` .tile-actions`))

	run(t, ana, fmt.Sprintf(`window.renames[%q] = "Cleo"`, ben.ID()))
	if err := ben.SetMuted(true, true); err != nil { // a participant-updated
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, fmt.Sprintf(`document.querySelector(%q)?.textContent === "Cleo"`, tile+` .tile-name`))
	var stale []string
	if err := ana.Eval(fmt.Sprintf(`[...document.querySelectorAll(%q)]
		.map((el) => el.getAttribute('aria-label') + ' / ' + el.title).filter((l) => l.includes('Ben'))`, tile+` button`), &stale); err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Fatalf("after Ben was renamed Cleo, buttons of the tile still name him: %q", stale)
	}
}
