package sfu_test

import (
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
