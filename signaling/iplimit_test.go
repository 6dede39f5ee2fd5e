package signaling

import (
	"net/netip"
	"testing"
	"time"
)

func TestAnIPv6ClientIsCountedByItsSlash64(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"[2001:db8:1:2::1]:4000", "[2001:db8:1:2:ffff::9]:4001", true},
		{"[2001:db8:1:2::1]:4000", "[2001:db8:1:3::1]:4000", false},
		{"[fe80::1%eth0]:4000", "[fe80::2%eth1]:4000", true},
		{"[::ffff:192.0.2.7]:4000", "192.0.2.7:5000", true},
		{"192.0.2.7:4000", "192.0.2.8:4000", false},
	} {
		a, b := addrOf(c.a), addrOf(c.b)
		if !a.IsValid() || !b.IsValid() {
			t.Fatalf("%s or %s gives no address: a client nothing limits", c.a, c.b)
		}
		if (a == b) != c.same {
			t.Errorf("%s and %s: one client %v, want %v", c.a, c.b, a == b, c.same)
		}
	}
	l := newIPLimits(1, 0, 0)
	if _, _, ok := l.acquire(addrOf("[2001:db8:1:2::1]:4000")); !ok {
		t.Fatal("first session refused")
	}
	if _, _, ok := l.acquire(addrOf("[2001:db8:1:2::2]:4000")); ok {
		t.Fatal("a second session from the same /64 admitted with one allowed")
	}
}

func TestReconnectingDoesNotRefillTheMessageBudget(t *testing.T) {
	// 10 messages a second, bursts of 100; 64 KiB a second, bursts of 640.
	l := newIPLimits(64, 10, 64<<10)
	addr := netip.MustParseAddr("192.0.2.7")
	meter, release, ok := l.acquire(addr)
	if !ok {
		t.Fatal("refused")
	}
	for meter.messages.Allow() {
	}
	for meter.bytes.AllowN(time.Now(), 1<<10) {
	}
	release()
	meter, release, _ = l.acquire(addr)
	if n := meter.messages.Tokens(); n > 1 {
		t.Fatalf("reconnected with %.0f messages to spend at once, want the spent budget", n)
	}
	if n := meter.bytes.Tokens(); n > 64<<10 {
		t.Fatalf("reconnected with %.0f bytes to spend at once, want the spent budget", n)
	}
	release()

	// Entries of addresses gone are dropped once their budget has
	// refilled (10 s at 10 a second), not before.
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(time.Now().Add(5 * time.Second))
	if len(l.addrs) != 1 {
		t.Fatal("the entry was dropped before its budget refilled")
	}
	l.sweepLocked(time.Now().Add(11 * time.Second))
	if len(l.addrs) != 0 {
		t.Fatal("the entry was kept after its budget refilled")
	}
}
