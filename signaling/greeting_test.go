package signaling

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/sfu/chat"
)

// greetingBound is what the greeting of a big meeting must stay under.
const greetingBound = 1 << 20

// The greeting of a big meeting (generous, not hostile) stays under
// 1 MiB: 300 participants with long names in a room that has closed
// its 100 proposals, on open ballots, a third of them consent rounds
// where one voter in five gave a long reason, and a full chat history.
// It tells of the latest closed proposals in full and of the older in
// summary; each in full (every ballot with its voter's name, every
// reason) made it 5.5 MiB, for every newcomer and at every resume, and
// 64 sessions of one address that never read held 64 of them. The
// sizes it logs are the measurement sendQueueBytes is chosen from.
func TestTheGreetingOfABigMeetingIsSmall(t *testing.T) {
	const people, proposals = 300, assembly.MaxProposals
	m := newBigMeeting(t, people)
	inFull := m.stuff(proposals, false, someReasons)
	for i := range chat.HistoryMessages {
		text := fmt.Sprintf("%03d ", i) + strings.Repeat("c", chat.HistoryBytes/chat.HistoryMessages-4)
		msg, _ := json.Marshal(map[string]string{"type": TypeChat, "text": text})
		m.do(m.sessions[1+i], string(msg))
	}
	m.drainAll()

	newcomer := m.join(strings.Repeat("新", maxNameRunes))
	greeting := drain(newcomer)
	size, told, summaries, toldBytes := 0, 0, 0, 0
	for _, data := range greeting {
		size += len(data)
		var pm proposalMessage
		if json.Unmarshal(data, &pm) != nil || pm.Type != TypeProposal {
			continue
		}
		told++
		toldBytes += len(data)
		p := pm.Proposal
		if p.Summary {
			summaries++
			if len(p.Voters) != 0 || p.Result == nil || len(p.Result.Votes) != 0 || len(p.Result.Reasons) != 0 {
				t.Fatalf("proposal %d told in summary with its detail: %d voters, %+v", p.ID, len(p.Voters), p.Result)
			}
		} else if p.ID <= proposals-assembly.GreetingDetailed || len(p.Result.Votes) != people-1 {
			t.Fatalf("proposal %d told in full with %d ballots; want the %d latest in full, with %d",
				p.ID, len(p.Result.Votes), assembly.GreetingDetailed, people-1)
		}
	}
	if told != proposals || summaries != proposals-assembly.GreetingDetailed {
		t.Fatalf("told of %d proposals, %d in summary; want %d, %d", told, summaries, proposals, proposals-assembly.GreetingDetailed)
	}
	before := size - toldBytes + inFull
	t.Logf("the greeting of a big meeting: %d messages, %d bytes (%.2f MiB), %d of them its proposals; every proposal in full, it was %d bytes (%.2f MiB)",
		len(greeting), size, float64(size)/(1<<20), toldBytes, before, float64(before)/(1<<20))
	if size >= greetingBound {
		t.Fatalf("the greeting of a big meeting is %d bytes, past %d", size, greetingBound)
	}
	// Room for what else is queued meanwhile: a page of the minutes, the
	// room's changes as they come.
	if 4*size > sendQueueBytes || 2*len(greeting) > sendQueueLength {
		t.Fatalf("the greeting of a big meeting, %d messages of %d bytes, does not fit four times in the queue (%d messages, %d bytes)",
			len(greeting), size, sendQueueLength, sendQueueBytes)
	}
}
