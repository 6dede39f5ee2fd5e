package turn

import (
	"crypto/hmac"
	"crypto/md5" //nolint:gosec // the STUN long-term key is MD5 by definition
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"

	"github.com/plenum-meet/plenum/sfu/pionlog"
)

// coturnPassword is coturn's REST password, computed independently:
// base64(HMAC-SHA1(static-auth-secret, username)).
func coturnPassword(secret, username string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(username))

	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestCredentialsMatchCoturnScheme(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		secret, id string
		ttl        time.Duration
		wantUser   string
	}{
		{"north", "alice", time.Hour, "1700003600:alice"},
		{"north", "", 24 * time.Hour, "1700086400"},
		{"s3cr3t", "room:p1", time.Minute, "1700000060:room:p1"},
	} {
		user, pass := Credentials([]byte(tc.secret), tc.id, tc.ttl, now)
		if user != tc.wantUser {
			t.Errorf("username = %q, want %q", user, tc.wantUser)
		}
		if want := coturnPassword(tc.secret, tc.wantUser); pass != want {
			t.Errorf("password for %q = %q, want %q", user, pass, want)
		}
	}

	// A known vector: HMAC-SHA1("north", "1700003600:alice").
	_, pass := Credentials([]byte("north"), "alice", time.Hour, now)
	if pass != coturnPassword("north", "1700003600:alice") || len(pass) != 28 {
		t.Errorf("password %q is not a base64 SHA-1 MAC", pass)
	}

	// pion's own generator agrees too (it uses time.Now, so compare format).
	pu, pp, err := pionturn.GenerateLongTermTURNRESTCredentials("north", "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if pp != coturnPassword("north", pu) || !strings.HasSuffix(pu, ":alice") {
		t.Errorf("pion credentials %q/%q disagree with coturn's scheme", pu, pp)
	}
}

func TestParseRESTUsername(t *testing.T) {
	for _, tc := range []struct {
		in     string
		id     string
		expiry int64
		bad    bool
	}{
		{in: "1700003600:alice", id: "alice", expiry: 1700003600},
		{in: "1700003600", id: "1700003600", expiry: 1700003600},
		{in: "1700003600:", id: "1700003600:", expiry: 1700003600},
		{in: "1700003600:room:p1", id: "room:p1", expiry: 1700003600},
		{in: "alice:1700003600", bad: true},
		{in: "", bad: true},
		{in: ":alice", bad: true},
		{in: "-5:alice", bad: true},
		{in: "+5:alice", bad: true},
		{in: "99999999999999999999:x", bad: true},
	} {
		exp, id, err := parseRESTUsername(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parse(%q) accepted", tc.in)
			}

			continue
		}
		if err != nil || id != tc.id || exp.Unix() != tc.expiry {
			t.Errorf("parse(%q) = %v, %q, %v; want %d, %q", tc.in, exp.Unix(), id, err, tc.expiry, tc.id)
		}
	}
}

// TestAuthenticateKey checks the long-term key handed to pion: MD5 of
// "username:realm:password" with the coturn password, and refusals.
func TestAuthenticateKey(t *testing.T) {
	s := &Server{cfg: Config{Secret: []byte("north"), Realm: "plenum"}, log: testLogger(), refusals: pionlog.NewLimiter()}
	user, _ := Credentials(s.cfg.Secret, "alice", time.Hour, time.Now())
	id, key, ok := s.authenticate(&pionturn.RequestAttributes{Username: user, Realm: "plenum"})
	want := md5.Sum([]byte(fmt.Sprintf("%s:plenum:%s", user, coturnPassword("north", user)))) //nolint:gosec
	if !ok || id != "alice" || string(key) != string(want[:]) {
		t.Fatalf("authenticate = %q, %x, %v; want alice, %x, true", id, key, ok, want)
	}

	expired, _ := Credentials(s.cfg.Secret, "alice", -time.Second, time.Now())
	if _, _, ok := s.authenticate(&pionturn.RequestAttributes{Username: expired, Realm: "plenum"}); ok {
		t.Error("expired username accepted")
	}
	if _, _, ok := s.authenticate(&pionturn.RequestAttributes{Username: "alice", Realm: "plenum"}); ok {
		t.Error("malformed username accepted")
	}
}

func TestICEServers(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.TLSConfig = testTLSConfig(t) })
	got := s.ICEServers("turn.example.org", "p1", time.Hour)
	if len(got) != 1 {
		t.Fatalf("got %d servers", len(got))
	}
	wantURLs := []string{
		fmt.Sprintf("turn:turn.example.org:%d?transport=udp", s.UDPAddr().Port),
		fmt.Sprintf("turn:turn.example.org:%d?transport=tcp", s.TCPAddr().Port),
		fmt.Sprintf("turns:turn.example.org:%d?transport=tcp", s.TLSAddr().Port),
	}
	if fmt.Sprint(got[0].URLs) != fmt.Sprint(wantURLs) {
		t.Errorf("URLs = %v, want %v", got[0].URLs, wantURLs)
	}
	if !strings.HasSuffix(got[0].Username, ":p1") || got[0].Credential != coturnPassword(string(testSecret), got[0].Username) {
		t.Errorf("credentials %q/%q do not match the scheme", got[0].Username, got[0].Credential)
	}
	if v6 := s.ICEServers("::1", "p1", 0)[0].URLs[0]; !strings.HasPrefix(v6, "turn:[::1]:") {
		t.Errorf("IPv6 URL = %q", v6)
	}
}
