package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// runInstall runs scripts/install staged under root.
func runInstall(t *testing.T, root string, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"../../scripts/install", "--root", root}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/install %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// fakeBinary is a program for scripts/install to install as plenum.
func fakeBinary(t *testing.T) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "plenum")
	if err := os.WriteFile(binary, []byte("#!/bin/sh\necho plenum\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return binary
}

// staged installs with the script's defaults under a new root and
// returns the root and the file at path below it.
func staged(t *testing.T, path string) (root string, data []byte) {
	t.Helper()
	root = t.TempDir()
	runInstall(t, root, "--binary", fakeBinary(t))
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return root, data
}

func TestInstallScriptStagesASandboxedServiceAndIsIdempotent(t *testing.T) {
	root := t.TempDir()
	binary := fakeBinary(t)
	runInstall(t, root, "--binary", binary, "--domain", "meet.example.org", "--acme-email", "admin@example.org")

	for path, mode := range map[string]os.FileMode{
		"usr/local/bin/plenum":              0o755,
		"etc/systemd/system/plenum.service": 0o644,
		"etc/plenum/plenum.conf":            0o640,
		"var/lib/plenum":                    0o700 | os.ModeDir,
	} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("/%s has mode %v, want %v", path, fi.Mode(), mode)
		}
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/plenum.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ExecStart=/usr/local/bin/plenum serve --config /etc/plenum/plenum.conf",
		"User=plenum", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
		"ProtectSystem=strict", "StateDirectory=plenum", "NoNewPrivileges=yes",
	} {
		if !strings.Contains(string(unit), want+"\n") {
			t.Errorf("the unit lacks %s", want)
		}
	}

	// The configuration it writes is one plenum serve reads.
	conf := filepath.Join(root, "etc/plenum/plenum.conf")
	cmd := newServeCommand()
	if err := cmd.ParseFlags([]string{"--config", conf}); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	if _, err := resolveFlags(cmd.Flags(), noEnv, os.ReadFile); err != nil {
		t.Fatalf("plenum serve cannot read the installed configuration: %v", err)
	}
	for flag, want := range map[string]string{"domain": "meet.example.org", "acme-email": "admin@example.org", "data-dir": "/var/lib/plenum"} {
		if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
			t.Errorf("installed configuration: --%s = %q, want %q", flag, got, want)
		}
	}

	// Again, after the admin edited the configuration: the edit stays.
	edited := "domain = meet.example.net\n"
	if err := os.WriteFile(conf, []byte(edited), 0o640); err != nil {
		t.Fatal(err)
	}
	out := runInstall(t, root, "--binary", binary, "--domain", "other.example.org")
	if data, _ := os.ReadFile(conf); string(data) != edited {
		t.Errorf("a second install changed the configuration to %q", data)
	}
	if !strings.Contains(out, "kept "+conf) || !strings.Contains(out, "kept "+filepath.Join(root, "etc/systemd/system/plenum.service")) {
		t.Errorf("a second install did not keep the configuration and the unit:\n%s", out)
	}

	// systemd's own offline review of the sandbox, where systemd is installed.
	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=25",
			filepath.Join(root, "etc/systemd/system/plenum.service")).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze security rates the unit's exposure above 2.5: %v\n%s", err, out)
		}
		if i := strings.Index(string(out), "Overall exposure level"); i >= 0 {
			t.Log(strings.TrimSpace(string(out[i:])))
		}
	}
}

func TestInstallScriptSpeaksOfTheInstalledSystemNotItsStagingRoot(t *testing.T) {
	help, err := exec.Command("bash", "../../scripts/install", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/install --help: %v\n%s", err, help)
	}
	if !strings.Contains(string(help), "--binary") || strings.Contains(string(help), "set -") {
		t.Errorf("--help is not the script's usage, or more:\n%s", help)
	}

	// Staged for a package, the configuration says how to check it where
	// it will be installed.
	root, conf := staged(t, "etc/plenum/plenum.conf")
	if strings.Contains(string(conf), root) || !strings.Contains(string(conf), "--config /etc/plenum/plenum.conf ") {
		t.Errorf("the staged configuration names the staging directory %s, not /etc/plenum/plenum.conf:\n%s", root, conf)
	}
}

