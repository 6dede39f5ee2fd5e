package server

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"
)

func TestReadinessFollowsStartAndShutdown(t *testing.T) {
	var s Server
	if got := s.notReady(); got != "starting" {
		t.Errorf("before Serve: %q, want starting", got)
	}
	s.serving.Store(true)
	if got := s.notReady(); got != "" {
		t.Errorf("serving: %q, want ready", got)
	}
	s.acme = &ACME{domain: "meet.example.org"}
	if got := s.notReady(); got != "waiting for the TLS certificate of meet.example.org" {
		t.Errorf("serving without its certificate: %q", got)
	}
	s.acme.ready.Store(true)
	if got := s.notReady(); got != "" {
		t.Errorf("serving with its certificate: %q, want ready", got)
	}
	s.shuttingDown.Store(true)
	if got := s.notReady(); got != "shutting down" {
		t.Errorf("shutting down: %q", got)
	}
}

func TestTrustedProxiesNameTheClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		peer, xff, xfh, xfp string
		wantAddr, wantHost  string
		wantScheme          string
	}{
		{"127.0.0.1:5000", "203.0.113.7", "meet.example.org", "https", "203.0.113.7:0", "meet.example.org", "https"},
		// The client wrote the left part; the nearest untrusted hop is the client.
		{"127.0.0.1:5000", "198.51.100.1, 203.0.113.7, 10.0.0.2", "meet.example.org", "https", "203.0.113.7:0", "meet.example.org", "https"},
		// Headers from a peer that is not a trusted proxy are dropped.
		{"192.0.2.9:5000", "203.0.113.7", "evil.example", "https", "192.0.2.9:5000", "plenum.local", "http"},
		// Garbage is ignored.
		{"127.0.0.1:5000", "not-an-ip", "bad host/", "gopher", "127.0.0.1:5000", "plenum.local", "http"},
		// Some proxies (Azure's, IIS) write a port.
		{"127.0.0.1:5000", "203.0.113.7:51234", "", "", "203.0.113.7:0", "plenum.local", "http"},
		{"127.0.0.1:5000", "[2001:db8::7]:51234, 10.0.0.2:80", "", "", "[2001:db8::7]:0", "plenum.local", "http"},
		// The last value is the nearest proxy's.
		{"127.0.0.1:5000", "", "spoofed.example, meet.example.org", "http, https", "127.0.0.1:5000", "meet.example.org", "https"},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://plenum.local/", nil)
		r.RemoteAddr = tc.peer
		for h, v := range map[string]string{"X-Forwarded-For": tc.xff, "X-Forwarded-Host": tc.xfh, "X-Forwarded-Proto": tc.xfp} {
			if v != "" {
				r.Header.Set(h, v)
			}
		}
		var got *http.Request
		trustProxies(trusted, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r })).ServeHTTP(httptest.NewRecorder(), r)
		if got.RemoteAddr != tc.wantAddr || got.Host != tc.wantHost || requestScheme(got) != tc.wantScheme {
			t.Errorf("peer %s XFF %q XFH %q XFP %q: client %s host %s scheme %s, want %s %s %s",
				tc.peer, tc.xff, tc.xfh, tc.xfp, got.RemoteAddr, got.Host, requestScheme(got), tc.wantAddr, tc.wantHost, tc.wantScheme)
		}
		if tc.peer == "192.0.2.9:5000" && got.Header.Get("X-Forwarded-Host") != "" {
			t.Error("untrusted forwarding headers were passed on")
		}
	}
}

// The address TURN relays from is the host's own even when no media
// socket has it: a relay to it at another port than the SFU's would
// reach the host's firewalled services through loopback.
func TestTheRelayAddressIsTheSFUsOwn(t *testing.T) {
	media := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:10000")}
	own := ownAddrs(media, hostAddrs([]string{"9.9.9.9"}, net.ParseIP("9.9.9.10")))
	for _, want := range []string{"10.0.0.5:10000", "9.9.9.9:10000", "9.9.9.10:10000"} {
		if !slices.Contains(own, netip.MustParseAddrPort(want)) {
			t.Errorf("%s is not among the SFU's own addresses %v", want, own)
		}
	}
}

func TestThePublicAddressesBehindNATAreTheSFUsOwn(t *testing.T) {
	media := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:10000"), netip.MustParseAddrPort("[::ffff:10.0.0.6]:10000")}
	own := ownAddrs(media, []netip.Addr{netip.MustParseAddr("9.9.9.9")})
	for _, want := range []string{"10.0.0.5:10000", "10.0.0.6:10000", "9.9.9.9:10000"} {
		if !slices.Contains(own, netip.MustParseAddrPort(want)) {
			t.Errorf("%s is not among the SFU's own addresses %v", want, own)
		}
	}
}

// Behind 1:1 NAT a relay reaches the SFU at the local socket behind its
// public address: the one at the relay address when there is one, of
// the public address's family, and never a loopback one if another will do.
func TestAPublicAddressLeadsToTheLocalSocketBehindIt(t *testing.T) {
	media := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:10000"),
		netip.MustParseAddrPort("10.0.0.4:10000"),
		netip.MustParseAddrPort("10.0.0.5:10000"),
		netip.MustParseAddrPort("[fd00::5]:10000"),
	}
	cases := []struct {
		relay net.IP
		want  map[string]string
	}{
		{net.ParseIP("10.0.0.5"), map[string]string{"203.0.113.7:10000": "10.0.0.5:10000", "[2001:db8::7]:10000": "[fd00::5]:10000"}},
		{net.ParseIP("10.0.0.9"), map[string]string{"203.0.113.7:10000": "10.0.0.4:10000", "[2001:db8::7]:10000": "[fd00::5]:10000"}},
	}
	for _, c := range cases {
		got := publicToLocal([]string{"203.0.113.7", "2001:db8::7"}, media, c.relay)
		if len(got) != len(c.want) {
			t.Errorf("relay %s: %v, want %v", c.relay, got, c.want)
		}
		for public, local := range c.want {
			if l := got[netip.MustParseAddrPort(public)]; l != netip.MustParseAddrPort(local) {
				t.Errorf("relay %s: %s leads to %v, want %s", c.relay, public, l, local)
			}
		}
	}
}
