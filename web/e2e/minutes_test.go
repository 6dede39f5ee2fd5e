package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/signaling/client"
	"github.com/plenum-meet/plenum/web/webtest"
)

// Sizes of the record a big meeting leaves: enough for the minutes to
// come in pages of 1 MiB (signaling/minutes.go), several voters each
// giving a reason of 500 characters of four bytes on each proposal.
const (
	bigRecordVoters    = 10
	bigRecordProposals = 60
)

// bigReason is voter v's reason on proposal id, 500 characters.
func bigReason(id, v int) string {
	return fmt.Sprintf("R%02d-%02d ", id, v) + strings.Repeat("𝄞", 493)
}

// bigQuestion is the question of proposal id.
func bigQuestion(id int) string { return fmt.Sprintf("Question number %d?", id) }

// decideABigRecord has Mo, the room's first comer and so its
// facilitator, put bigRecordProposals consent rounds to the vote of
// bigRecordVoters Go clients, each standing aside with a long reason,
// and close them; it returns Mo and the voters, still in the room. Each
// step waits for the news of the last, which the server paces at one
// broadcast in 200 ms: shortened here, 60 decisions took 36 s.
func decideABigRecord(t *testing.T, srv *server.Server, room string) (mo *client.Client, voters []*client.Client) {
	t.Helper()
	srv.Manager().SetAssemblyEvery(time.Millisecond)
	mo = dialGoAs(t, srv, room, "Mo", false)
	for v := range bigRecordVoters {
		voters = append(voters, dialGoAs(t, srv, room, fmt.Sprintf("Voter %d", v), false))
	}
	for id := 1; id <= bigRecordProposals; id++ {
		if err := mo.OpenProposal(bigQuestion(id), assembly.Consent, nil, false); err != nil {
			t.Fatal(err)
		}
		for v, c := range voters {
			promptly(t, 30*time.Second, fmt.Sprintf("proposal %d open at voter %d", id, v), func() (bool, string) {
				p, ok := c.Proposal(id)
				return ok && p.Open, ""
			})
			if err := c.Vote(id, assembly.ConsentStandAside, bigReason(id, v)); err != nil {
				t.Fatal(err)
			}
		}
		promptly(t, 30*time.Second, fmt.Sprintf("every ballot on proposal %d", id), func() (bool, string) {
			p, _ := mo.Proposal(id)
			return len(p.Voters) == bigRecordVoters, fmt.Sprint(p.Voters)
		})
		if err := mo.CloseProposal(id); err != nil {
			t.Fatal(err)
		}
		promptly(t, 30*time.Second, fmt.Sprintf("proposal %d closed", id), func() (bool, string) {
			p, _ := mo.Proposal(id)
			return !p.Open && p.Result != nil, ""
		})
	}
	return mo, voters
}

// TestTheMinutesOfABigMeetingComeWhole: Fay comes to a meeting that
// has decided much, and sees its latest results as those who were there
// do, though older ones are told to her in summary. Facilitator once
// the others leave, she exports the minutes. The record of a big meeting
// comes in pages, which the facilitator's page asks for one after the
// other and puts together: the minutes it exports hold every decision,
// with every reason, the last page's too (a page that took the first
// page for the record would miss them). Sent whole, a record past the
// 4 MiB a client's queue holds cut the facilitator off.
func TestTheMinutesOfABigMeetingComeWhole(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-minutes-pages"
	mo, voters := decideABigRecord(t, srv, room)
	fay := webtest.Launch(t)
	if err := fay.Open(joinURL(srv, room, "Fay", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, fay, "Fay", time.Minute)
	// A newcomer is told of older decisions in summary, of the latest in
	// full: her page shows the latest results with their reasons and
	// ballots, as to those who were there.
	doAt(t, "Fay", fay, tap(".ctl-assembly"))
	waitAt(t, "Fay", fay, fmt.Sprintf(`(() => {
		const shown = [...document.querySelectorAll('.vote-results .result')];
		return shown.length === 5 && shown[0].dataset.proposal === '%d' && shown.every((r) =>
			r.querySelectorAll('.reasons li').length === %d && r.querySelectorAll('.ballots li').length === %d);
	})()`, bigRecordProposals, bigRecordVoters, bigRecordVoters))
	// Everyone else leaves: the facilitator's role passes to Fay.
	for _, c := range append(voters, mo) {
		c.Leave()
	}
	waitAt(t, "Fay", fay, `window.plenum.role === "moderator"`)
	doAt(t, "Fay", fay, tap(".minutes-export"))
	last := bigReason(bigRecordProposals, bigRecordVoters-1)
	waitAt(t, "Fay", fay, fmt.Sprintf(`(window.plenum.minutes || '').includes(%q)`, last))
	var md string
	if err := fay.Eval(`window.plenum.minutes`, &md); err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= bigRecordProposals; id++ {
		if !strings.Contains(md, bigQuestion(id)) || !strings.Contains(md, bigReason(id, 0)) {
			t.Fatalf("the minutes lack proposal %d or its reasons (%d bytes)", id, len(md))
		}
	}
	if len(md) < 1<<20 {
		t.Fatalf("the minutes are %d bytes: too few for pages", len(md))
	}
}
