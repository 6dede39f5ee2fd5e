package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Room passwords are kept, in memory, in a token or in nothing else, as
// salted PBKDF2-SHA256 hashes: a link that sets a room's password does
// not reveal it, and guessing it from the hash costs passwordIterations
// hashes per guess.
const (
	// passwordIterations is the PBKDF2 work factor: about 15 ms per check
	// on a small server, paid once per join that gives a password.
	passwordIterations = 60_000
	passwordSaltBytes  = 12
	passwordHashBytes  = 24
	// passwordPrefix marks the hash format.
	passwordPrefix = "p1."
	// MaxPasswordRunes bounds a room password.
	MaxPasswordRunes = 128
)

// kdfSlots bounds the key derivations that run at once in the process,
// to half its cores (at least one): clients ask for them, with each join
// that gives a password, and in as many rooms as they like where every
// room has one (a rooms file's [*] may say so), at the rate of their
// messages; unbounded, the derivations took every core from the media
// of every meeting. Those past the bound wait their turn.
var kdfSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// kdfRunning counts the derivations running, for the tests.
var kdfRunning atomic.Int32

// derive is the PBKDF2 of pw with salt, run when a slot is free.
func derive(pw string, salt []byte) ([]byte, error) {
	kdfSlots <- struct{}{}
	defer func() { <-kdfSlots }()
	kdfRunning.Add(1)
	defer kdfRunning.Add(-1)
	return pbkdf2.Key(sha256.New, pw, salt, passwordIterations, passwordHashBytes)
}

// ErrBadPassword means a password is empty, too long or holds control
// characters.
var ErrBadPassword = errors.New("a room password has 1 to 128 printable characters")

// ValidPassword reports whether pw can be a room password.
func ValidPassword(pw string) bool {
	if pw == "" || !utf8.ValidString(pw) || utf8.RuneCountInString(pw) > MaxPasswordRunes {
		return false
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// HashPassword returns a salted hash of pw, to set as a room's password
// and to check typed passwords against with CheckPassword.
func HashPassword(pw string) (string, error) {
	if !ValidPassword(pw) {
		return "", ErrBadPassword
	}
	salt := make([]byte, passwordSaltBytes)
	_, _ = rand.Read(salt)
	dk, err := derive(pw, salt)
	if err != nil {
		return "", err
	}
	return passwordPrefix + b64.EncodeToString(append(salt, dk...)), nil
}

// ValidPasswordHash reports whether hash has the form HashPassword gives.
func ValidPasswordHash(hash string) bool {
	raw, ok := strings.CutPrefix(hash, passwordPrefix)
	if !ok {
		return false
	}
	b, err := b64.DecodeString(raw)
	return err == nil && len(b) == passwordSaltBytes+passwordHashBytes
}

// CheckPassword reports whether pw is the password hash was made from.
func CheckPassword(hash, pw string) bool {
	raw, ok := strings.CutPrefix(hash, passwordPrefix)
	if !ok || !ValidPassword(pw) {
		return false
	}
	b, err := b64.DecodeString(raw)
	if err != nil || len(b) != passwordSaltBytes+passwordHashBytes {
		return false
	}
	dk, err := derive(pw, b[:passwordSaltBytes])
	return err == nil && subtle.ConstantTimeCompare(dk, b[passwordSaltBytes:]) == 1
}
