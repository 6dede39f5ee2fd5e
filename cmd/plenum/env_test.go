package main

import (
	"strings"
	"testing"
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
