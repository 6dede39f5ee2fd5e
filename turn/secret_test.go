package turn

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "plenum")
	s1, err := LoadOrCreateSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := hex.DecodeString(string(s1)); err != nil || len(raw) != 32 {
		t.Fatalf("secret %q is not 32 hex-encoded bytes", s1)
	}
	st, err := os.Stat(filepath.Join(dir, SecretFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode %04o, want 0600", perm)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the secret", len(entries))
	}

	s2, err := LoadOrCreateSecret(dir)
	if err != nil || !bytes.Equal(s1, s2) {
		t.Fatalf("second load = %q, %v; want the first secret %q", s2, err, s1)
	}

	other, err := LoadOrCreateSecret(t.TempDir())
	if err != nil || bytes.Equal(other, s1) {
		t.Fatalf("a fresh directory gave %q, %v", other, err)
	}
}

func TestLoadOrCreateSecretConcurrentFirstStart(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = LoadOrCreateSecret(dir) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Equal(got[i], got[0]) {
			t.Fatalf("start %d: %q, %v; want %q", i, got[i], errs[i], got[0])
		}
	}
}

func TestLoadOrCreateSecretRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SecretFileName)
	if err := os.WriteFile(path, []byte("an operator-provided secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSecret(dir); err == nil {
		t.Error("world-readable secret accepted")
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadOrCreateSecret(dir)
	if err != nil || string(s) != "an operator-provided secret" {
		t.Errorf("operator secret = %q, %v", s, err)
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSecret(dir); !errors.Is(err, ErrShortSecret) {
		t.Errorf("short secret: error %v, want ErrShortSecret", err)
	}
}
