package turn

import (
	"testing"
	"time"
)

// TestReleaseUserEndsOnlyThatUsersAllocations: when a participant has
// left, its allocations go at once (the client may never delete them),
// and nobody else's.
func TestReleaseUserEndsOnlyThatUsersAllocations(t *testing.T) {
	s := newTestServer(t, nil)
	a1 := dialTURN(t, s, "udp", "alice")
	a2 := dialTURN(t, s, "udp", "alice")
	b := dialTURN(t, s, "udp", "bob")
	defer a1.close()
	defer a2.close()
	defer b.close()
	waitAllocations(t, s, 3)
	if n := s.ReleaseUser("alice"); n != 2 {
		t.Errorf("released %d allocations of alice, want 2", n)
	}
	waitAllocations(t, s, 1)
	if n := s.ReleaseUser("alice"); n != 0 {
		t.Errorf("released %d allocations the second time", n)
	}
	// Alice has left: an allocation she asks for later (one under way
	// when her client closed) is refused; Carol's is not.
	user, pass := Credentials(testSecret, "alice", time.Hour, time.Now())
	if code := newRawClient(t, s, user, pass).allocate(); code == 0 {
		t.Error("an allocation for a participant who left was granted")
	}
	c := dialTURN(t, s, "udp", "carol")
	defer c.close()
	waitAllocations(t, s, 2)
}
