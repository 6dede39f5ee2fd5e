package sfu

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedRoom is the settings of a room with a password: the checks
// below stand in for the real key derivation, whose cost is not theirs
// to measure.
func lockedRoom(string) RoomSettings { return RoomSettings{Password: "hash"} }

// guessFrom joins room from addr with a password that check says is
// right or wrong, and returns the error.
func guessFrom(m *Manager, room string, addr netip.Addr, check func(string) bool) error {
	p, _, err := m.Enter(JoinRequest{Room: room, Name: "guesser", Addr: addr, Password: "guess", PasswordMatches: check, Settings: lockedRoom, Signaler: quietSignaler{}})
	if p != nil {
		p.Leave()
	}
	return err
}

func wrongPassword(string) bool { return false }

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
	addr := netip.MustParseAddr("192.0.2.1")
	const guesses = 4 * addrAttempts
	var refused atomic.Int32
	var wg sync.WaitGroup
	for range guesses {
		wg.Go(func() {
			err := guessFrom(m, "locked", addr, wrong)
			if errors.Is(err, ErrTooManyAttempts) {
				refused.Add(1)
			} else if !errors.Is(err, ErrWrongPassword) {
				t.Errorf("a wrong guess got %v", err)
			}
		})
	}
	wg.Wait()
	if n := checked.Load(); n > addrAttempts {
		t.Errorf("%d of %d parallel guesses were checked, want at most %d", n, guesses, addrAttempts)
	}
	if n := refused.Load(); n < guesses-addrAttempts {
		t.Errorf("%d of %d parallel guesses were refused, want at least %d", n, guesses, guesses-addrAttempts)
	}
}

func TestRightPasswordsDoNotUseUpTheGuesses(t *testing.T) {
	var a attempts
	addr := netip.MustParseAddr("192.0.2.1")
	for range 3 * addrAttempts {
		g := a.begin("locked", addr)
		if g == nil {
			t.Fatal("a check refused after right passwords only")
		}
		g.end(true)
	}
	for range addrAttempts {
		g := a.begin("locked", addr)
		if g == nil {
			t.Fatal("a check refused before the wrong guesses ran out")
		}
		g.end(false)
	}
	if a.begin("locked", addr) != nil {
		t.Fatal("a check allowed after all the wrong guesses were used")
	}
}

// A guesser at full rate on one address (an IPv6 one by its /64, however
// many addresses it takes from it) is refused, in every room, while
// somebody on another address who knows the password comes in.
func TestAGuesserOnOneAddressKeepsNobodyElseOut(t *testing.T) {
	m := newLoopbackManager(t)
	right := func(string) bool { return true }
	for _, c := range []struct{ guesser, other string }{
		{"192.0.2.1", "192.0.2.2"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
	} {
		guesser := netip.MustParseAddr(c.guesser)
		wrong := 0
		for i := range 4 * addrAttempts {
			from := guesser
			if guesser.Is6() { // a new address of the same /64 each time
				b := guesser.As16()
				b[15] = byte(i + 2)
				from = netip.AddrFrom16(b)
			}
			err := guessFrom(m, "locked", from, wrongPassword)
			if errors.Is(err, ErrTooManyAttempts) {
				break
			}
			wrong++
		}
		if wrong > addrAttempts+1 { // one more may have refilled meanwhile
			t.Errorf("%s: %d wrong guesses checked, want %d", c.guesser, wrong, addrAttempts)
		}
		if err := guessFrom(m, "locked", guesser, right); !errors.Is(err, ErrTooManyAttempts) {
			t.Errorf("%s: the guesser's next try got %v, want it refused", c.guesser, err)
		}
		if err := guessFrom(m, "elsewhere", guesser, right); !errors.Is(err, ErrTooManyAttempts) {
			t.Errorf("%s: the guesser's next try in another room got %v, want it refused", c.guesser, err)
		}
		other := netip.MustParseAddr(c.other)
		if err := guessFrom(m, "locked", other, wrongPassword); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s: a mistyped password from %s got %v, want it checked", c.guesser, c.other, err)
		}
		if err := guessFrom(m, "locked", other, right); err != nil {
			t.Errorf("%s: the right password from %s got %v", c.guesser, c.other, err)
		}
	}
}

