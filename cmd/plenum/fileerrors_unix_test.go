//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/turn"
)

// asNobody, in the environment of this test binary, makes it plenum
// itself, run as the user nobody with the arguments it holds (one a
// line): a service's user that did not make its files.
const asNobody = "PLENUM_TEST_AS_NOBODY"

// nobody is the uid and gid the installed service might run as.
const nobody = 65534

func TestMain(m *testing.M) {
	if args := os.Getenv(asNobody); args != "" {
		if err := dropToNobody(); err != nil {
			println("drop privileges:", err.Error())
			os.Exit(2)
		}
		os.Args = append([]string{"plenum"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func dropToNobody() error {
	return errors.Join(syscall.Setgroups(nil), syscall.Setgid(nobody), syscall.Setuid(nobody))
}

// An installed service runs as its own user; a file that user cannot
// read (made by root, as an admin trying a command might) stops the
// start with a message that names the flag, the file and what to do,
// not a bare "permission denied".
func TestAnUnreadableFileStopsTheStartNamingItsFlag(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run plenum as another user")
	}
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} { // nobody may look in
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// file writes a file, mode 0600, owned by uid.
	file := func(path, data string, uid int) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// dataDir is a data directory of nobody's, as the install makes.
	dataDir := func(name string) string {
		t.Helper()
		d := filepath.Join(base, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		return d
	}
	tlsDir := dataDir("tls")
	certOK, keyOK := file(filepath.Join(tlsDir, "cert.pem"), "a cert", nobody), file(filepath.Join(tlsDir, "key.pem"), "a key", nobody)
	certRoot, keyRoot := file(filepath.Join(tlsDir, "root-cert.pem"), "a cert", 0), file(filepath.Join(tlsDir, "root-key.pem"), "a key", 0)
	withSecret := dataDir("with-secret")
	secret := file(filepath.Join(withSecret, turn.SecretFileName), strings.Repeat("ab", 32), 0)
	withKey := dataDir("with-key")
	key := file(auth.KeyPath(withKey), strings.Repeat("ab", 32), 0)
	withCerts := dataDir("with-certs")
	if err := os.Mkdir(server.CertificateDir(withCerts), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(server.CertificateDir(withCerts), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	acct := file(filepath.Join(server.CertificateDir(withCerts), "acme_account+key"), "a key", 0)
	plain := dataDir("plain")
	rootsOnly := filepath.Join(base, "roots")
	if err := os.Mkdir(rootsOnly, 0o755); err != nil { // nobody may look in, not write
		t.Fatal(err)
	}
	unmade := filepath.Join(rootsOnly, "plenum")
	config := file(filepath.Join(base, "plenum.conf"), "udp-port = 10000\n", 0)
	rooms := file(filepath.Join(base, "rooms"), "[council]\n", 0)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certOK, "--tls-key", keyRoot, "--data-dir", plain, "--turn=false"}, "--tls-key " + keyRoot + ": permission denied: plenum runs as nobody"},
		{[]string{"--tls-cert", certRoot, "--tls-key", keyOK, "--data-dir", plain, "--turn=false"}, "--tls-cert " + certRoot + ": permission denied: plenum runs as nobody"},
		{[]string{"--config", config, "--data-dir", plain}, "--config " + config + ": permission denied"},
		{[]string{"--rooms", rooms, "--data-dir", plain, "--turn=false"}, "--rooms " + rooms + ": permission denied"},
		{[]string{"--data-dir", withSecret, "--turn-port", "0"}, "--data-dir " + withSecret + ": " + secret + ": permission denied: plenum runs as nobody, who cannot use it; give the directory and all in it to that user: chown -R nobody " + withSecret},
		{[]string{"--data-dir", withKey, "--turn=false"}, "--data-dir " + withKey + ": " + key + ": permission denied"},
		{[]string{"--data-dir", unmade}, "--data-dir " + unmade + ": permission denied: plenum runs as nobody, who cannot create it; make it for that user: install -d -o nobody -m 700 " + unmade},
		{[]string{"--data-dir", withCerts, "--domain", "meet.example.org", "--listen", "127.0.0.1:0", "--turn=false"}, "--data-dir " + withCerts + ": " + acct + ": permission denied"},
	} {
		args := append([]string{"serve", "--listen", "127.0.0.1:0", "--udp-port", "0", "--tcp-port", "0", "--ice-interface", "lo", "--log-level", "error"}, c.args...)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), asNobody+"="+strings.Join(args, "\n"))
		out, err := cmd.CombinedOutput()
		cancel()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("%v: exited with %v, want 1; it said:\n%s", c.args, err, out)
			continue
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("%v: said\n%s\nwant it to say %q", c.args, out, c.want)
		}
	}
}

// A directory given for a file is named with its flag as well: as root
// can read anything, this is what an admin trying a flag as root meets.
func TestADirectoryForAFileIsNamedWithItsFlag(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("a cert"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newServeCommand()
	cmd.SetArgs([]string{"--tls-cert", cert, "--tls-key", dir, "--data-dir", t.TempDir(), "--turn=false", "--listen", "127.0.0.1:0"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	if want := "--tls-key " + dir + " is a directory: give a file"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}
