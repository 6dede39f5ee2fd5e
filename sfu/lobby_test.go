package sfu

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPasswordGuessesInParallelAreLimitedAsInSeries(t *testing.T) {
	m := newLoopbackManager(t)

	// Each check is slow, as the real one (a key derivation) is: every
	// guess below arrives while the first ones are being checked.
	var checked atomic.Int32
	wrong := func(string) bool {
		checked.Add(1)
		time.Sleep(20 * time.Millisecond)
		return false
	}
	settings := func(string) RoomSettings { return RoomSettings{Password: "hash"} }
	const guesses = 4 * passwordAttempts
	var refused atomic.Int32
	var wg sync.WaitGroup
	for range guesses {
		wg.Go(func() {
			_, _, err := m.Enter(JoinRequest{Room: "locked", Name: "guesser", Password: "guess", PasswordMatches: wrong, Settings: settings})
			if errors.Is(err, ErrTooManyAttempts) {
				refused.Add(1)
			} else if !errors.Is(err, ErrWrongPassword) {
				t.Errorf("a wrong guess got %v", err)
			}
		})
	}
	wg.Wait()
	if n := checked.Load(); n > passwordAttempts {
		t.Errorf("%d of %d parallel guesses were checked, want at most %d", n, guesses, passwordAttempts)
	}
	if n := refused.Load(); n < guesses-passwordAttempts {
		t.Errorf("%d of %d parallel guesses were refused, want at least %d", n, guesses, guesses-passwordAttempts)
	}
}

func TestRightPasswordsDoNotUseUpTheGuesses(t *testing.T) {
	l := &attemptLimit{wrong: newAttemptLimiter()}
	for range 3 * passwordAttempts {
		if !l.begin() {
			t.Fatal("a check refused after right passwords only")
		}
		l.end(true)
	}
	for range passwordAttempts {
		if !l.begin() {
			t.Fatal("a check refused before the wrong guesses ran out")
		}
		l.end(false)
	}
	if l.begin() {
		t.Fatal("a check allowed after all the wrong guesses were used")
	}
}

func TestGuessesInManyRoomsDoNotResetARoomsCount(t *testing.T) {
	m := &Manager{}
	target := m.attemptLimiter("target")
	for range passwordAttempts {
		target.begin()
		target.end(false)
	}
	// Guesses in as many other rooms as are counted.
	for i := range maxAttemptRooms {
		l := m.attemptLimiter(fmt.Sprintf("room-%d", i))
		if l == nil {
			break
		}
		l.begin()
		l.end(false)
	}
	if l := m.attemptLimiter("target"); l == nil || l.begin() {
		t.Fatal("the room's wrong passwords were forgotten")
	}
	if m.attemptLimiter("yet-another") != nil {
		t.Fatal("a room was counted past the bound while every count is busy")
	}
	// Counts that have rested make room, once a second at most.
	m.attemptsMu.Lock()
	m.attempts["room-7"].wrong = newAttemptLimiter()
	m.attemptsPruned = time.Time{}
	m.attemptsMu.Unlock()
	if m.attemptLimiter("yet-another") == nil {
		t.Fatal("a rested count did not make room")
	}
	if l := m.attemptLimiter("target"); l.begin() {
		t.Fatal("the room's wrong passwords were forgotten")
	}
}
