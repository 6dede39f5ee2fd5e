package signaling_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// publisher joins room as name, publishing synthetic audio and video.
func (f *fixture) publisher(t *testing.T, room, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{URL: f.url, Room: room, Name: name, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func resume(c *client.Client, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Resume(ctx, token)
}

// packetsFrom counts the audio and video packets c received from publisher.
func packetsFrom(c *client.Client, publisher string) uint64 {
	var n uint64
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if got := c.Received(publisher, k); got != nil {
			n += got.Packets()
		}
	}
	return n
}

// mediaKeepsFlowing waits until c receives both kinds from publisher
// beyond what it had received so far.
func mediaKeepsFlowing(t *testing.T, c *client.Client, publisher string) {
	t.Helper()
	base := map[webrtc.RTPCodecType]uint64{}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if got := c.Received(publisher, k); got != nil {
			base[k] = got.Packets()
		}
	}
	waitFor(t, c.ID()+" receives more of "+publisher, func() bool {
		return receivesMedia(c, publisher, webrtc.RTPCodecTypeAudio, base[webrtc.RTPCodecTypeAudio]+20) &&
			receivesMedia(c, publisher, webrtc.RTPCodecTypeVideo, base[webrtc.RTPCodecTypeVideo]+20)
	})
}

func resumeRefusedWith(t *testing.T, err error, code string) {
	t.Helper()
	var em *client.ErrorMessage
	if !errors.As(err, &em) || em.Code != code {
		t.Fatalf("resume ended with %v, want %s", err, code)
	}
	if em.Reason == "" {
		t.Error("error without a reason")
	}
}

func TestResumeAfterTheSocketBreaksKeepsTheCall(t *testing.T) {
	f := start(t)
	ana := f.publisher(t, "council", "Ana")
	ben := f.publisher(t, "council", "Ben")
	anaID := ana.ID()
	waitFor(t, "Ana and Ben receive each other", func() bool {
		return receivesBoth(ana, ben.ID()) && receivesBoth(ben, anaID)
	})
	firstToken := ana.ResumeToken()

	// Cut from the client's side, then from the server's (the hook the
	// browser tests use): each time Ana comes back as herself.
	for i, cut := range []func(){
		ana.CutSocket,
		func() {
			if !f.sig.DropConnection(anaID) {
				t.Fatal("the server found no connection of Ana's to drop")
			}
			<-ana.Done()
		},
	} {
		cut()
		if err := resume(ana, ""); err != nil {
			t.Fatalf("resume %d: %v", i+1, err)
		}
		if ana.ID() != anaID || ana.Resumes() != i+1 {
			t.Fatalf("after resume %d: id %s (was %s), %d resumes", i+1, ana.ID(), anaID, ana.Resumes())
		}
		if _, ok := ana.Participants()[ben.ID()]; !ok {
			t.Fatal("the resumed welcome does not list Ben")
		}
		mediaKeepsFlowing(t, ana, ben.ID())
		mediaKeepsFlowing(t, ben, anaID)
	}
	if d := ben.Departures(); len(d) != 0 {
		t.Fatalf("Ben saw %v leave", d)
	}
	if _, ok := ben.Participants()[anaID]; !ok {
		t.Fatal("Ana is missing from Ben's list")
	}
	if ana.ResumeToken() == firstToken {
		t.Fatal("the resume token was not replaced")
	}
	if n := f.manager.ParticipantCount(); n != 2 {
		t.Fatalf("%d participants on the server, want 2", n)
	}
	// The session still works as a session: a message is answered.
	stillWorks(t, ana)
}

func TestResumeIsRefusedWithAForgedOrUsedToken(t *testing.T) {
	f := start(t)
	ana := f.publisher(t, "council", "Ana")
	ben := f.publisher(t, "council", "Ben")
	used := ana.ResumeToken()
	ana.CutSocket()
	if err := resume(ana, ""); err != nil {
		t.Fatal(err)
	}

	// Each attempt needs a broken socket to start from.
	for _, tt := range []struct{ name, token string }{
		{"forged", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"already used", used},
		{"someone else's", ben.ResumeToken()},
	} {
		ana.CutSocket()
		resumeRefusedWith(t, resume(ana, tt.token), signaling.CodeResumeFailed)
		// The real token still works: a failed attempt does not end Ana.
		if err := resume(ana, ""); err != nil {
			t.Fatalf("after a %s token: %v", tt.name, err)
		}
	}
	if d := ben.Departures(); len(d) != 0 {
		t.Fatalf("Ben saw %v leave", d)
	}
}

func TestResumeTooLateIsRefusedAndOthersSeeTheLeave(t *testing.T) {
	f := start(t)
	f.manager.SetResumeGrace(300 * time.Millisecond)
	ana := f.publisher(t, "council", "Ana")
	ben := f.publisher(t, "council", "Ben")
	anaID := ana.ID()
	ana.CutSocket()
	waitFor(t, "Ben sees Ana leave once the grace is over", func() bool {
		return slices.Contains(ben.Departures(), anaID)
	})
	resumeRefusedWith(t, resume(ana, ""), signaling.CodeResumeFailed)
	waitFor(t, "one participant left", func() bool { return f.manager.ParticipantCount() == 1 })
	// Nobody joined since: the server forgot Ana's token all the same,
	// and with it Ana and her closed connections.
	waitFor(t, "only Ben's resume token held", func() bool { return f.sig.ResumeTokens() == 1 })
}

func TestMalformedResumeIsRefused(t *testing.T) {
	f := start(t)
	for _, msg := range []map[string]any{
		{"type": "resume", "version": 1, "room": "council", "participant": "abc", "token": "short"},
		{"type": "resume", "version": 1, "room": "council", "token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"type": "resume", "version": 1, "room": "council", "participant": "abc", "token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xff"},
	} {
		conn := f.dialRaw(t, nil)
		_ = conn.WriteJSON(msg)
		expectError(t, conn, signaling.CodeBadMessage)
	}
	conn := f.dialRaw(t, nil)
	_ = conn.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ana"})
	_ = conn.WriteJSON(map[string]any{"type": "ice-restart", "pc": "up"})
	expectError(t, conn, signaling.CodeBadMessage)
}
