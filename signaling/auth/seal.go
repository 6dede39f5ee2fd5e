package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
)

// A link that sets a room's password carries the password's hash sealed
// (AES-256-GCM) under a key derived from the link key: whoever holds the
// link, or finds it in a mail or a chat log, holds nothing a guess of
// the password can be tested against without the server's key. Version
// 1 links carried the hash itself, which let anyone holding one guess
// the password offline at full speed; they are refused (errRetired).
const (
	// sealContext derives the sealing key from the link key, so that
	// the link key is never used for two things.
	sealContext = "plenum-link-password-v2"
	nonceBytes  = 12
	tagBytes    = 16
	// sealedBytes is a sealed hash's length: nonce, salt and derived
	// key, tag.
	sealedBytes = nonceBytes + passwordSaltBytes + passwordHashBytes + tagBytes
)

// errRetired refuses a version 1 link that shows its password's hash.
var errRetired = fmt.Errorf("%w: this link, made by an older plenum, shows its room password's hash; ask the organizer for a new link (and choose a new password)", ErrMalformed)

// sealer is the AEAD that seals and opens password hashes under key.
func sealer(key []byte) cipher.AEAD {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(sealContext))
	block, err := aes.NewCipher(h.Sum(nil)) // 32 bytes: never fails
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// sealAAD binds a sealed hash to its token's room and id: a sealed hash
// moved into another token does not open.
func sealAAD(c *Claims) []byte { return []byte(sealContext + "." + c.Room + "." + c.ID) }

// sealPassword returns c.Password (a hash) sealed under key.
func sealPassword(key []byte, c *Claims) (string, error) {
	raw, ok := strings.CutPrefix(c.Password, passwordPrefix)
	plain, err := b64.DecodeString(raw)
	if !ok || err != nil || len(plain) != passwordSaltBytes+passwordHashBytes {
		return "", fmt.Errorf("%w: bad password hash", ErrMalformed)
	}
	nonce := make([]byte, nonceBytes, sealedBytes)
	_, _ = rand.Read(nonce)
	return b64.EncodeToString(sealer(key).Seal(nonce, nonce, plain, sealAAD(c))), nil
}

// openPassword returns the hash sealed in c.SealedPassword under key.
func openPassword(key []byte, c *Claims) (string, error) {
	sealed, err := b64.DecodeString(c.SealedPassword)
	if err != nil || len(sealed) != sealedBytes {
		return "", fmt.Errorf("%w: bad sealed password", ErrMalformed)
	}
	plain, err := sealer(key).Open(nil, sealed[:nonceBytes], sealed[nonceBytes:], sealAAD(c))
	if err != nil {
		return "", fmt.Errorf("%w: its password does not open with this server's key", ErrBadSignature)
	}
	return passwordPrefix + b64.EncodeToString(plain), nil
}
