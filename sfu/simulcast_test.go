package sfu_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/signaling/client"
)

// joinWith connects a participant with a custom configuration.
func (s *testServer) joinWith(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg.URL = s.wsURL
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("join as %s: %v", cfg.Name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// receivedWidth is the width of the last keyframe c received from publisher.
func receivedWidth(c *client.Client, publisher string) int {
	got := c.Received(publisher, webrtc.RTPCodecTypeVideo)
	if got == nil {
		return 0
	}
	w, _ := got.KeyframeSize()
	return w
}

func TestSubscriberMovesBetweenLayersAsOneContinuousStream(t *testing.T) {
	s := startServer(t)
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Simulcast: true})
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben"})

	steps := []struct {
		height, width int
	}{
		{180, 320},  // a thumbnail gets the low layer
		{720, 1280}, // full screen gets the high layer
		{360, 640},  // a medium tile the medium one
		{100, 320},  // and back down
	}
	for _, step := range steps {
		start := time.Now()
		if err := sub.SetView(pub.ID(), step.height, true); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "a tile of height "+itoa(step.height)+" receives width "+itoa(step.width), func() bool {
			return receivedWidth(sub, pub.ID()) == step.width
		})
		t.Logf("switch to %dx for a %d px tile took %v", step.width, step.height, time.Since(start).Round(time.Millisecond))
		time.Sleep(300 * time.Millisecond) // forward some of the layer
	}
	missing, backwards := sub.Received(pub.ID(), webrtc.RTPCodecTypeVideo).Discontinuities()
	if missing != 0 || backwards != 0 {
		t.Errorf("across %d layer switches the subscriber missed %d sequence numbers and saw %d timestamps going back", len(steps), missing, backwards)
	}
}

func TestDynacastStopsLayersNobodyWatches(t *testing.T) {
	s := startServer(t)
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Simulcast: true})
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben"})
	eventually(t, 20*time.Second, "Ben receives video", func() bool { return receivedWidth(sub, pub.ID()) > 0 })

	if err := sub.SetView(pub.ID(), 180, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ana stops encoding the medium and high layers", func() bool {
		return slices.Equal(pub.SentLayers(), []bool{true, false, false})
	})
	if err := sub.SetView(pub.ID(), 720, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "Ana resumes every layer at once when a big tile needs it", func() bool {
		return slices.Equal(pub.SentLayers(), []bool{true, true, true})
	})
	eventually(t, 20*time.Second, "Ben gets the high layer", func() bool { return receivedWidth(sub, pub.ID()) == 1280 })
	if err := sub.SetView(pub.ID(), 0, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ana stops all video when nobody shows it", func() bool {
		return slices.Equal(pub.SentLayers(), []bool{false, false, false})
	})
}

func TestAPublisherAloneEncodesNothingUntilSomeoneSubscribes(t *testing.T) {
	s := startServer(t)
	pub := s.joinWith(t, client.Config{Room: "council", Name: "Ana", Publish: true, Simulcast: true})
	eventually(t, 20*time.Second, "Ana, alone, is told to stop every layer", func() bool {
		return slices.Equal(pub.SentLayers(), []bool{false, false, false})
	})

	requests := pub.KeyframeRequests()
	sub := s.joinWith(t, client.Config{Room: "council", Name: "Ben"})
	eventually(t, 10*time.Second, "Ana resumes her layers for Ben", func() bool {
		return slices.Equal(pub.SentLayers(), []bool{true, true, true})
	})
	eventually(t, 20*time.Second, "Ben receives a picture", func() bool { return receivedWidth(sub, pub.ID()) > 0 })
	if pub.KeyframeRequests() == requests {
		t.Error("Ben's subscription asked Ana for no keyframe")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
