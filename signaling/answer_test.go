package signaling_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// answerTimeout is the tests' answer deadline: short, so that they need
// not wait long for it.
const answerTimeout = 500 * time.Millisecond

// A client that never answers the server's down offer, broken or
// hostile, no longer holds its participant, the pending offer and the
// down connection for as long as its socket stays open: its session ends
// with a reason of its own once the offer's deadline is over, and the
// others see it leave.
func TestASubscriberThatNeverAnswersIsEnded(t *testing.T) {
	f := startLimited(t, sfu.Limits{AnswerTimeout: answerTimeout}, nil)
	ana := f.publisher(t, "council", "Ana")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ben, err := client.Dial(ctx, client.Config{URL: f.url, Room: "council", Name: "Ben", IgnoreOffers: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ben.Close)
	benID := ben.ID()
	endsWith(t, ben, signaling.CodeAnswerTimeout)
	waitFor(t, "Ana sees Ben leave", func() bool { return slices.Contains(ana.Departures(), benID) })
	waitFor(t, "one participant left", func() bool { return f.manager.ParticipantCount() == 1 })
}

// A client away for a resume when its offer's deadline passes is not
// ended for it: the offer went to nobody. Resuming, it gets the offer
// again, with a new deadline, answers it and receives the media.
func TestASubscriberAwayWhenItsOfferIsDueAnswersItOnResuming(t *testing.T) {
	f := startLimited(t, sfu.Limits{AnswerTimeout: answerTimeout}, nil)
	f.manager.SetResumeGrace(time.Minute)
	ana := f.join(t, "council", "Ana")
	ben := f.join(t, "council", "Ben")
	benID := ben.ID()
	ben.CutSocket()
	waitFor(t, "Ana sees Ben reconnecting", func() bool { return reconnecting(ana, benID) })

	// Cleo's tracks are offered to Ben while he is away.
	cleo := f.publisher(t, "council", "Cleo")
	waitFor(t, "Ana receives Cleo", func() bool { return receivesBoth(ana, cleo.ID()) })
	time.Sleep(3 * answerTimeout)

	if err := resume(ben, ""); err != nil {
		t.Fatalf("resume after the offer's deadline: %v", err)
	}
	mediaKeepsFlowing(t, ben, cleo.ID())
	// Answered: the new deadline passes without ending him.
	time.Sleep(3 * answerTimeout)
	if err := ben.Err(); err != nil {
		t.Fatalf("Ben's session ended: %v", err)
	}
	if _, there := ana.Participants()[benID]; !there || reconnecting(ana, benID) {
		t.Fatalf("Ana sees Ben as %+v, want him back", ana.Participants()[benID])
	}
}
