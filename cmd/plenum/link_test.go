package main

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/signaling/auth"
)

func runLink(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"link"}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

func tokenOf(t *testing.T, link string) (*url.URL, string) {
	t.Helper()
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := strings.CutPrefix(u.Fragment, "token=")
	if !ok {
		t.Fatalf("link %q has no #token=", link)
	}
	return u, tok
}

func TestLinkCommandSignsAJoinURL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := auth.OpenKeyring(dir); err != nil { // as plenum serve does at start
		t.Fatal(err)
	}
	out, msg, err := runLink(t, "s3cret pass\n", "--data-dir", dir, "--url", "https://meet.example.org/", "--room", "council",
		"--role", "moderator", "--expires", "7d", "--name", "Chair", "--password", "-")
	if err != nil {
		t.Fatal(err)
	}
	u, tok := tokenOf(t, out)
	if u.Scheme != "https" || u.Host != "meet.example.org" || u.Path != "/council" || u.RawQuery != "" {
		t.Fatalf("link %s", out)
	}
	if !strings.Contains(msg, "moderator link to council") {
		t.Errorf("stderr %q, want the link's summary", msg)
	}
	keys, err := auth.OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := keys.Verify(tok, "council", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Role != auth.RoleModerator || c.Name != "Chair" || !auth.CheckPassword(c.Password, "s3cret pass") {
		t.Fatalf("claims %+v", c)
	}
	// Read without the key, the link holds its password's hash sealed.
	if shown, _, _, err := auth.ParseToken(tok); err != nil || shown.Password != "" || shown.ShownPassword != "" || shown.SealedPassword == "" {
		t.Fatalf("the link read without the key: %+v, %v; want its password sealed", shown, err)
	}
	if d := time.Until(c.ExpiresAt()); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour {
		t.Errorf("expires in %v, want 7 days", d)
	}
	st, err := os.Stat(auth.KeyPath(dir))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}

	// rotate-key voids it.
	root := newRootCommand()
	var rotated bytes.Buffer
	root.SetOut(&rotated)
	root.SetArgs([]string{"link", "rotate-key", "--data-dir", dir})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rotated.String(), "no longer work") {
		t.Errorf("rotate-key said %q", rotated.String())
	}
	if _, err := keys.Verify(tok, "council", time.Now()); !errors.Is(err, auth.ErrBadSignature) {
		t.Fatalf("link after rotation: %v", err)
	}
}

func TestLinkCommandRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{},
		{"--room", "a/b"},
		{"--room", "council", "--role", "admin"},
		{"--room", "council", "--expires", "0s"},
		{"--room", "council", "--expires", "soon"},
		{"--room", "council", "--expires", "213504d"}, // past what a duration holds
		{"--room", "council", "--url", "meet.example.org"},
		{"--room", "council", "--name", "   "},
	} {
		if out, _, err := runLink(t, "", append([]string{"--data-dir", dir}, args...)...); err == nil {
			t.Errorf("%v accepted: %s", args, out)
		}
	}
}

// A refused --name says why, even when what is wrong with it cannot be
// seen: a name of only invisible characters shows as blank, and a
// bidirectional control reorders the text around it.
func TestLinkCommandSaysWhyANameIsRefused(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]string{
		"\u200b":                "shows as blank",
		"\u3164":                "shows as blank",
		" \u2060\ufeff ":        "shows as blank",
		"A\u202ena":             "bidirectional",
		strings.Repeat("a", 65): "1 to 64 printable characters",
		"A\x07na":               "1 to 64 printable characters",
	} {
		_, _, err := runLink(t, "", "--data-dir", dir, "--room", "council", "--name", name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--name %+q: %v, want an error that says %q", name, err, want)
		}
	}
}

// serveConfig writes a configuration file of plenum serve that keeps
// its data in dataDir, and makes the key plenum serve makes at start.
func serveConfig(t *testing.T, dataDir string) string {
	t.Helper()
	if _, err := auth.OpenKeyring(dataDir); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "plenum.conf")
	if err := os.WriteFile(conf, []byte("domain = meet.example.org\ndata-dir = "+dataDir+"\nlog-format = json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// TestLinkSignsWithTheKeyPlenumServeUses: plenum link run as the
// service's user without --data-dir looked in that user's home, found
// no key and made one there, and printed links the server refused. It
// finds the data directory as plenum serve does: from --config, or
// PLENUM_DATA_DIR or PLENUM_CONFIG in the environment.
func TestLinkSignsWithTheKeyPlenumServeUses(t *testing.T) {
	for _, how := range []string{"--config", "PLENUM_CONFIG", "PLENUM_DATA_DIR"} {
		t.Run(how, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			conf := serveConfig(t, dataDir)
			var args []string
			switch how {
			case "--config":
				args = []string{"--config", conf}
			case "PLENUM_CONFIG":
				t.Setenv("PLENUM_CONFIG", conf)
			case "PLENUM_DATA_DIR":
				t.Setenv("PLENUM_DATA_DIR", dataDir)
			}
			out, _, err := runLink(t, "", append(args, "--room", "council")...)
			if err != nil {
				t.Fatal(err)
			}
			_, tok := tokenOf(t, out)
			keys, err := auth.OpenKeyring(dataDir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := keys.Verify(tok, "council", time.Now()); err != nil {
				t.Fatalf("the server's key refuses the link: %v", err)
			}
		})
	}
}

// TestLinkMakesNoKeyWhereTheServerHasNone: where there is no key,
// plenum link and plenum link rotate-key make none (the links would be
// refused, and a rotation would void nothing), and say where they
// looked and what to pass.
func TestLinkMakesNoKeyWhereTheServerHasNone(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "elsewhere")
	for _, c := range []struct {
		args []string
		env  string
		from string
	}{
		{[]string{"--room", "council", "--data-dir", empty}, "", "--data-dir"},
		{[]string{"--room", "council"}, empty, "PLENUM_DATA_DIR"},
		{[]string{"rotate-key", "--data-dir", empty}, "", "--data-dir"},
		{[]string{"rotate-key"}, empty, "PLENUM_DATA_DIR"},
	} {
		t.Run(strings.Join(c.args, " ")+" "+c.from, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("PLENUM_DATA_DIR", c.env)
			}
			out, _, err := runLink(t, "", c.args...)
			if err == nil {
				t.Fatalf("%v: %s", c.args, out)
			}
			for _, want := range []string{empty, c.from, "--data-dir DIR", "--config FILE"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v: %q does not say %q", c.args, err, want)
				}
			}
			if _, err := os.Stat(auth.KeyPath(empty)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%v made a key in %s (%v)", c.args, empty, err)
			}
		})
	}
}
