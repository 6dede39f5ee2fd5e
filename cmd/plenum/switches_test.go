package main

import (
	"strings"
	"testing"
)

// A switch written as the rooms file writes one (lobby = on) is taken
// in the configuration file and the environment: "require-token = on"
// stopped the start with strconv.ParseBool's "invalid syntax".
func TestASwitchTakesOnAndOffAsTheRoomsFileDoes(t *testing.T) {
	const file = "plenum.conf"
	conf := "require-token = on\nturn = Off\nbehind-proxy = yes\n"
	flags, _, err := resolve(t, []string{"--config", file}, nil, map[string]string{file: conf})
	if err != nil {
		t.Fatalf("%q refused: %v", conf, err)
	}
	for name, want := range map[string]string{"require-token": "true", "turn": "false", "behind-proxy": "true"} {
		if got := flags.Lookup(name).Value.String(); got != want {
			t.Errorf("--%s = %s, want %s", name, got, want)
		}
	}
	flags, _, err = resolve(t, nil, map[string]string{"PLENUM_TURN": "no"}, nil)
	if err != nil || flags.Lookup("turn").Value.String() != "false" {
		t.Errorf("PLENUM_TURN=no: %v, --turn = %s", err, flags.Lookup("turn").Value.String())
	}
	_, _, err = resolve(t, []string{"--config", file}, nil, map[string]string{file: "\nturn = maybe\n"})
	if err == nil || !strings.Contains(err.Error(), file+":2") || !strings.Contains(err.Error(), "want true or false") {
		t.Errorf("turn = maybe: %v, want the line and the words a switch takes", err)
	}
}
