package main

import (
	"strings"
	"testing"
)

func TestAPublicIPParticipantsCannotReachIsRefused(t *testing.T) {
	for _, ip := range []string{"fe80::1%eth0", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "meet.example.org", "203.0.113.7/24"} {
		if err := checkServeFlags(t, "--public-ip", ip); err == nil || !strings.Contains(err.Error(), "--public-ip") {
			t.Errorf("--public-ip %s: error %v does not name --public-ip", ip, err)
		}
	}
	for _, ip := range []string{"203.0.113.7", "2001:db8::7", "10.0.0.5"} {
		if err := checkServeFlags(t, "--public-ip", ip); err != nil {
			t.Errorf("--public-ip %s: %v", ip, err)
		}
	}
}

func TestATURNRelayAddressNotOfThisMachineIsRefused(t *testing.T) {
	// 192.0.2.1 is TEST-NET-1: no machine has it.
	if err := checkServeFlags(t, "--turn-relay-ip", "192.0.2.1"); err == nil || !strings.Contains(err.Error(), "--turn-relay-ip") {
		t.Errorf("--turn-relay-ip 192.0.2.1: error %v does not name --turn-relay-ip", err)
	}
	if err := checkServeFlags(t, "--turn-relay-ip", "127.0.0.1"); err != nil {
		t.Errorf("--turn-relay-ip 127.0.0.1: %v", err)
	}
	if err := checkServeFlags(t, "--turn=false", "--turn-server", "turn:turn.example.org", "--turn-secret", "sixteen-bytes-ok", "--turn-relay-ip", "192.0.2.1"); err != nil {
		t.Errorf("without the built-in TURN server, --turn-relay-ip binds nothing: %v", err)
	}
}

// A contact the CA refuses means no certificate, ever: it is checked at
// start, not left to the CA.
func TestAnACMEEmailThatIsNotABareAddressIsRefused(t *testing.T) {
	for _, email := range []string{"admin@example.org # the admin", "Admin <admin@example.org>", "admin at example.org", "ad min@example.org"} {
		err := checkServeFlags(t, "--domain", "meet.example.org", "--acme-email", email)
		if err == nil || !strings.Contains(err.Error(), "--acme-email") {
			t.Errorf("--acme-email %q: error %v does not name --acme-email", email, err)
		}
	}
	if err := checkServeFlags(t, "--domain", "meet.example.org", "--acme-email", "admin+plenum@example.org"); err != nil {
		t.Errorf("admin+plenum@example.org: %v", err)
	}
}
