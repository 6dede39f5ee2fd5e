package turn

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretFileName is the file in the data directory that holds the TURN
// shared secret.
const SecretFileName = "turn-secret"

// MinSecretLen is the shortest TURN shared secret Plenum accepts, read
// from a file or given on the command line: anyone who learns the secret
// can mint credentials, and one of 16 random bytes cannot be guessed
// offline from a captured username and password.
const MinSecretLen = 16

// ErrShortSecret is returned by [CheckSecret] for a secret shorter than
// [MinSecretLen].
var ErrShortSecret = errors.New("secret too short")

// CheckSecret reports whether secret is long enough to sign TURN
// credentials (at least [MinSecretLen] bytes).
func CheckSecret(secret []byte) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("%w: %d bytes, at least %d needed", ErrShortSecret, len(secret), MinSecretLen)
	}

	return nil
}

// LoadOrCreateSecret returns the TURN shared secret kept in
// dataDir/SecretFileName, creating it on first start: 32 random bytes,
// hex-encoded, so that the secret is printable and can be given verbatim to
// coturn (static-auth-secret) or turnutils_uclient -W. The returned bytes are
// that text (trailing whitespace removed), used as-is as the HMAC key.
//
// dataDir is created with mode 0700 when missing and the file with mode
// 0600; an existing file readable by group or others is refused.
// Concurrent first starts agree on one secret.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("turn: create data dir: %w", err)
	}
	path := filepath.Join(dataDir, SecretFileName)
	secret, err := readSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}

	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("turn: generate secret: %w", err)
	}
	text := []byte(hex.EncodeToString(raw) + "\n")

	tmp, err := os.CreateTemp(dataDir, SecretFileName+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("turn: write secret: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // best effort; gone after the link
	if err := writeSync(tmp, text); err != nil {
		return nil, fmt.Errorf("turn: write secret: %w", err)
	}
	// Link, unlike rename, never replaces: a concurrent first start that won
	// keeps its secret and this one reads it.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("turn: store secret: %w", err)
	}
	if d, err := os.Open(dataDir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}

	return readSecret(path)
}

func writeSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()

		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()

		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()

		return err
	}

	return f.Close()
}

func readSecret(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("turn: secret %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("turn: secret %s has mode %04o; it must not be accessible to group or others (chmod 600)", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("turn: read secret: %w", err)
	}
	data = bytes.TrimRight(data, " \t\r\n")
	if err := CheckSecret(data); err != nil {
		return nil, fmt.Errorf("turn: secret %s: %w", path, err)
	}

	return data, nil
}
