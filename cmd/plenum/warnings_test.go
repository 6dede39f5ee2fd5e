package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// printedConfig is what plenum serve --print-config prints with args.
func printedConfig(t *testing.T, args ...string) string {
	t.Helper()
	cmd := newServeCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs(append([]string{"--print-config", "--data-dir", t.TempDir()}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestATURNSecretOthersCanReadIsWarnedOf(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plenum.conf")
	if err := os.WriteFile(file, []byte("turn-secret = a-secret-of-sixteen-bytes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if text := printedConfig(t, "--config", file); !strings.Contains(text, "# warning: "+file+" holds turn-secret and every user") {
		t.Errorf("no warning that every user may read the TURN secret in %s:\n%s", file, text)
	}
	if err := os.Chmod(file, 0o640); err != nil { // as scripts/install makes it
		t.Fatal(err)
	}
	if text := printedConfig(t, "--config", file); strings.Contains(text, "warning") {
		t.Errorf("a warning for a file only its group may read:\n%s", text)
	}
	if text := printedConfig(t, "--turn-secret", "a-secret-of-sixteen-bytes"); !strings.Contains(text, "# warning: --turn-secret on the command line shows in every user's ps") {
		t.Errorf("no warning that --turn-secret on the command line shows in ps:\n%s", text)
	}
}

func TestMetricsOnEveryAddressAreWarnedOf(t *testing.T) {
	if text := printedConfig(t, "--metrics-listen", ":9090"); !strings.Contains(text, "# warning: --metrics-listen :9090 serves /metrics to anyone") {
		t.Errorf("no warning that :9090 serves the metrics to anyone:\n%s", text)
	}
	if text := printedConfig(t, "--metrics-listen", "127.0.0.1:9090"); strings.Contains(text, "warning") {
		t.Errorf("a warning for metrics on loopback:\n%s", text)
	}
}
