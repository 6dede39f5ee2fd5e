//go:build unix

package server

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Run once as root (plenum serve to try a flag), Plenum must leave the
// ACME account key and certificates to the service's own user, the data
// directory's owner, or the service could not read them and would ask
// the CA again at each start.
func TestCertificatesStoredAsRootGoToTheDataDirectorysOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give files away")
	}
	const service = 65534 // the user of the installed service
	dataDir := t.TempDir()
	if err := os.Chown(dataDir, service, service); err != nil {
		t.Fatal(err)
	}
	a, err := NewACME(ACMEConfig{Domain: "meet.example.org", Dir: CertificateDir(dataDir)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.manager.Cache.Put(context.Background(), "meet.example.org", []byte("a certificate and its key")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{CertificateDir(dataDir), filepath.Join(CertificateDir(dataDir), "meet.example.org")} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st := info.Sys().(*syscall.Stat_t); st.Uid != service || st.Gid != service { //nolint:forcetypeassert // unix
			t.Errorf("%s made as root is owned by %d:%d, want the data directory's owner %d:%d", path, st.Uid, st.Gid, service, service)
		}
	}
	if data, err := a.manager.Cache.Get(context.Background(), "meet.example.org"); err != nil || string(data) != "a certificate and its key" {
		t.Errorf("read back %q, %v", data, err)
	}
}
