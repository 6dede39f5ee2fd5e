package signaling_test

import (
	"slices"
	"testing"

	"github.com/plenum-meet/plenum/signaling/client"
)

// benAndAnaOnTwoDevices joins a facilitator, Ben, then Ana with her
// personal link (one that names her) on her phone and her laptop; link
// lets her come on more.
func benAndAnaOnTwoDevices(t *testing.T) (s *accessServer, fac, ben *client.Client, link string, phone, laptop *client.Client) {
	t.Helper()
	s = startAccess(t, nil)
	fac, o := assemblyRoom(t, s, "assembly", "Ben")
	link = s.link(t, "assembly", "participant", "Ana")
	phone = s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	laptop = s.dial(t, client.Config{Room: "assembly", Name: "Ana", Token: link})
	return s, fac, o[0], link, phone, laptop
}

// mineAt reports which entries of the queue c was last sent are marked
// its own, and whether the floor is.
func mineAt(c *client.Client) (entries []bool, floor bool) {
	q := c.Queue()
	for _, e := range q.Entries {
		entries = append(entries, e.Mine)
	}
	return entries, q.Speaker != nil && q.Speaker.Mine
}

// Ana on her phone and her laptop, with her personal link, is one person
// in the speaking queue: her second hand is her first one's place, which
// both devices are sent as their own, the device that asked last gets
// the floor, either device ends her turn, and either lowers her hand.
// The queue went by connection: she held two places, one ahead of Ben
// and one behind him, and the laptop showed her hand as not raised.
func TestTwoSessionsOfAPersonHoldOnePlaceInTheQueue(t *testing.T) {
	_, fac, ben, _, phone, laptop := benAndAnaOnTwoDevices(t)
	all := []*client.Client{fac, ben, phone, laptop}
	raiseHands(t, all, phone, ben)

	must(t, laptop.RaiseHand(true, false))
	seeQueue(t, []string{laptop.ID(), ben.ID()}, all...)
	for _, tc := range []struct {
		c    *client.Client
		mine []bool
	}{{phone, []bool{true, false}}, {laptop, []bool{true, false}}, {ben, []bool{false, true}}, {fac, []bool{false, false}}} {
		if mine, _ := mineAt(tc.c); !slices.Equal(mine, tc.mine) {
			t.Errorf("%s sees as its own %v, want %v", tc.c.ID(), mine, tc.mine)
		}
	}

	must(t, fac.QueueAct("queue-next", ""))
	waitFor(t, "Ana has the floor on the laptop, hers on the phone too", func() bool {
		sp := ben.Queue().Speaker
		_, phoneFloor := mineAt(phone)
		return sp != nil && sp.ID == laptop.ID() && phoneFloor
	})
	must(t, phone.QueueAct("queue-finish", ""))
	waitFor(t, "Ana ended her turn from the phone", func() bool { return fac.Queue().Speaker == nil })

	must(t, phone.RaiseHand(true, false))
	seeQueue(t, []string{ben.ID(), phone.ID()}, all...)
	if q := ben.Queue(); !q.Entries[1].Spoken {
		t.Errorf("Ana, who spoke on the laptop, is not known to have spoken on the phone: %+v", q.Entries)
	}
	must(t, laptop.RaiseHand(false, false))
	seeQueue(t, []string{ben.ID()}, all...)
	for _, c := range all {
		if err := c.Err(); err != nil {
			t.Fatalf("%s's session ended: %v", c.ID(), err)
		}
	}
}
