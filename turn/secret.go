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

	"github.com/plenum-meet/plenum/sfu/keyfile"
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
// 0600, both, when written by root, owned by the user who owns the
// directory they are made in (see [keyfile]); an existing file readable
// by group or others is refused. Concurrent first starts agree on one
// secret.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	if err := keyfile.MkdirAll(dataDir); err != nil {
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
	// A concurrent first start that won keeps its secret and this one
	// reads it.
	if err := keyfile.Write(path, []byte(hex.EncodeToString(raw)+"\n"), false); err != nil {
		return nil, fmt.Errorf("turn: store secret: %w", err)
	}

	return readSecret(path)
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
