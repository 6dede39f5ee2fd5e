package main

import (
	"strings"
	"testing"
)

func TestAFlagThatWorksOnlyWithAnotherIsRefusedWithoutIt(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		flag, needs string
	}{
		{[]string{"--trusted-proxy", "10.0.0.0/8"}, "--trusted-proxy", "--behind-proxy"},
		{[]string{"--acme-email", "admin@example.org"}, "--acme-email", "--domain"},
		{[]string{"--acme-ca", "https://acme-staging-v02.api.letsencrypt.org/directory"}, "--acme-ca", "--domain"},
		{[]string{"--turn-tls-port", "443"}, "--turn-tls-port", "--domain"},
	} {
		err := checkServeFlags(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.flag+" ") || !strings.Contains(err.Error(), tc.needs) {
			t.Errorf("%v: error %v does not say that %s needs %s", tc.args, err, tc.flag, tc.needs)
		}
	}
	// With the other flag, or at their defaults (as --print-config
	// writes them), they pass.
	for _, args := range [][]string{
		{"--behind-proxy", "--trusted-proxy", "10.0.0.0/8"},
		{"--trusted-proxy", "127.0.0.0/8,::1/128"},
		{"--domain", "meet.example.org", "--acme-email", "admin@example.org"},
		{"--acme-ca", "https://acme-v02.api.letsencrypt.org/directory"},
		{"--turn-tls-port", "5349"},
		{"--turn=false", "--turn-tls-port", "443"},
		{"--domain", "meet.example.org", "--turn-tls-port", "5350"},
	} {
		if err := checkServeFlags(t, args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}