// An acme-email without a domain is a configuration plenum serve
// refuses: the script must not write one and leave it to fail at start.
func TestInstallScriptRefusesAnACMEEmailWithoutADomain(t *testing.T) {
	root := t.TempDir()
	binary := fakeBinary(t)
	out, err := exec.Command("bash", "../../scripts/install", "--root", root, "--binary", binary, "--acme-email", "admin@example.org").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--domain") {
		t.Errorf("scripts/install --acme-email without --domain: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/plenum/plenum.conf")); err == nil {
		t.Errorf("it wrote a configuration plenum serve refuses")
	}
}

// systemctl reload plenum must reach the server with nothing but what
// every system has: /bin/kill is procps's on Debian, which a minimal
// system lacks, and the reload then failed with "No such file". The
// unit's ExecReload is run here as systemd runs it: its words split at
// spaces outside quotes, $$ made a $, and $MAINPID in the environment.
func TestTheUnitReloadsTheServerWithTheShellAlone(t *testing.T) {
	_, unit := staged(t, "etc/systemd/system/plenum.service")
	var line string
	for l := range strings.Lines(string(unit)) {
		if after, ok := strings.CutPrefix(l, "ExecReload="); ok {
			line = strings.TrimSpace(after)
		}
	}
	argv := unitWords(strings.ReplaceAll(line, "$$", "$"))
	if len(argv) == 0 || argv[0] != "/bin/sh" {
		t.Fatalf("ExecReload=%s runs %v, not the shell every system has", line, argv)
	}

	server := exec.Command("sleep", "30")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer server.Process.Kill() //nolint:errcheck // gone already if the reload worked
	reload := exec.Command(argv[0], argv[1:]...)
	reload.Env = []string{"MAINPID=" + strconv.Itoa(server.Process.Pid), "PATH=/nonexistent"}
	if out, err := reload.CombinedOutput(); err != nil {
		t.Fatalf("ExecReload=%s: %v\n%s", line, err, out)
	}
	_ = server.Wait()
	if ws, ok := server.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGHUP {
		t.Errorf("ExecReload=%s: the server ended with %v, not by SIGHUP", line, server.ProcessState)
	}
}

// unitWords splits a unit's command line into words as systemd does
// for the lines of scripts/install: at spaces, but not within quotes.
func unitWords(line string) []string {
	var words []string
	var word strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
			}
			inWord = false
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// An install that root broke (a secret made by plenum serve run once as
// root, by an older Plenum) is repaired by the next install: everything
// in the data directory goes to the service user, and nothing outside
// it, whatever links someone running as that user put in it.
func TestInstallGivesTheDataDirectoryAndAllInItToTheServiceUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give files away")
	}
	root := t.TempDir()
	binary := fakeBinary(t)
	runInstall(t, root, "--binary", binary, "--user", "nobody")
	data := filepath.Join(root, "var/lib/plenum")
	outside := filepath.Join(root, "etc/shadow")
	for path, content := range map[string]string{
		"turn-secret": "a secret made by root", "certificates/meet.example.org": "a certificate made by root",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(data, path)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, path), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("root's"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		os.Symlink(outside, filepath.Join(data, "certificates/link")),
		os.Symlink(filepath.Dir(outside), filepath.Join(data, "dir-link")),
		os.Link(outside, filepath.Join(data, "hard-link")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	out := runInstall(t, root, "--binary", binary, "--user", "nobody") // the upgrade
	owner := func(path string) uint32 {
		t.Helper()
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Uid //nolint:forcetypeassert // unix
	}
	const nobody = 65534
	for _, path := range []string{"", "turn-secret", "certificates", "certificates/meet.example.org", "certificates/link", "dir-link"} {
		if uid := owner(filepath.Join(data, path)); uid != nobody {
			t.Errorf("/var/lib/plenum/%s is owned by %d after the install, want the service user's %d", path, uid, nobody)
		}
	}
	for _, path := range []string{outside, filepath.Dir(outside), filepath.Join(root, "etc/plenum/plenum.conf")} {
		if uid := owner(path); uid != 0 {
			t.Errorf("%s, outside the data directory, is owned by %d, want root's", path, uid)
		}
	}
	if !strings.Contains(out, "left "+filepath.Join(data, "hard-link")) {
		t.Errorf("the install did not say it left the file with another hard link:\n%s", out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/plenum.service"))
	if err != nil || !strings.Contains(string(unit), "\nUser=nobody\n") {
		t.Errorf("the unit does not run as --user nobody (%v)", err)
	}
}
