package auth

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func newKeyring(t *testing.T) (*Keyring, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	return k, dir
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSignedTokenVerifiesForItsRoomOnly(t *testing.T) {
	k, _ := newKeyring(t)
	tok, err := k.Sign(Claims{Room: "council", Role: RoleModerator, Expires: now.Add(time.Hour).Unix(), Name: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) > 200 {
		t.Errorf("token of %d bytes is not compact: %s", len(tok), tok)
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q is not base64url without padding", tok)
	}
	c, err := k.Verify(tok, "council", now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Room != "council" || c.Role != RoleModerator || c.Name != "Ana" || c.ID == "" || c.KeyID != k.KeyID() {
		t.Fatalf("claims %+v", c)
	}
	if _, err := k.Verify(tok, "Council", now); !errors.Is(err, ErrWrongRoom) {
		t.Fatalf("other room: %v, want ErrWrongRoom", err)
	}
	if _, err := k.Verify(tok, "council", now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
}

func TestForgedTokensAreRefused(t *testing.T) {
	k, _ := newKeyring(t)
	other, _ := newKeyring(t)
	good, _ := k.Sign(Claims{Room: "council", Role: RoleViewer, Expires: now.Add(time.Hour).Unix()})
	foreign, _ := other.Sign(Claims{Room: "council", Role: RoleModerator, Expires: now.Add(time.Hour).Unix()})

	payload, mac, _ := strings.Cut(good, ".")
	// The viewer's payload turned into a moderator's, signature kept.
	c, _, _, _ := ParseToken(good)
	c.Role = RoleModerator
	raise, _ := sign([]byte("not the key at all, not the key!"), *c)
	raisedPayload, _, _ := strings.Cut(raise, ".")

	for name, tok := range map[string]string{
		"signed by another server": foreign,
		"role raised":              raisedPayload + "." + mac,
		"signature flipped":        payload + "." + flip(mac),
	} {
		if _, err := k.Verify(tok, "council", now); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	for name, tok := range map[string]string{
		"empty":           "",
		"one part":        payload,
		"three parts":     good + ".x",
		"no payload":      "." + mac,
		"short signature": payload + "." + mac[:10],
		"not base64":      "!!!." + mac,
		"not JSON":        b64.EncodeToString([]byte("hello")) + "." + mac,
		"huge":            strings.Repeat("a", MaxTokenLength) + "." + mac,
		"no expiry":       b64.EncodeToString([]byte(`{"v":1,"i":"x","r":"council","l":"viewer"}`)) + "." + mac,
		"unknown role":    b64.EncodeToString([]byte(`{"v":1,"i":"x","r":"council","l":"admin","e":9999999999}`)) + "." + mac,
		"future version":  b64.EncodeToString([]byte(`{"v":3,"i":"x","r":"council","l":"viewer","e":9999999999}`)) + "." + mac,
		"version 0":       b64.EncodeToString([]byte(`{"v":0,"i":"x","r":"council","l":"viewer","e":9999999999}`)) + "." + mac,
		"shown password":  b64.EncodeToString([]byte(`{"v":1,"i":"x","r":"council","l":"viewer","e":9999999999,"p":"x"}`)) + "." + mac,
		"sealed in v1":    b64.EncodeToString([]byte(`{"v":1,"i":"x","r":"council","l":"viewer","e":9999999999,"s":"x"}`)) + "." + mac,
	} {
		if _, err := k.Verify(tok, "council", now); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestRotationVoidsEveryLinkOnARunningKeyring(t *testing.T) {
	k, dir := newKeyring(t)
	tok, _ := k.Sign(Claims{Room: "council", Role: RoleParticipant, Expires: now.Add(time.Hour).Unix()})
	oldID := k.KeyID()
	if err := RotateKey(dir); err != nil {
		t.Fatal(err)
	}
	_, err := k.Verify(tok, "council", now)
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "rotated") {
		t.Fatalf("old link after rotation: %v, want a bad signature that mentions the rotation", err)
	}
	if k.KeyID() == oldID {
		t.Error("key id unchanged by rotation")
	}
	fresh, _ := k.Sign(Claims{Room: "council", Role: RoleParticipant, Expires: now.Add(time.Hour).Unix()})
	if _, err := k.Verify(fresh, "council", now); err != nil {
		t.Fatal(err)
	}
	// Another process (plenum link) sees the same key.
	k2, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Verify(fresh, "council", now); err != nil {
		t.Fatal(err)
	}
}

func TestKeyFileIsPrivate(t *testing.T) {
	_, dir := newKeyring(t)
	st, err := os.Stat(KeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, want 0700", dst.Mode().Perm())
	}
	if err := os.Chmod(KeyPath(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyring(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !ValidPasswordHash(h) || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("right password refused")
	}
	for _, wrong := range []string{"", "correct horse ", "Correct horse", "x"} {
		if CheckPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	if h2, _ := HashPassword("correct horse"); h2 == h {
		t.Error("hashes are not salted")
	}
	for _, bad := range []string{"", "tab\there", strings.Repeat("é", MaxPasswordRunes+1)} {
		if _, err := HashPassword(bad); err == nil {
			t.Errorf("password %q accepted", bad)
		}
	}
}

// FuzzParseToken checks that no input panics the parser or the
// verifier, that whatever verifies was signed with the key, and that
// only signed tokens verify.
func FuzzParseToken(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	good, _ := sign(key, Claims{ID: "fixed", Room: "council", Role: RoleModerator, Expires: 4102444800, Name: "Ana"})
	hash, _ := HashPassword("correct horse")
	sealed, _ := sign(key, Claims{ID: "sealed", Room: "council", Role: RoleModerator, Expires: 4102444800, Password: hash})
	// signed reports whether a token that verified is one of the two
	// signed here, its signature perhaps re-encoded. The sealed one is
	// told by its id: each fuzzing process seals with a salt and a
	// nonce of its own.
	signed := func(token string, c *Claims) bool {
		return strings.HasPrefix(token, strings.Split(good, ".")[0]+".") || c.ID == "sealed"
	}
	for _, seed := range []string{
		good, sealed, "", ".", "..", "a.b", good + "x", strings.ToUpper(good),
		b64.EncodeToString([]byte(`{"v":1,"i":"x","r":"council","l":"viewer","e":4102444800}`)) + ".AAAAAAAAAAAAAAAAAAAAAA",
		b64.EncodeToString([]byte(`null`)) + ".AAAAAAAAAAAAAAAAAAAAAA",
		b64.EncodeToString([]byte(`{"v":1,"r":"\ud800","l":"viewer","e":1e300}`)) + ".AAAAAAAAAAAAAAAAAAAAAA",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, payload, mac, err := ParseToken(token)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("parse error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if c.Room == "" || !ValidRole(c.Role) || c.Expires <= 0 || len(mac) != macBytes || payload == "" || c.Password != "" {
			t.Fatalf("parsed an invalid token: %+v", c)
		}
		vc, err := verify(key, "", token, c.Room, time.Unix(0, 0))
		if err == nil && !signed(token, vc) {
			t.Fatalf("an unsigned token verified: %q -> %+v", token, vc)
		}
	})
}

// Checks asked for at once, as joins with a password in many rooms ask
// for them, run a few at a time, leaving the other cores to the media.
func TestPasswordChecksRunAFewAtATime(t *testing.T) {
	hash, err := HashPassword("open sesame")
	if err != nil {
		t.Fatal(err)
	}
	const checks = 8
	done := make(chan bool, checks)
	for range checks {
		go func() { done <- CheckPassword(hash, "guess") }()
	}
	most := int32(0)
	for waiting := checks; waiting > 0; {
		select {
		case ok := <-done:
			if ok {
				t.Error("a wrong password matched")
			}
			waiting--
		default:
			most = max(most, kdfRunning.Load())
			time.Sleep(100 * time.Microsecond)
		}
	}
	if allowed := int32(max(1, runtime.GOMAXPROCS(0)/2)); most > allowed {
		t.Fatalf("%d checks ran at once, want at most %d (half the cores)", most, allowed)
	}
	if most == 0 {
		t.Fatal("no check was seen running")
	}
}

func TestUnreadableKeyRefusesEveryLink(t *testing.T) {
	k, dir := newKeyring(t)
	tok, _ := k.Sign(Claims{Room: "council", Role: RoleParticipant, Expires: now.Add(time.Hour).Unix()})
	if err := os.Remove(KeyPath(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(tok, "council", now); err == nil {
		t.Fatal("a link verified with the key file gone")
	}
	if _, err := k.Sign(Claims{Room: "council", Role: RoleParticipant, Expires: now.Add(time.Hour).Unix()}); err == nil {
		t.Fatal("signed with the key file gone")
	}
}
