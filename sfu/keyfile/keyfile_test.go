//go:build unix

package keyfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// nobody is the owner the tests give a directory: a user other than
// root, as the installed service's.
const nobody = 65534

// ownedBy makes a directory owned by uid, as the data directory of the
// installed service is by its user; it skips a test not run as root,
// which cannot give a file away.
func ownedBy(t *testing.T, uid int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give files away")
	}
	dir := t.TempDir()
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	return dir
}

// owner is the owner of the file at path.
func owner(t *testing.T, path string) int {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.Sys().(*syscall.Stat_t).Uid) //nolint:forcetypeassert // unix
}

func TestWrittenAsRootAFileGoesToTheOwnerOfItsDirectory(t *testing.T) {
	dir := ownedBy(t, nobody)
	sub := filepath.Join(dir, "certificates", "more")
	if err := MkdirAll(sub); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(sub), sub} {
		if got := owner(t, d); got != nobody {
			t.Errorf("%s made as root is owned by %d, want the data directory's owner %d", d, got, nobody)
		}
	}
	path := filepath.Join(sub, "secret")
	if err := Write(path, []byte("first\n"), false); err != nil {
		t.Fatal(err)
	}
	if got := owner(t, path); got != nobody {
		t.Errorf("a file written as root is owned by %d, want its directory's owner %d", got, nobody)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info)
	}

	// A file replaced keeps the owner the admin gave it.
	const admin = 1234
	if err := os.Chown(path, admin, admin); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("second\n"), true); err != nil {
		t.Fatal(err)
	}
	if got := owner(t, path); got != admin {
		t.Errorf("a file replaced as root is owned by %d, want the old one's owner %d", got, admin)
	}
}

func TestAFileThereIsKeptUnlessReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	for _, w := range []struct {
		data    string
		replace bool
		want    string
	}{
		{"first\n", false, "first\n"},
		{"second\n", false, "first\n"},
		{"third\n", true, "third\n"},
	} {
		if err := Write(path, []byte(w.data), w.replace); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != w.want {
			t.Errorf("after writing %q (replace %v): %q, %v; want %q", w.data, w.replace, got, err, w.want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the one written (no temporary ones)", len(entries))
	}
}
