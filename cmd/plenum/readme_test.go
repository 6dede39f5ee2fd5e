package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/turn"
)

// TestReadmeDocumentsEveryServeFlag keeps the README's flags table and
// plenum serve --help in step.
func TestReadmeDocumentsEveryServeFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	firstColumn := regexp.MustCompile("(?m)^\\| ([^|]+)\\|")
	flagName := regexp.MustCompile("`--([a-z0-9-]+)`")
	for _, row := range firstColumn.FindAllStringSubmatch(string(readme), -1) {
		for _, m := range flagName.FindAllStringSubmatch(row[1], -1) {
			documented[m[1]] = true
		}
	}
	newServeCommand().Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !documented[f.Name] {
			t.Errorf("--%s is not in the README's flags table", f.Name)
		}
		delete(documented, f.Name)
	})
	for name := range documented {
		t.Errorf("the README documents --%s, which plenum serve does not have", name)
	}
}

// TestReadmeNamesWhatTheDataDirectoryHolds: an admin backing up or
// moving --data-dir reads its row to learn what is in it.
func TestReadmeNamesWhatTheDataDirectoryHolds(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `--data-dir` \\|.*$").Find(readme)
	for _, name := range []string{turn.SecretFileName, auth.KeyFileName, filepath.Base(server.CertificateDir("x"))} {
		if !strings.Contains(string(row), "`"+name) {
			t.Errorf("the README's --data-dir row does not name %s:\n%s", name, row)
		}
	}
}
