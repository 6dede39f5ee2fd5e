package sfu_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

var kinds = []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}

// receives reports whether c has received at least n packets of both of
// publisher's tracks.
func receives(c *client.Client, publisher string, n uint64) bool {
	for _, k := range kinds {
		got := c.Received(publisher, k)
		if got == nil || got.Packets() < n {
			return false
		}
	}
	return true
}

func packets(c *client.Client, publisher string) uint64 {
	var n uint64
	for _, k := range kinds {
		if got := c.Received(publisher, k); got != nil {
			n += got.Packets()
		}
	}
	return n
}

func TestThreePeersEachReceiveBothTracksOfTheOthers(t *testing.T) {
	s := startServer(t)
	peers := []*client.Client{
		s.join(t, "council", "Ana"),
		s.join(t, "council", "Ben"),
		s.join(t, "council", "Chloé"),
	}
	for _, rx := range peers {
		for _, tx := range peers {
			if rx == tx {
				continue
			}
			eventually(t, 30*time.Second, fmt.Sprintf("%s receives audio and video of %s", rx.ID(), tx.ID()), func() bool {
				return receives(rx, tx.ID(), 20)
			})
		}
		if got := rx.Received(rx.ID(), webrtc.RTPCodecTypeVideo); got != nil {
			t.Errorf("%s receives its own video", rx.ID())
		}
	}
	if g := s.manager.Gauges(); g.Rooms != 1 || g.Participants != 3 || g.Tracks != 6 {
		t.Errorf("gauges %+v, want 1 room, 3 participants, 6 tracks", g)
	}
	// Packets go out to two others each, but for what came before a
	// subscriber's connection could take it (its keys agreed, the
	// first keyframe): in all, more go out than come in, soon.
	eventually(t, 10*time.Second, "the totals show forwarding to two subscribers", func() bool {
		tot := s.manager.Totals()
		return tot.PacketsIn > 0 && tot.PacketsOut > tot.PacketsIn && tot.BytesOut > 0
	})
	if h := s.manager.ForwardLatency(); h.Count == 0 {
		t.Error("no forwarding latency sampled")
	}
}

func TestParticipantWhoLeavesDisappearsFromOthers(t *testing.T) {
	s := startServer(t)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	eventually(t, 30*time.Second, "Ana receives Ben", func() bool { return receives(ana, ben.ID(), 10) })

	eventually(t, 30*time.Second, "Ben receives Ana", func() bool { return receives(ben, ana.ID(), 10) })
	// Each receives the other's video over a stream with RTX, whose RTCP
	// the engine handles itself (streambuffers.go) until it goes.
	if n := s.manager.KnownRTXSSRCs(); n != 2 {
		t.Errorf("the engine knows %d RTX SSRCs of down tracks, want 2", n)
	}
	// and each video down track went to its retransmitter.
	if n := s.manager.WaitingResendSources(); n != 0 {
		t.Errorf("%d video down tracks were offered to a retransmitter and not taken", n)
	}

	benID := ben.ID()
	ben.Leave()
	eventually(t, 20*time.Second, "Ben gone from Ana's list", func() bool {
		_, present := ana.Participants()[benID]
		return !present
	})
	eventually(t, 20*time.Second, "Ben's media stops reaching Ana", func() bool {
		before := packets(ana, benID)
		time.Sleep(300 * time.Millisecond)
		return packets(ana, benID) == before
	})
	eventually(t, 20*time.Second, "server holds one participant", func() bool { return s.manager.ParticipantCount() == 1 })
	eventually(t, 20*time.Second, "the engine forgets the RTX SSRCs of the down tracks that went", func() bool { return s.manager.KnownRTXSSRCs() == 0 })
}

