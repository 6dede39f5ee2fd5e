// Package auth holds Plenum's credentials that are not TURN's: signed
// links (join tokens) and room passwords.
//
// A signed link carries a token: who may enter which room, in which
// role, until when. The server signs it with a key of its own (HMAC-
// SHA256, 32 random bytes in the data directory) and verifies it at
// join; nobody else can make one, and a token for one room opens no
// other. Rotating the key (see RotateKey) voids every link at once.
//
// A token is two base64url parts, no padding, joined by a dot:
//
//	<payload>.<mac>
//
// payload is a JSON object with short keys (see Claims); mac is the
// first 16 bytes of HMAC-SHA256(key, "plenum-link-v1." + payload part).
// A link of a moderator for room "council" valid a day is about 140
// characters; one that sets a room password about 260, the password's
// hash sealed under the key (see seal.go).
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors a token is refused with; Verify wraps them with details.
var (
	// ErrMalformed means the text is not a token at all.
	ErrMalformed = errors.New("malformed token")
	// ErrBadSignature means the token was not signed with the server's
	// current key: forged, altered, or signed before the key was rotated.
	ErrBadSignature = errors.New("token not signed by this server")
	// ErrExpired means the token's validity has ended.
	ErrExpired = errors.New("token expired")
	// ErrWrongRoom means the token opens another room.
	ErrWrongRoom = errors.New("token is for another room")
)

// Token limits.
const (
	// MaxTokenLength bounds a token's text; real ones are ~150 bytes.
	MaxTokenLength = 1024
	// macBytes is how much of the HMAC-SHA256 a token keeps: 128 bits,
	// as much security as a forger can hope to beat, half the length.
	macBytes = 16
	// idBytes is the length of a token's random id.
	idBytes = 6
	// tokenVersion is the format version inside the payload (v): 2
	// seals a password's hash, where 1 showed it. Version 1 links
	// without a password are still accepted: they show nothing more.
	tokenVersion = 2
	// macContext separates this MAC from any other use of the key.
	macContext = "plenum-link-v1."
	// maxNameRunes bounds a display name in a token (as in the protocol).
	maxNameRunes = 64
)

// Roles a token may grant, as the protocol spells them.
const (
	RoleModerator   = "moderator"
	RoleParticipant = "participant"
	RoleViewer      = "viewer"
)

// ValidRole reports whether role is one a token may carry.
func ValidRole(role string) bool {
	return role == RoleModerator || role == RoleParticipant || role == RoleViewer
}

// Claims are what a token says.
type Claims struct {
	// Version is the token format: 2, or 1 for a link signed before
	// passwords were sealed.
	Version int `json:"v"`
	// ID is random, unique per token: it names the link in logs and bans.
	ID string `json:"i"`
	// KeyID names the key that signed the token (see Keyring.KeyID), so
	// that a token signed before a rotation is told apart from a forgery
	// in the logs. It is not trusted for anything else.
	KeyID string `json:"k,omitempty"`
	// Room is the only room the token opens.
	Room string `json:"r"`
	// Role is moderator, participant or viewer.
	Role string `json:"l"`
	// Expires is when the token stops working, in Unix seconds.
	Expires int64 `json:"e"`
	// Name, if set, is the display name the holder appears under,
	// whatever name they type.
	Name string `json:"n,omitempty"`
	// Password, if set, is a password hash (see HashPassword) that
	// becomes the room's password when the holder enters a room that
	// has none. It never travels as it is: Sign seals it into
	// SealedPassword, Verify opens it from there.
	Password string `json:"-"`
	// SealedPassword is Password sealed under the server's key, which
	// only the server can open (see seal.go).
	SealedPassword string `json:"s,omitempty"`
	// ShownPassword is where version 1 links carried the hash in the
	// clear; a link that has one is refused.
	ShownPassword string `json:"p,omitempty"`
}

// ExpiresAt is Expires as a time.
func (c *Claims) ExpiresAt() time.Time { return time.Unix(c.Expires, 0) }

