package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestAMisspeltEnvironmentVariableIsReported(t *testing.T) {
	t.Setenv("PLENUM_TURN_SECERT", "a-secret-of-sixteen-bytes")
	t.Setenv("PLENUM_UDP_PORT", "10001")
	t.Setenv("PLENUM_AXE_JS", "/cache/axe.min.js") // scripts/test's, for the browser tests
	text := printedConfig(t)
	if !strings.Contains(text, "PLENUM_TURN_SECERT is set but names no flag") {
		t.Errorf("--print-config does not say that PLENUM_TURN_SECERT is ignored:\n%s", text)
	}
	if strings.Contains(text, "a-secret-of-sixteen-bytes") {
		t.Errorf("--print-config shows the value of an unknown variable, which may be a secret:\n%s", text)
	}
	if strings.Contains(text, "PLENUM_AXE_JS") {
		t.Errorf("a variable of Plenum's own test scripts is reported:\n%s", text)
	}
	if strings.Contains(text, "PLENUM_UDP_PORT is set but") || !strings.Contains(text, "udp-port = 10001") {
		t.Errorf("PLENUM_UDP_PORT is a flag's:\n%s", text)
	}
}

// --print-config is an action, not a setting: PLENUM_PRINT_CONFIG=true
// in a service's environment made every start print and exit 0, so the
// server never ran and systemd (Restart=on-failure) never restarted it.
// It is ignored, with a warning, and the server runs.
func TestPrintConfigIsNotTakenFromTheEnvironment(t *testing.T) {
	t.Setenv("PLENUM_PRINT_CONFIG", "true")
	cmd := newServeCommand()
	env := func(name string) (string, bool) {
		if name == "PLENUM_PRINT_CONFIG" {
			return "true", true
		}
		return "", false
	}
	if _, err := resolveFlags(cmd.Flags(), env, nil); err != nil {
		t.Fatal(err)
	}
	f := cmd.Flags().Lookup("print-config")
	if f.Value.String() != "false" {
		t.Errorf("PLENUM_PRINT_CONFIG=true set --print-config: plenum serve would print and exit 0, never serve")
	}
	if strings.Contains(f.Usage, "PLENUM_PRINT_CONFIG") {
		t.Errorf("--help offers PLENUM_PRINT_CONFIG: %s", f.Usage)
	}
	if text := printedConfig(t); !strings.Contains(text, "PLENUM_PRINT_CONFIG is set, but --print-config is taken from the command line only: ignored") {
		t.Errorf("PLENUM_PRINT_CONFIG is ignored without a warning:\n%s", text)
	}
}

// TestEachCommandHasItsOwnEnvironment: PLENUM_ROOMS was plenum serve's
// rooms file and plenum bench's count of rooms, and PLENUM_URL was read
// by check, bench and link alike, so that one environment (a systemd
// unit's, a shell's) broke another command or sent plenum bench's load
// to the server it named. Each variable is one command's, but for the
// flags of plenum serve's that plenum link reads as serve does.
func TestEachCommandHasItsOwnEnvironment(t *testing.T) {
	owner := map[string]string{}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			_, rest, ok := strings.Cut(f.Usage, " [PLENUM_")
			if !ok {
				return
			}
			name := "PLENUM_" + strings.TrimSuffix(rest, "]")
			who := cmd.CommandPath() + " --" + f.Name
			if f.Annotations[servesFlag] != nil {
				who = "plenum serve --" + f.Name
			}
			if prev, ok := owner[name]; ok && prev != who {
				t.Errorf("%s is both %s and %s", name, prev, who)
			}
			owner[name] = who
		})
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand())
	for name, want := range map[string]string{
		"PLENUM_ROOMS":          "plenum serve --rooms",
		"PLENUM_BENCH_ROOMS":    "plenum bench --rooms",
		"PLENUM_BENCH_URL":      "plenum bench --url",
		"PLENUM_CHECK_URL":      "plenum check --url",
		"PLENUM_LINK_URL":       "plenum link --url",
		"PLENUM_LINK_NAME":      "plenum link --name",
		"PLENUM_BENCH_NAME":     "plenum bench --name",
		"PLENUM_DATA_DIR":       "plenum serve --data-dir",
		"PLENUM_CONFIG":         "plenum serve --config",
		"PLENUM_LINK_ROOM":      "plenum link --room",
		"PLENUM_BENCH_DURATION": "plenum bench --duration",
	} {
		if owner[name] != want {
			t.Errorf("%s is %q, want %q", name, owner[name], want)
		}
	}

	// The bench's variables are no misspelling of serve's.
	serve := newServeCommand()
	environ := []string{"PLENUM_BENCH_ROOMS=3", "PLENUM_CHECK_URL=https://meet.example.org/", "PLENUM_LINK_ROLE=viewer", "PLENUM_ROOMZ=x"}
	if got := unknownEnv(environ, serve.Flags()); len(got) != 1 || got[0] != "PLENUM_ROOMZ" {
		t.Errorf("plenum serve warns of %v, want only PLENUM_ROOMZ", got)
	}
}

// TestBenchTakesItsFlagsFromItsOwnVariables: plenum bench in the shell
// of an admin who exported serve's PLENUM_ROOMS (a file) failed on a
// count it could not read.
func TestBenchTakesItsFlagsFromItsOwnVariables(t *testing.T) {
	t.Setenv("PLENUM_ROOMS", "/etc/plenum/rooms.conf")
	t.Setenv("PLENUM_URL", "https://meet.example.org/")
	t.Setenv("PLENUM_BENCH_ROOMS", "3")
	cmd := newBenchCommand()
	if err := applyEnv(cmd.Flags(), benchEnvPrefix); err != nil {
		t.Fatal(err)
	}
	if rooms, url := cmd.Flags().Lookup("rooms").Value.String(), cmd.Flags().Lookup("url").Value.String(); rooms != "3" || url != "" {
		t.Errorf("bench --rooms %s --url %q, want 3 and none", rooms, url)
	}
}
