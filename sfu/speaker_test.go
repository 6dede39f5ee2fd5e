package sfu_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/signaling/client"
)

func TestEverybodyLearnsWhoIsSpeaking(t *testing.T) {
	s := startServer(t)
	ana := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true})
	ben := s.joinWith(t, client.Config{Room: "council", Name: "Ben", Publish: true})
	cleo := s.joinWith(t, client.Config{Room: "council", Name: "Cleo"})

	ana.SetAudioLevel(20) // talking
	for _, c := range []*client.Client{ana, ben, cleo} {
		eventually(t, 20*time.Second, "Ana is named the speaker", func() bool { return c.DominantSpeaker() == ana.ID() })
	}
	ana.SetAudioLevel(127)
	ben.SetAudioLevel(20)
	eventually(t, 20*time.Second, "the floor passes to Ben", func() bool { return cleo.DominantSpeaker() == ben.ID() })
}

// A participant a moderator muted is heard by nobody (hold.go), so it
// does not take the floor either, however loud the audio its client
// keeps sending (the Go client ignores the mute, as a hostile one would).
func TestAParticipantMutedByAModeratorDoesNotTakeTheFloor(t *testing.T) {
	s := startServer(t)
	ana := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true}) // moderates
	ben := s.joinWith(t, client.Config{Room: "council", Name: "Ben", Publish: true})
	cleo := s.joinWith(t, client.Config{Room: "council", Name: "Cleo", Publish: true, Record: true})

	if err := ana.MuteParticipant(ben.ID(), true, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "Cleo sees Ben muted", func() bool { return cleo.Participants()[ben.ID()].AudioMuted })
	ben.SetAudioLevel(10) // loud: would take the floor from anyone
	cleo.SetAudioLevel(30)
	eventually(t, 20*time.Second, "Cleo is named the speaker", func() bool { return ana.DominantSpeaker() == cleo.ID() })
	for _, m := range cleo.Recorded() {
		if m.Type == "speaker" && bytes.Contains(m.Raw, []byte(ben.ID())) {
			t.Fatalf("Ben, muted by a moderator, was named the speaker: %s", m.Raw)
		}
	}
}
