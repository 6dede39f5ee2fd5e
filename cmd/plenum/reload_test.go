package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/cmd/plenum/server/certtest"
)

// reloadFixture is plenum serve started with a configuration file, in
// a data directory of its own, and the reloader its SIGHUP runs.
type reloadFixture struct {
	r     *reloader
	logs  *bytes.Buffer
	level *slog.LevelVar
	// write replaces the configuration file.
	write func(conf string)
}

func newReloadFixture(t *testing.T, conf string, args ...string) reloadFixture {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "plenum.conf")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(conf)
	cmd := newServeCommand()
	if err := cmd.ParseFlags(append([]string{"--config", file, "--data-dir", dir}, args...)); err != nil {
		t.Fatal(err)
	}
	cli := snapshotFlags(cmd.Flags())
	noEnv := func(string) (string, bool) { return "", false }
	if _, err := resolveFlags(cmd.Flags(), noEnv, os.ReadFile); err != nil {
		t.Fatal(err)
	}
	logs := new(bytes.Buffer)
	level := new(slog.LevelVar)
	r := &reloader{
		log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})), level: level,
		cli: cli, current: cmd.Flags(), env: noEnv, readFile: os.ReadFile,
	}
	return reloadFixture{r: r, logs: logs, level: level, write: write}
}

// A SIGHUP that finds a configuration that would not start must say so,
// not tell the admin to restart into it.
func TestAReloadOfAConfigurationThatWouldNotStartSaysSoAndChangesNothing(t *testing.T) {
	f := newReloadFixture(t, "log-level = info\n")
	for _, conf := range []string{
		"log-level = debug\nturn-max-allocations = 0\n",
		"log-level = debug\nturn-port = 10000\n",
		"log-level = debug\nlisten = :70000\n",
	} {
		f.logs.Reset()
		f.write(conf)
		f.r.reload()
		out := f.logs.String()
		if !strings.Contains(out, "would not start") || strings.Contains(out, "restart Plenum to apply") {
			t.Errorf("%q: the reload does not say that Plenum would not start with it:\n%s", conf, out)
		}
		if f.level.Level() != slog.LevelInfo {
			t.Errorf("%q: the log level changed to %v with a configuration that would not start", conf, f.level.Level())
		}
	}
}

// writeKeyPair writes a self-signed certificate and its key, PEM, into
// dir.
func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certtest.WriteSelfSigned(t, certFile, keyFile, 1)
	return certFile, keyFile
}

// A SIGHUP that cannot read the certificate files names the flag and the
// path at fault, as a start does, not a bare "no such file".
func TestAFailedCertificateReloadNamesTheFlagAndThePath(t *testing.T) {
	f := newReloadFixture(t, "log-level = info\n")
	certFile, keyFile := writeKeyPair(t, t.TempDir())
	certs, err := server.LoadCertificateFiles(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	f.r.certs = certs
	for _, c := range []struct {
		what  string
		spoil func()
		want  string
	}{
		{"the key removed", func() { _ = os.Remove(keyFile) }, "--tls-key " + keyFile + ": no such file or directory"},
		{"a directory for the certificate", func() { _ = os.Remove(certFile); _ = os.Mkdir(certFile, 0o700) }, "--tls-cert " + certFile + " is a directory: give a file"},
		{"another pair's key", func() {
			_ = os.Remove(certFile)
			otherCert, otherKey := writeKeyPair(t, t.TempDir())
			_ = os.Rename(otherCert, certFile)
			_ = os.Rename(otherKey, keyFile)
			_, otherKey = writeKeyPair(t, t.TempDir())
			_ = os.Rename(otherKey, keyFile)
		}, "--tls-cert/--tls-key: load " + certFile + " and " + keyFile + ": tls: private key does not match public key"},
	} {
		c.spoil()
		f.logs.Reset()
		f.r.reload()
		out := f.logs.String()
		if !strings.Contains(out, "the previous one stays in use") || !strings.Contains(out, c.want) {
			t.Errorf("%s: the reload logged\n%s\nwant it to say %q", c.what, out, c.want)
		}
	}
}
