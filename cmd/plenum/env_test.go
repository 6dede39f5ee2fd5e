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
