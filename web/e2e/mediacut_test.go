package e2e

import (
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/sfutest"
	"github.com/plenum-meet/plenum/web/webtest"
)

// TestMediaComesBackAfterTheMediaNetworkWasGoneLongerThanICEWaits: all
// UDP to and from the server's media port is dropped for 20 s while the
// signaling stays. Every peer connection fails (the server's after 14 s,
// sfu/engine.go) and each page restarts ICE on both of its own, the
// network still gone. When the network comes back, media flows both ways
// again and both sessions stay, past the resume grace that started when
// the connections failed.
func TestMediaComesBackAfterTheMediaNetworkWasGoneLongerThanICEWaits(t *testing.T) {
	srv, port, browsers, ids := twoDecodingEachOther(t, "e2e-media-cut")

	// Longer than the 14 s after which the connections fail, and long
	// enough after the pages restart ICE (16 to 18 s into the cut) that
	// the restarted connections' first checks all go unanswered.
	const cut = 20 * time.Second
	restore := sfutest.CutOnLo(t, "plenume2ecut", "udp sport "+port, "udp dport "+port)
	cutAt := time.Now()
	// Both pages restart ICE on both connections while the network is
	// gone: the up connection themselves, the down one by asking the server.
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum.reconnects.iceRestarts >= 2`, 40*time.Second); err != nil {
			t.Fatalf("browser %d did not restart ICE on both connections while the media network was cut: %v (%v)", i, err, reconnects(b))
		}
	}
	time.Sleep(time.Until(cutAt.Add(cut)))
	// Once each: applying its restart's answer, Chromium reports the up
	// connection failed for an instant, which is no reason to restart it
	// again.
	for i, b := range browsers {
		var n int
		if err := b.Eval(`window.plenum.reconnects.iceRestarts`, &n); err != nil || n != 2 {
			t.Errorf("browser %d restarted ICE %d times (%v), want once on each connection", i, n, err)
		}
	}
	from := make([]int, len(browsers))
	for i, b := range browsers {
		from[i] = framesFrom(t, b, ids[1-i])
	}
	restore()
	restoredAt := time.Now()

	// On loopback a connection whose checks get through again connects
	// within a second or two; 15 s leaves room for a page's checks of a
	// pair they gave up on, which Chromium repeats only every few
	// seconds, and for a second ICE restart. It is also the bound that
	// matters: a media connection still failed ends its session when
	// the grace that started 14 s into the cut is over, about 14 s
	// after the network is back.
	deadline := restoredAt.Add(15 * time.Second)
	for i, b := range browsers {
		for framesFrom(t, b, ids[1-i]) < from[i]+20 {
			if time.Now().After(deadline) {
				t.Fatalf("browser %d decodes no new frames from %s %v after the media network is back (still %d; state %v)",
					i, ids[1-i], time.Since(restoredAt).Round(time.Millisecond), framesFrom(t, b, ids[1-i]), reconnects(b))
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("browser %d decodes again %v after the network is back", i, time.Since(restoredAt).Round(time.Millisecond))
	}

	// Past the end of the grace that started when the connections
	// failed, both are still in the meeting, media flowing.
	time.Sleep(time.Until(cutAt.Add(14*time.Second + sfu.DefaultResumeGrace + 3*time.Second)))
	for i, b := range browsers {
		var state string
		if err := b.Eval(`window.plenum.state`, &state); err != nil || state != "joined" {
			t.Fatalf("browser %d is %q (%v) after the grace, want joined", i, state, err)
		}
		keepsDecoding(t, b, ids[1-i], framesFrom(t, b, ids[1-i]), 5*time.Second)
	}
	if n := srv.Manager().ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server after the grace, want 2", n)
	}
}

// reconnects is b's count of reconnections and ICE restarts, and its
// session's state, for a failure's message.
func reconnects(b *webtest.Browser) any {
	var v any
	if err := b.Eval(`({state: window.plenum.state, reconnects: window.plenum.reconnects})`, &v); err != nil {
		return err
	}
	return v
}

// TestAPageWhoseMediaWasLostPastTheGraceJoinsAgainByItself: the media
// network is gone longer than the grace (here 2 s) leaves after the
// connections fail, the signaling staying. The server removes both
// participants (media-failed), and each page, rather than showing the
// error, joins the meeting again by itself: once the network is back,
// each decodes the other's video under its new id.
func TestAPageWhoseMediaWasLostPastTheGraceJoinsAgainByItself(t *testing.T) {
	srv, port, browsers, _ := twoDecodingEachOther(t, "e2e-media-rejoin", func(srv *server.Server) {
		srv.Manager().SetResumeGrace(2 * time.Second)
	})

	// The connections fail 14 to 18 s into the cut and the grace is
	// over 2 s later, the network still gone.
	const cut = 22 * time.Second
	restore := sfutest.CutOnLo(t, "plenume2erejoin", "udp sport "+port, "udp dport "+port)
	cutAt := time.Now()
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum.reconnects.rejoined >= 1`, cut); err != nil {
			var st struct {
				State     string
				LastError any
			}
			_ = b.Eval(`({state: window.plenum.state, lastError: window.plenum.lastError})`, &st)
			t.Fatalf("browser %d did not join again after its media was lost past the grace: %v (state %q, error %v)", i, err, st.State, st.LastError)
		}
	}
	time.Sleep(time.Until(cutAt.Add(cut)))
	restore()

	ids := make([]string, len(browsers))
	for i, b := range browsers {
		if err := b.WaitFor(`window.plenum.state === 'joined' && window.plenum.participants().length === 1`, 20*time.Second); err != nil {
			t.Fatalf("browser %d is not back in the meeting with the other: %v", i, err)
		}
		if err := b.Eval(`window.plenum.id`, &ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range browsers {
		if _, err := b.WaitDecodes(ids[1-i], 30*time.Second); err != nil {
			t.Fatalf("browser %d after joining again: %v", i, err)
		}
	}
	if n := srv.Manager().ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server, want 2", n)
	}
}
