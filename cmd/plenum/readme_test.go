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

// TestReadmeGivesEveryServeFlagsDefault: the default the README's table
// gives a flag (its first value in backquotes, or all of them for a
// list) is the one plenum serve --help shows and the flag takes.
func TestReadmeGivesEveryServeFlagsDefault(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Defaults that depend on how plenum serve runs: on --domain, on
	// the user.
	derived := map[string]bool{"http-redirect-listen": true, "data-dir": true}
	flags := newServeCommand().Flags()
	row := regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)`[^|]*\\| ([^|]*)\\|")
	quoted := regexp.MustCompile("`([^`]*)`")
	checked := 0
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		var all []string // the values quoted, not the flags named
		for _, v := range quoted.FindAllStringSubmatch(m[2], -1) {
			if !strings.HasPrefix(v[1], "--") {
				all = append(all, v[1])
			}
		}
		f := flags.Lookup(m[1])
		if f == nil || len(all) == 0 || derived[m[1]] {
			continue
		}
		def := strings.Trim(f.DefValue, "[]")
		if def != all[0] && def != strings.Join(all, ",") {
			t.Errorf("the README gives --%s the default %s; plenum serve's is %q", m[1], strings.TrimSpace(m[2]), f.DefValue)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d defaults found in the README's table", checked)
	}
}
