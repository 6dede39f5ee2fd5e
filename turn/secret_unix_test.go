//go:build unix

package turn

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Run once as root (plenum serve to try a flag), Plenum must leave a
// secret the service's own user can read: its data directory's owner.
func TestASecretCreatedAsRootGoesToTheDataDirectorysOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give files away")
	}
	const service = 65534 // the user of the installed service
	dataDir := t.TempDir()
	if err := os.Chown(dataDir, service, service); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSecret(dataDir); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dataDir, SecretFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != service || st.Gid != service { //nolint:forcetypeassert // unix
		t.Errorf("the secret created as root is owned by %d:%d, want the data directory's owner %d:%d", st.Uid, st.Gid, service, service)
	}
}
