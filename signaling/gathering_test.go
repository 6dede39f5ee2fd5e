package signaling_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// A TURN server that never answers (its requests lost, as on a starved
// machine) keeps ICE gathering from completing for longer than the Go
// client used to wait: it then gave up on the description, its read loop
// ended with the socket left open, and the server waited in vain for an
// answer (the churn soak's stayers that never received each other). The
// client now sends the candidates it has.
func TestUnansweredTURNServerDoesNotHoldUpNegotiation(t *testing.T) {
	hole, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	go func() { // reads and never answers
		buf := make([]byte, 1500)
		for {
			if _, _, err := hole.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	turnURL := "turn:" + hole.LocalAddr().String() + "?transport=udp"

	f := startWith(t, func(cfg *signaling.Config) {
		cfg.ICEServers = func(string, string) []webrtc.ICEServer {
			return []webrtc.ICEServer{{URLs: []string{turnURL}, Username: "u", Credential: "p"}}
		}
	})

	var peers []*client.Client
	for _, name := range []string{"Ana", "Ben"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := client.Dial(ctx, client.Config{URL: f.url, Room: "gathering", Name: name, Publish: true})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		peers = append(peers, c)
	}
	ana, ben := peers[0], peers[1]
	deadline := time.Now().Add(60 * time.Second)
	for !receivesBoth(ana, ben.ID()) || !receivesBoth(ben, ana.ID()) {
		for _, c := range peers {
			select {
			case <-c.Done():
				t.Fatalf("%s's session ended: %v", c.ID(), c.Err())
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("Ana and Ben do not receive each other within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
