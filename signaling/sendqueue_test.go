package signaling

import (
	"context"
	"strings"
	"testing"

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
