package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/sfu/chat"
)

// A client that leaves more than sendQueueBytes unread is treated as
// one that leaves sendQueueLength messages unread: lost (it may
// resume), and nothing more is held for it. Counting messages alone let
// one that never reads hold the whole assembly of a room stuffed for
// it, again at each resume.
func TestAClientThatLeavesTooManyBytesUnreadIsCutOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &session{queue: make(chan []byte, sendQueueLength), ctx: ctx, cancel: cancel}
	s.line = &line{current: s}
	big := chatMessage{Type: TypeChat, Message: chat.Message{Text: strings.Repeat("x", 1<<20)}}
	for i := 0; i < sendQueueBytes>>20+1; i++ {
		s.sendJSON(big)
	}
	if len(s.queue) >= sendQueueLength {
		t.Fatalf("%d messages queued: the test must stay under the count", len(s.queue))
	}
	if !s.lost.Load() || ctx.Err() == nil {
		t.Fatalf("%d messages of 1 MiB queued for a client that reads nothing, and it is not cut off", len(s.queue))
	}
	held := 0
	for len(s.queue) > 0 {
		held += len(<-s.queue)
	}
	if held > sendQueueBytes {
		t.Fatalf("%d bytes held, more than %d", held, sendQueueBytes)
	}
}

// A session that is ending (here, its client sent leave) gets nothing
// more: no message is encoded for it, and one past the queue's bounds,
// its writer gone, does not mark it lost, which would keep a
// participant that left for a resume.
func TestASessionThatEndsIsNeitherSentToNorLost(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{queue: make(chan []byte, 1), ctx: ctx, cancel: cancel}
	s.line = &line{current: s}
	cancel() // the read loop's, on leave
	var n int
	for i := 0; i < 3; i++ {
		s.sendJSON(encodings{&n})
	}
	if n != 0 || s.lost.Load() {
		t.Fatalf("encoded %d times for a session that ends; lost %v", n, s.lost.Load())
	}
}

// What a client may queue must hold the greeting of a big meeting
// (generous, not hostile): 300 voters with long names in a room that
// has closed its 100 proposals, on open ballots (each closed one lists
// every ballot with its voter's name), a third of them consent rounds
// where one voter in five gave a long reason, and a full chat history.
// The size it logs is the measurement sendQueueBytes is chosen from.
func TestTheGreetingOfABigMeetingFitsTheQueue(t *testing.T) {
	const voters, proposals = 300, assembly.MaxProposals
	now := time.Now()
	chair := assembly.Member{ID: "000000000000", Name: "Chair", Facilitator: true}
	members := make([]assembly.Member, voters)
	infos := make([]sfu.ParticipantInfo, voters)
	for i := range members {
		// 30 three-byte characters: a long name in a non-Latin script.
		name := fmt.Sprintf("%03d", i) + strings.Repeat("名", 27)
		members[i] = assembly.Member{ID: fmt.Sprintf("%012x", i+1), Name: name}
		infos[i] = sfu.ParticipantInfo{ID: members[i].ID, Name: name, Role: sfu.RoleParticipant}
	}
	var a assembly.Assembly
	for n := 0; n < proposals; n++ {
		d := assembly.Draft{Question: fmt.Sprintf("%03d", n) + strings.Repeat("q", 297)}
		switch n % 3 {
		case 0:
			d.Kind = assembly.YesNo
		case 1:
			d.Kind = assembly.Choice
			for o := 0; o < assembly.MaxOptions; o++ {
				d.Options = append(d.Options, fmt.Sprintf("%02d", o)+strings.Repeat("o", 98))
			}
		case 2:
			d.Kind = assembly.Consent
		}
		id, err := a.OpenProposal(chair, d, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range members {
			choice, reason := i%2, ""
			if d.Kind == assembly.Consent && i%5 == 0 {
				choice, reason = assembly.ConsentStandAside, strings.Repeat("r", 500)
			}
			if err := a.Vote(m, id, choice, reason); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.CloseProposal(chair, id, now); err != nil {
			t.Fatal(err)
		}
	}

	history := make([]chat.Message, chat.HistoryMessages)
	for i := range history {
		history[i] = chat.Message{ID: fmt.Sprint(i + 1), From: members[i].ID, Name: members[i].Name,
			Text: strings.Repeat("c", chat.HistoryBytes/chat.HistoryMessages), Time: now.UnixMilli()}
	}
	greeting := []any{
		welcomeMessage{Type: TypeWelcome, Version: ProtocolVersion, ID: chair.ID, Participants: infos},
		queueMessage{Type: TypeQueue, QueueState: a.Queue(now)},
		chatHistoryMessage{Type: TypeChatHistory, Messages: history},
	}
	for _, ps := range a.Proposals() {
		greeting = append(greeting, proposalMessage{Type: TypeProposal, Proposal: ps})
	}
	var size int
	for _, m := range greeting {
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		size += len(data)
	}
	t.Logf("the greeting of a big meeting: %d messages, %d bytes (%.1f MiB)", len(greeting), size, float64(size)/(1<<20))
	// Room twice over: for what else is queued meanwhile (a down offer,
	// the room's changes as they come) and for meetings bigger still.
	if 2*size > sendQueueBytes || 2*len(greeting) > sendQueueLength {
		t.Fatalf("the greeting of a big meeting, %d messages of %d bytes, does not fit twice in the queue (%d messages, %d bytes)",
			len(greeting), size, sendQueueLength, sendQueueBytes)
	}
}
