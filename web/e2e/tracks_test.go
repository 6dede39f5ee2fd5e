package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/web/webtest"
)

// countRemovetrackListeners makes the page count, per received stream,
// the removetrack listeners added to it from now on.
const countRemovetrackListeners = `(() => {
  window.removetrackListeners = {};
  const add = MediaStream.prototype.addEventListener;
  MediaStream.prototype.addEventListener = function (type, ...rest) {
    if (type === 'removetrack') window.removetrackListeners[this.id] = (window.removetrackListeners[this.id] || 0) + 1;
    return add.call(this, type, ...rest);
  };
})()`

// TestAReceivedStreamIsWatchedOnce: a publisher's microphone and camera
// come as two tracks of one stream, each with its track event; the page
// listens for the stream's removed tracks once, not once per track.
func TestAReceivedStreamIsWatchedOnce(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-stream-once"
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `window.plenum && window.plenum.state === "joined"`)
	if err := ana.Inject(countRemovetrackListeners); err != nil {
		t.Fatal(err)
	}
	mo := dialGo(t, srv, room, true) // audio and video
	// Synthetic media: received, not decodable.
	eventually(t, 30*time.Second, "Ana receives Mo's audio and video", func() (bool, string) {
		s, err := ana.Stats()
		if err != nil {
			return false, err.Error()
		}
		v, _ := s.VideoFrom(mo.ID())
		audio, _ := s.AudioPacketsFrom(mo.ID())
		return v.BytesReceived > 0 && audio > 0, fmt.Sprintf("video %+v, audio packets %d", v, audio)
	})
	var listeners map[string]int
	if err := ana.Eval(`window.removetrackListeners`, &listeners); err != nil {
		t.Fatal(err)
	}
	if len(listeners) != 1 || listeners[mo.ID()] != 1 {
		t.Fatalf("removetrack listeners per stream: %v, want one on %s's", listeners, mo.ID())
	}
}
