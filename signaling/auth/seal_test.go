package auth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// payloadOf decodes a token's payload, as anyone holding the link can.
func payloadOf(t *testing.T, tok string) (string, map[string]any) {
	t.Helper()
	part, _, _ := strings.Cut(tok, ".")
	raw, err := b64.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	return string(raw), fields
}

func TestALinkShowsNothingAGuessOfItsPasswordCanBeTestedAgainst(t *testing.T) {
	k, _ := newKeyring(t)
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := k.Sign(Claims{Room: "council", Role: RoleModerator, Expires: now.Add(time.Hour).Unix(), Password: hash})
	if err != nil {
		t.Fatal(err)
	}
	raw, fields := payloadOf(t, tok)
	salt := b64.EncodeToString(mustDecode(t, hash)[:passwordSaltBytes])
	derived := b64.EncodeToString(mustDecode(t, hash)[passwordSaltBytes:])
	for _, part := range []string{hash, salt, derived, passwordPrefix} {
		if strings.Contains(tok, part) || strings.Contains(raw, part) {
			t.Fatalf("the link shows %q of the password's hash: %s", part, raw)
		}
	}
	for key, v := range fields {
		text, _ := v.(string)
		if ValidPasswordHash(text) || CheckPassword(text, "correct horse") {
			t.Fatalf("field %q of the link is a hash the password checks against", key)
		}
		// Nor is the sealed hash, stripped of its envelope, one.
		if b, err := b64.DecodeString(text); err == nil && len(b) == sealedBytes {
			inner := passwordPrefix + b64.EncodeToString(b[nonceBytes:nonceBytes+passwordSaltBytes+passwordHashBytes])
			if CheckPassword(inner, "correct horse") {
				t.Fatalf("field %q holds the hash in the clear", key)
			}
		}
	}
	if _, ok := fields["s"]; !ok {
		t.Fatalf("no sealed password in %s", raw)
	}
	parsed, _, _, err := ParseToken(tok)
	if err != nil || parsed.Password != "" {
		t.Fatalf("parsed without the key: password %q, %v", parsed.Password, err)
	}
	// The server, which has the key, gets the hash back.
	c, err := k.Verify(tok, "council", now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Password != hash || !CheckPassword(c.Password, "correct horse") {
		t.Fatalf("verified password %q, want %q", c.Password, hash)
	}
	if c, err := k.Recheck(tok, "council"); err != nil || c.Password != hash {
		t.Fatalf("rechecked: %v, password %q", err, c.Password)
	}
}

func mustDecode(t *testing.T, hash string) []byte {
	t.Helper()
	b, err := b64.DecodeString(strings.TrimPrefix(hash, passwordPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestATamperedSealedPasswordIsRefused(t *testing.T) {
	k, _ := newKeyring(t)
	hash, _ := HashPassword("correct horse")
	claims := Claims{Room: "council", Role: RoleParticipant, Expires: now.Add(time.Hour).Unix(), Password: hash}
	tok, _ := k.Sign(claims)
	other, _ := k.Sign(claims)
	_, mac, _ := strings.Cut(tok, ".")
	raw, fields := payloadOf(t, tok)
	_, otherFields := payloadOf(t, other)

	// A byte of the sealed hash changed, the signature kept.
	sealed := fields["s"].(string)
	altered := strings.Replace(raw, sealed, flip(sealed), 1)
	if _, err := k.Verify(b64.EncodeToString([]byte(altered))+"."+mac, "council", now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered sealed password: %v, want ErrBadSignature", err)
	}
	// Another link's sealed hash moved into this one and signed anew
	// (as only the server could): it opens in its own link only.
	c, _, _, _ := ParseToken(tok)
	c.SealedPassword = otherFields["s"].(string)
	key, _, _ := k.current()
	moved, err := sign(key, *c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.Verify(moved, "council", now)
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "password") {
		t.Errorf("moved sealed password: %v, want ErrBadSignature naming the password", err)
	}
}

// signV1 signs a payload in the format of version 1, as a plenum before
// sealed passwords did.
func signV1(t *testing.T, k *Keyring, payload string) string {
	t.Helper()
	key, _, err := k.current()
	if err != nil {
		t.Fatal(err)
	}
	part := b64.EncodeToString([]byte(payload))
	return part + "." + b64.EncodeToString(macOf(key, part))
}

func TestVersion1LinksWorkUnlessTheyShowAPasswordHash(t *testing.T) {
	k, _ := newKeyring(t)
	plain := signV1(t, k, `{"v":1,"i":"abc","r":"council","l":"viewer","e":9999999999,"n":"Press"}`)
	if c, err := k.Verify(plain, "council", now); err != nil || c.Name != "Press" || c.Password != "" {
		t.Fatalf("version 1 link without a password: %+v, %v", c, err)
	}
	hash, _ := HashPassword("correct horse")
	shown := signV1(t, k, `{"v":1,"i":"abd","r":"council","l":"viewer","e":9999999999,"p":"`+hash+`"}`)
	_, err := k.Verify(shown, "council", now)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "new link") {
		t.Fatalf("version 1 link with a password hash: %v, want it refused, asking for a new link", err)
	}
}
