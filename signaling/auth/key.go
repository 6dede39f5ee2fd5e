package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/plenum-meet/plenum/sfu/keyfile"
)

// KeyFileName is the file in the data directory that holds the key
// signed links are signed with.
const KeyFileName = "link-key"

// keyBytes is the length of a signing key: as long as HMAC-SHA256's
// output, so that the key is never the weak part.
const keyBytes = 32

// Keyring signs and verifies tokens with the key in a file. It reads the
// file again whenever it changes, so that `plenum link rotate-key` takes
// effect on a running server at its next join, with no restart.
type Keyring struct {
	path string

	mu    sync.Mutex
	key   []byte
	keyID string
	stamp fileStamp // of the file the key was read from
}

// fileStamp tells whether a file changed since it was read.
type fileStamp struct {
	mod  time.Time
	size int64
	ino  any
}

func stampOf(info fs.FileInfo) fileStamp {
	return fileStamp{mod: info.ModTime(), size: info.Size(), ino: inode(info)}
}

// KeyPath is the key file's path in dataDir.
func KeyPath(dataDir string) string { return filepath.Join(dataDir, KeyFileName) }

// OpenKeyring reads the key kept in dataDir, creating the directory
// (mode 0700) and the key (32 random bytes, hex, mode 0600) on first
// use. A key file readable by group or others is refused.
func OpenKeyring(dataDir string) (*Keyring, error) {
	if err := keyfile.MkdirAll(dataDir); err != nil {
		return nil, fmt.Errorf("link key: create data dir: %w", err)
	}
	path := KeyPath(dataDir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := writeKey(dataDir, false); err != nil {
			return nil, err
		}
	}
	k := &Keyring{path: path}
	if _, _, err := k.current(); err != nil {
		return nil, err
	}
	return k, nil
}

// RotateKey replaces the key in dataDir with a new one: every link
// signed so far stops working, on a running server too.
func RotateKey(dataDir string) error {
	if err := keyfile.MkdirAll(dataDir); err != nil {
		return fmt.Errorf("link key: create data dir: %w", err)
	}
	return writeKey(dataDir, true)
}

// writeKey writes a new random key whole, so that a reader never sees
// half a key. Without replace, a key that appeared meanwhile (a
// concurrent first start) is kept. Run as root (plenum link on a server
// whose service runs as its own user), the key goes to whoever owns the
// old key, or the data directory, so that the server can still read it.
func writeKey(dataDir string, replace bool) error {
	raw := make([]byte, keyBytes)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("link key: generate: %w", err)
	}
	if err := keyfile.Write(KeyPath(dataDir), []byte(hex.EncodeToString(raw)+"\n"), replace); err != nil {
		return fmt.Errorf("link key: store: %w", err)
	}
	return nil
}

// current returns the key, reading the file again if it changed. It
// fails closed: if the file is gone or cannot be read (say, a rotation
// left it unreadable to the server), no key is returned, so that no
// link, old or new, is accepted until the admin repairs it.
func (k *Keyring) current() ([]byte, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	info, err := os.Stat(k.path)
	if err != nil {
		return nil, "", fmt.Errorf("link key: %w", err)
	}
	if k.key != nil && stampOf(info) == k.stamp {
		return k.key, k.keyID, nil
	}
	key, err := readKey(k.path, info)
	if err != nil {
		k.key, k.keyID = nil, ""
		return nil, "", err
	}
	k.key, k.keyID, k.stamp = key, keyIDOf(key), stampOf(info)
	return k.key, k.keyID, nil
}

func readKey(path string, info fs.FileInfo) ([]byte, error) {
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("link key %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("link key %s has mode %04o; it must not be accessible to group or others (chmod 600)", path, perm)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read link key: %w", err)
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil || len(key) < keyBytes/2 {
		return nil, fmt.Errorf("link key %s is not at least %d hex-encoded bytes (new keys have %d)", path, keyBytes/2, keyBytes)
	}
	return key, nil
}

// keyIDOf names a key without revealing it: 4 bytes of its SHA-256.
func keyIDOf(key []byte) string {
	sum := sha256.Sum256(append([]byte("plenum-key-id."), key...))
	return b64.EncodeToString(sum[:4])
}

// KeyID names the current key (it appears in the tokens it signs).
func (k *Keyring) KeyID() string {
	_, id, _ := k.current()
	return id
}

// Sign returns a token for c, signed with the current key. Zero Version
// and ID are filled in.
func (k *Keyring) Sign(c Claims) (string, error) {
	key, id, err := k.current()
	if err != nil {
		return "", err
	}
	c.KeyID = id
	return sign(key, c)
}

// Verify checks a token for room at now and returns its claims. Errors
// wrap ErrMalformed, ErrBadSignature, ErrExpired or ErrWrongRoom.
func (k *Keyring) Verify(token, room string, now time.Time) (*Claims, error) {
	key, id, err := k.current()
	if err != nil {
		return nil, err
	}
	return verify(key, id, token, room, now)
}

// Recheck checks again a token that was accepted for room: that it is
// still signed with the current key, so that rotating the key voids it
// for those who came with it too. Its expiry is not checked: a link's
// expiry bounds when one may come in, not how long one may stay (see
// SECURITY.md). Errors wrap ErrMalformed, ErrBadSignature or
// ErrWrongRoom, or say that the key cannot be read (no link is then
// valid, as for Verify).
func (k *Keyring) Recheck(token, room string) (*Claims, error) {
	key, id, err := k.current()
	if err != nil {
		return nil, err
	}
	c, err := signedBy(key, id, token)
	if err != nil {
		return nil, err
	}
	return c, inRoom(c, room)
}
