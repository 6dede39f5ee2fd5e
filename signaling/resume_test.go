package signaling_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
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

// The limits are the participant's, not its socket's: a client that
// cuts its own socket and resumes, as any client may at will, comes back
// as the same participant with what is left of its chat limit, not with
// a full burst again (one could otherwise flood the room and push the
// chat history newcomers see out).
func TestResumingDoesNotRefillTheChatLimit(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	ben := f.joinRecording(t, "council", "Ben")
	began := time.Now()
	for round := range 5 {
		for i := range 10 {
			if err := ana.Chat("", fmt.Sprintf("flood %d.%d", round, i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := ana.Ping(); err != nil { // the server has handled them
			t.Fatal(err)
		}
		ana.CutSocket()
		if err := resume(ana, ""); err != nil {
			t.Fatalf("resume %d: %v", round+1, err)
		}
	}
	elapsed := time.Since(began)
	waitFor(t, "Ben gets the messages that passed", func() bool { return len(ben.ChatMessages()) >= 10 })
	if err := ben.Ping(); err != nil { // the room has sent him all that passed
		t.Fatal(err)
	}
	allowed := signaling.ChatBurst + int(elapsed.Seconds()*signaling.ChatRate) + 1
	if got := len(ben.ChatMessages()); got > allowed {
		t.Fatalf("Ana got %d of 50 chat messages through in %v across 5 resumes; the limit allows %d",
			got, elapsed.Round(time.Millisecond), allowed)
	}
}

// As the chat limit, the limit on all messages goes on across a resume:
// most of the burst spent on one socket and most of it again on the next
// go over it, and the session ends with rate-limit.
func TestResumingDoesNotRefillTheMessageBudget(t *testing.T) {
	f := start(t)
	ana := f.joinRecording(t, "council", "Ana")
	began := time.Now()
	half := signaling.MessageBurst * 9 / 10 // each socket alone stays within the burst
	sendPings := func() {
		t.Helper()
		for range half {
			if err := ana.Send(map[string]string{"type": "ping"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	sendPings()
	if err := ana.Ping(); err != nil {
		t.Fatalf("the first socket's pings: %v", err)
	}
	ana.CutSocket()
	if err := resume(ana, ""); err != nil {
		t.Fatal(err)
	}
	sendPings()
	took := time.Since(began)
	if refill := took.Seconds() * signaling.MessageRate; 2*half < signaling.MessageBurst+int(refill) {
		t.Skipf("too slow a run: the budget refilled by %.0f meanwhile", refill)
	}
	select {
	case <-ana.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%d messages on two sockets within %v went through: the resume refilled the budget",
			2*half, took.Round(time.Millisecond))
	}
	var em *client.ErrorMessage
	if !errors.As(ana.Err(), &em) || em.Code != signaling.CodeRateLimit {
		t.Fatalf("the session ended with %v, want %s", ana.Err(), signaling.CodeRateLimit)
	}
}

// closeBlockingConn is a connection whose Close waits until release is
// closed, as a TLS connection's does while its close_notify waits on a
// socket whose peer no longer reads (up to 5 s).
type closeBlockingConn struct {
	net.Conn
	closing chan<- struct{} // told when a Close starts, if not told yet
	release <-chan struct{}
}

func (c *closeBlockingConn) Close() error {
	select {
	case c.closing <- struct{}{}:
	default:
	}
	<-c.release
	return c.Conn.Close()
}

// A resume that replaces a socket the server still holds (a half-open
// connection the client gave up on) closes that socket outside the
// room: a close that takes its time holds up nobody else in the room.
func TestClosingTheSocketAResumeReplacedHoldsUpNobody(t *testing.T) {
	f := start(t)
	ben := f.join(t, "council", "Ben")
	closing, release := make(chan struct{}, 1), make(chan struct{})
	url := f.serveWrapped(t, func(c net.Conn) net.Conn {
		return &closeBlockingConn{Conn: c, closing: closing, release: release}
	})
	var released sync.Once
	releaseClose := func() { released.Do(func() { close(release) }) }
	t.Cleanup(releaseClose) // before the server's, which waits for the sessions

	old := (&fixture{url: url}).dialRaw(t, nil)
	if err := old.WriteJSON(map[string]any{"type": "join", "version": 1, "room": "council", "name": "Ana"}); err != nil {
		t.Fatal(err)
	}
	id, token, _ := rawWelcome(t, old)
	back := f.dialRaw(t, nil)
	if err := back.WriteJSON(map[string]any{"type": "resume", "version": 1, "room": "council", "participant": id, "token": token}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closing:
	case <-time.After(10 * time.Second):
		t.Fatal("the resume did not close the socket it replaced")
	}

	// The close is still under way: the room goes on.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cid, err := client.Dial(ctx, client.Config{URL: f.url, Room: "council", Name: "Cid"})
	if err != nil {
		t.Fatalf("a newcomer was not let in while the replaced socket closed: %v", err)
	}
	t.Cleanup(cid.Close)
	waitFor(t, "Ben sees Cid come", func() bool {
		_, ok := ben.Participants()[cid.ID()]
		return ok
	})
	releaseClose()
	if got, _, resumed := rawWelcome(t, back); got != id || !resumed {
		t.Fatalf("the resume welcomed %s (resumed %v), want %s back", got, resumed, id)
	}
}

// TestTheGoClientListsTheLobbyAsItIsAfterAResume: Ana moderates with Mo
// and both see Lee and Sam waiting; Ana's socket breaks and, while she is
// away, Lee gives up. The resume's welcome is followed by the lobby as it
// is now, which replaces what Ana's client listed: Sam alone.
func TestTheGoClientListsTheLobbyAsItIsAfterAResume(t *testing.T) {
	f := start(t)
	ana := f.join(t, "council", "Ana")
	mo := f.join(t, "council", "Mo")
	if err := ana.SetRole(mo.ID(), sfu.RoleModerator); err != nil {
		t.Fatal(err)
	}
	if err := ana.ChangeRoom(client.RoomSettings{Lobby: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Mo moderates a room with a lobby", func() bool { return mo.Role() == sfu.RoleModerator && mo.RoomState().Lobby })
	lee := f.join(t, "council", "Lee")
	f.join(t, "council", "Sam")
	waitFor(t, "Ana and Mo see Lee and Sam waiting", func() bool { return len(ana.Lobby()) == 2 && len(mo.Lobby()) == 2 })

	ana.CutSocket()
	lee.Close()
	waitFor(t, "Lee leaves the lobby", func() bool { return len(mo.Lobby()) == 1 })
	if err := resume(ana, ""); err != nil {
		t.Fatal(err)
	}
	if err := ana.Ping(); err != nil { // the lobby comes before the pong
		t.Fatal(err)
	}
	if l := ana.Lobby(); len(l) != 1 || l[0].Name != "Sam" {
		t.Fatalf("after her resume Ana's client lists %+v waiting, want Sam alone", l)
	}
}
