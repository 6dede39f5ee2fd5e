package turn

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// ownLoopback is an SFU's media socket on loopback, at a port nothing
// listens on.
func ownLoopback() []netip.AddrPort { return []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")} }

func TestSelfCheck(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.OwnAddrs = ownLoopback })
	for i := range 3 {
		start := time.Now()
		if err := s.SelfCheck(context.Background()); err != nil {
			t.Fatalf("SelfCheck %d: %v", i, err)
		}
		t.Logf("SelfCheck %d passed in %v", i, time.Since(start).Round(time.Microsecond))
	}
	waitAllocations(t, s, 0)
}

func TestSelfCheckWildcardListen(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.ListenIP = nil
		c.OwnAddrs = ownLoopback
	})
	if err := s.SelfCheck(context.Background()); err != nil {
		t.Fatalf("SelfCheck: %v", err)
	}
	waitAllocations(t, s, 0)
}

func TestSelfCheckFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{
			name: "relay IP refused by the peer policy",
			mod:  func(*Config) {},
			want: []string{"permission for echo peer 127.0.0.1:", "refused", "loopback", "OwnAddrs", "403"},
		},
		{
			name: "relay IP not bindable",
			// TEST-NET-2: not assigned here, so binding fails (no packet is sent).
			mod:  func(c *Config) { c.RelayIP = net.IPv4(198, 51, 100, 1) },
			want: []string{"open echo peer on relay IP 198.51.100.1"},
		},
		{
			name: "no allocation allowed",
			mod: func(c *Config) {
				c.OwnAddrs = ownLoopback
				c.MaxAllocations = 1
			},
			want: []string{"allocate at 127.0.0.1:", "508"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, tc.mod)
			if tc.name == "no allocation allowed" {
				// Hold the only slot.
				user, pass := Credentials(testSecret, "holder", time.Hour, time.Now())
				if code := newRawClient(t, s, user, pass).allocate(); code != 0 {
					t.Fatal(code)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := s.SelfCheck(ctx)
			if err == nil {
				t.Fatal("SelfCheck passed")
			}
			t.Logf("SelfCheck: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSelfCheckHonoursContext(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.OwnAddrs = ownLoopback })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := s.SelfCheck(ctx); err == nil {
		t.Fatal("SelfCheck passed with a cancelled context")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("SelfCheck took %v after cancellation", d)
	}
	waitAllocations(t, s, 0)
}