// Guessers on many addresses, each within its own bound, are bounded
// together by the room's.
func TestARoomBoundsGuessersOnManyAddresses(t *testing.T) {
	m := newLoopbackManager(t)
	var checked int
	wrong := func(string) bool { checked++; return false }
	refused := 0
	for i := range 2 * roomAttempts / addrAttempts {
		addr := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		for range addrAttempts {
			if errors.Is(guessFrom(m, "locked", addr, wrong), ErrTooManyAttempts) {
				refused++
			}
		}
	}
	// One more may have refilled each 200 ms the loop ran.
	if checked < roomAttempts || checked > roomAttempts+20 {
		t.Errorf("%d wrong guesses checked in the room, want %d", checked, roomAttempts)
	}
	if refused == 0 {
		t.Error("no guess refused past the room's bound")
	}
	// The bound is the room's: another room is not touched.
	if err := guessFrom(m, "other", netip.MustParseAddr("203.0.113.1"), wrongPassword); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("a guess in another room got %v, want it checked", err)
	}
}

func TestGuessesInManyRoomsDoNotResetARoomsCount(t *testing.T) {
	var a attempts
	// The target room's count is spent, from as many addresses as it
	// takes.
	for i := 0; ; i++ {
		g := a.begin("target", netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
		if g == nil {
			break
		}
		g.end(false)
	}
	// forgotten reports whether the target room's count was dropped.
	// (Asking for a guess would not tell: the count gives one back
	// every roomAttemptEvery, which a slow run can take.)
	a.mu.Lock()
	target := a.rooms["target"]
	a.mu.Unlock()
	forgotten := func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.rooms["target"] != target || target.left(time.Now()) > roomAttempts/2
	}
	// Guesses in as many other rooms as are counted, each from an
	// address of its own, all being checked: no count can be dropped.
	var busy []*guess
	for i := range maxAttemptRooms {
		g := a.begin(fmt.Sprintf("room-%d", i), netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}))
		if g == nil {
			break
		}
		busy = append(busy, g)
	}
	fresh := netip.MustParseAddr("10.2.0.1")
	if forgotten() {
		t.Fatal("the room's wrong passwords were forgotten")
	}
	if a.begin("yet-another", fresh) != nil {
		t.Fatal("a room was counted past the bound while every count is busy")
	}
	// Counts that have rested make room, once a second at most.
	busy[7].end(true)
	a.mu.Lock()
	a.pruned = time.Time{}
	a.mu.Unlock()
	if g := a.begin("yet-another", fresh); g == nil {
		t.Fatal("a rested count did not make room")
	} else {
		g.end(true)
	}
	if forgotten() {
		t.Fatal("the room's wrong passwords were forgotten")
	}
}

func TestGuessesFromManyAddressesDoNotResetAnAddressCount(t *testing.T) {
	var a attempts
	target := netip.MustParseAddr("192.0.2.1")
	for range addrAttempts {
		a.begin("locked", target).end(false)
	}
	// A guess from each of as many other addresses as are counted,
	// all being checked, spread over rooms enough that no room's count
	// runs out.
	for i := range maxAttemptAddrs {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if a.begin(fmt.Sprintf("room-%d", i/(roomAttempts/2)), addr) == nil {
			break
		}
	}
	if a.begin("locked", target) != nil {
		t.Fatal("the address's wrong passwords were forgotten")
	}
	if a.begin("locked", netip.MustParseAddr("192.0.2.2")) != nil {
		t.Fatal("an address was counted past the bound while every count is busy")
	}
}
