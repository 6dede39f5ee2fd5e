package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveError runs plenum serve with args and env set, and returns its
// error; the cases here stop at the checks, before any port is opened.
func serveError(t *testing.T, args []string, env map[string]string) error {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cmd := newServeCommand()
	cmd.SetArgs(append(args, "--data-dir", t.TempDir()))
	cmd.SetOut(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return cmd.ExecuteContext(ctx)
}

// A value refused by a check after it parsed (a port out of range, a
// GOGC too low) is named with the line or the variable that set it, as
// a value that does not parse is: the README promises that a bad value
// in the file names the file and the line.
func TestARefusedValueNamesTheLineOrVariableThatSetIt(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "plenum.conf")
	if err := os.WriteFile(conf, []byte("log-level = info\nudp-port = 70000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what     string
		args     []string
		env      map[string]string
		want     []string
		wantNone bool
	}{
		{what: "file", args: []string{"--config", conf}, want: []string{"--udp-port 70000", conf + ":2"}},
		{what: "environment", env: map[string]string{"PLENUM_GC_PERCENT": "5"}, want: []string{"--gc-percent 5", "PLENUM_GC_PERCENT"}},
		{what: "one of two flags", env: map[string]string{"PLENUM_TLS_KEY": "k.pem"},
			want: []string{"--tls-cert and --tls-key go together", "--tls-key comes from PLENUM_TLS_KEY"}},
		{what: "command line", args: []string{"--udp-port", "70000"}, want: []string{"--udp-port 70000"}, wantNone: true},
	} {
		// A subtest each: t.Setenv lasts until its test ends.
		t.Run(tc.what, func(t *testing.T) {
			err := serveError(t, tc.args, tc.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			if tc.wantNone && strings.Contains(err.Error(), "comes from") {
				t.Errorf("%q names a source beyond the command line", err)
			}
		})
	}
}

// A SIGHUP that refuses the file says which line to mend.
func TestARefusedReloadNamesTheLine(t *testing.T) {
	f := newReloadFixture(t, "log-level = info\n")
	f.write("log-level = debug\n\nturn-max-allocations = 0\n")
	f.r.reload()
	if out := f.logs.String(); !strings.Contains(out, "would not start") || !strings.Contains(out, "plenum.conf:3") {
		t.Errorf("the refused reload does not name the line at fault:\n%s", out)
	}
}