func TestRoomsAreIsolated(t *testing.T) {
	s := startServer(t)
	ana := s.join(t, "north", "Ana")
	ben := s.join(t, "north", "Ben")
	cleo := s.join(t, "south", "Cleo")
	eventually(t, 30*time.Second, "Ana and Ben receive each other", func() bool {
		return receives(ana, ben.ID(), 20) && receives(ben, ana.ID(), 20)
	})
	time.Sleep(300 * time.Millisecond) // time for a leak to show
	if tracks := cleo.ReceivedTracks(); len(tracks) != 0 {
		t.Errorf("Cleo, alone in south, received %v", tracks)
	}
	if _, ok := ana.Participants()[cleo.ID()]; ok {
		t.Error("Ana in north sees Cleo from south")
	}
	if packets(ana, cleo.ID()) != 0 || packets(ben, cleo.ID()) != 0 {
		t.Error("media from south reached north")
	}
	if n := s.manager.RoomCount(); n != 2 {
		t.Errorf("RoomCount = %d, want 2", n)
	}
}

func TestVanishedParticipantIsCleanedUpAfterTheResumeGrace(t *testing.T) {
	s := startServer(t)
	s.manager.SetResumeGrace(time.Second) // kept that long for a resume
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	eventually(t, 30*time.Second, "Ana receives Ben", func() bool { return receives(ana, ben.ID(), 10) })

	benID := ben.ID()
	ben.CutSocket() // as a crash: no leave message, media goes on, no resume
	goneFor(t, s, ana, benID, 20*time.Second)
}

// goneFor waits until the server holds one participant and id is gone
// from the list of watcher, within.
func goneFor(t *testing.T, s *testServer, watcher *client.Client, id string, within time.Duration) {
	t.Helper()
	eventually(t, within, id+" gone from "+watcher.ID()+"'s list", func() bool {
		_, present := watcher.Participants()[id]
		return !present
	})
	eventually(t, within, "server holds one participant", func() bool { return s.manager.ParticipantCount() == 1 })
}

// A client that closes its peer connections (a tab closed without a
// leave message) is not coming back: it leaves at once, not after the
// resume grace.
func TestParticipantWhoClosesItsConnectionsLeavesAtOnce(t *testing.T) {
	s := startServer(t)
	s.manager.SetResumeGrace(time.Minute)
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	eventually(t, 30*time.Second, "Ana receives Ben", func() bool { return receives(ana, ben.ID(), 10) })

	benID := ben.ID()
	ben.Vanish()
	goneFor(t, s, ana, benID, 10*time.Second)
}

func TestEmptyRoomIsRemoved(t *testing.T) {
	s := startServer(t)
	ana := s.join(t, "council", "Ana")
	ana.Leave()
	eventually(t, 20*time.Second, "room removed", func() bool { return s.manager.RoomCount() == 0 })
}

// A track that ends while the offer carrying it waits for its answer (a
// newcomer who leaves at once, a subscriber slow to answer) must not
// fail the answer: pion would refuse it, and then every later one, for
// the sender whose track is gone. The subscriber stays, and the tracks
// published later reach it.
func TestTrackEndingWhileItsOfferWaitsForTheAnswer(t *testing.T) {
	s := startServer(t)
	ana := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Record: true, AnswerDelay: 2 * time.Second})
	ben := s.join(t, "council", "Ben")
	benID := ben.ID()
	offers := func() (n int, withBen bool) {
		for _, m := range ana.Recorded() {
			if m.Type == "offer" {
				n++
				withBen = withBen || strings.Contains(string(m.Raw), benID)
			}
		}
		return n, withBen
	}
	stillIn := func() {
		select {
		case <-ana.Done():
			t.Fatalf("Ana's session ended: %v", ana.Err())
		default:
		}
	}
	eventually(t, 20*time.Second, "the server offers Ben's tracks to Ana", func() bool {
		_, withBen := offers()
		return withBen
	})
	before, _ := offers()
	ben.Leave() // while Ana holds her answer back
	eventually(t, 20*time.Second, "Ana answers, and the server offers again without Ben", func() bool {
		stillIn()
		n, _ := offers()
		return n > before
	})
	chloe := s.join(t, "council", "Chloé")
	eventually(t, 30*time.Second, "Ana receives Chloé", func() bool {
		stillIn()
		return receives(ana, chloe.ID(), 20)
	})
}