func (c *Claims) check() error {
	switch {
	case c.Version != tokenVersion && c.Version != 1:
		return fmt.Errorf("%w: format version %d", ErrMalformed, c.Version)
	case c.ShownPassword != "":
		return errRetired
	case c.SealedPassword != "" && c.Version == 1:
		return fmt.Errorf("%w: a sealed password in a version 1 link", ErrMalformed)
	case c.Room == "" || len(c.Room) > 64:
		return fmt.Errorf("%w: no room", ErrMalformed)
	case !ValidRole(c.Role):
		return fmt.Errorf("%w: unknown role %.20q", ErrMalformed, c.Role)
	case c.Expires <= 0:
		return fmt.Errorf("%w: no expiry", ErrMalformed)
	case c.ID == "" || len(c.ID) > 32:
		return fmt.Errorf("%w: no id", ErrMalformed)
	case len([]rune(c.Name)) > maxNameRunes:
		return fmt.Errorf("%w: name too long", ErrMalformed)
	case c.Password != "" && !ValidPasswordHash(c.Password):
		return fmt.Errorf("%w: bad password hash", ErrMalformed)
	}
	return nil
}

var b64 = base64.RawURLEncoding.Strict()

// ParseToken splits a token and decodes its claims without checking its
// signature: what it returns is not to be trusted until Verify says so,
// and its Password is empty until Verify opens it. payload is the
// signed part, mac the signature.
func ParseToken(token string) (claims *Claims, payload string, mac []byte, err error) {
	if len(token) > MaxTokenLength {
		return nil, "", nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenLength)
	}
	payload, macText, ok := strings.Cut(token, ".")
	if !ok || payload == "" || strings.Contains(macText, ".") {
		return nil, "", nil, fmt.Errorf("%w: not two dot-separated parts", ErrMalformed)
	}
	mac, err = b64.DecodeString(macText)
	if err != nil || len(mac) != macBytes {
		return nil, "", nil, fmt.Errorf("%w: bad signature encoding", ErrMalformed)
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%w: bad payload encoding", ErrMalformed)
	}
	claims = &Claims{}
	if err := json.Unmarshal(raw, claims); err != nil {
		return nil, "", nil, fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	}
	if err := claims.check(); err != nil {
		return nil, "", nil, err
	}
	return claims, payload, mac, nil
}

// sign returns the token for claims under key.
func sign(key []byte, c Claims) (string, error) {
	if c.Version == 0 {
		c.Version = tokenVersion
	}
	if c.ID == "" {
		var id [idBytes]byte
		_, _ = rand.Read(id[:])
		c.ID = b64.EncodeToString(id[:])
	}
	if err := c.check(); err != nil {
		return "", err
	}
	if c.Password != "" {
		var err error
		if c.SealedPassword, err = sealPassword(key, &c); err != nil {
			return "", err
		}
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	payload := b64.EncodeToString(raw)
	token := payload + "." + b64.EncodeToString(macOf(key, payload))
	if len(token) > MaxTokenLength {
		return "", fmt.Errorf("%w: the claims make a token longer than %d bytes", ErrMalformed, MaxTokenLength)
	}
	return token, nil
}

func macOf(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(macContext))
	h.Write([]byte(payload))
	return h.Sum(nil)[:macBytes]
}

// verify checks token's signature under key (whose id is keyID), then
// its expiry at now, then its room.
func verify(key []byte, keyID, token, room string, now time.Time) (*Claims, error) {
	c, err := signedBy(key, keyID, token)
	if err != nil {
		return nil, err
	}
	if !now.Before(c.ExpiresAt()) {
		return nil, fmt.Errorf("%w at %s", ErrExpired, c.ExpiresAt().UTC().Format(time.RFC3339))
	}
	return c, inRoom(c, room)
}

// signedBy returns token's claims if key (whose id is keyID) signed it.
func signedBy(key []byte, keyID, token string) (*Claims, error) {
	c, payload, mac, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(mac, macOf(key, payload)) {
		if c.KeyID != "" && c.KeyID != keyID {
			return nil, fmt.Errorf("%w: signed with key %s, which is no longer in use (the key was rotated)", ErrBadSignature, c.KeyID)
		}
		return nil, ErrBadSignature
	}
	if c.SealedPassword != "" {
		if c.Password, err = openPassword(key, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func inRoom(c *Claims, room string) error {
	if c.Room != room {
		return fmt.Errorf("%w (%q)", ErrWrongRoom, c.Room)
	}
	return nil
}
