package signaling

import "testing"

// encodings counts how many times it is encoded.
type encodings struct{ n *int }

func (e encodings) MarshalJSON() ([]byte, error) {
	*e.n++
	return []byte(`{"type":"pong"}`), nil
}

// A message to a participant whose client is away for a resume is not
// encoded for nothing; one to a client that is there is.
func TestAMessageToAClientAwayIsNotEncoded(t *testing.T) {
	var n int
	away := &session{line: &line{}}
	away.sendJSON(encodings{&n})
	if n != 0 {
		t.Fatalf("encoded %d times for a client away", n)
	}

	there := &session{queue: make(chan []byte, 1)}
	there.line = &line{current: there}
	there.sendJSON(encodings{&n})
	if n != 1 || len(there.queue) != 1 {
		t.Fatalf("encoded %d times, %d queued, for a client there; want 1 and 1", n, len(there.queue))
	}
}
