package main

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// startWarnings are what plenum serve warns of at start (and
// --print-config shows): a configuration it runs with, but not as the
// admin likely meant.
func startWarnings(flags *pflag.FlagSet, src flagSources, environ []string) []string {
	var out []string
	for _, name := range unknownEnv(environ, flags) {
		flag := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, envPrefix), "_", "-"))
		if notFromEnv[flag] && flags.Lookup(flag) != nil {
			out = append(out, fmt.Sprintf("%s is set, but --%s is taken from the command line only: ignored", name, flag))
		} else {
			out = append(out, fmt.Sprintf("%s is set but names no flag of plenum serve: ignored", name))
		}
	}
	// The secret files in --data-dir are refused when others may read
	// them; where the admin puts the secret is the admin's choice, so
	// it is only warned of.
	switch from := src["turn-secret"]; {
	case from == "--turn-secret":
		out = append(out, "--turn-secret on the command line shows in every user's ps: give it in --config's file (chmod 600) or PLENUM_TURN_SECRET")
	case strings.Contains(from, ":"): // FILE:LINE
		file := from[:strings.LastIndex(from, ":")]
		if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o004 != 0 {
			out = append(out, fmt.Sprintf("%s holds turn-secret and every user of this machine may read it: chmod o-r %s", file, file))
		}
	}
	// /metrics tells how many people meet and when: on
	// --listen it answers this machine only, on its own listener anyone
	// who reaches it.
	if f := flags.Lookup("metrics-listen"); f != nil && f.Value.String() != "" {
		if host, _, err := net.SplitHostPort(f.Value.String()); err == nil && isEveryAddress(host) {
			out = append(out, fmt.Sprintf("--metrics-listen %s serves /metrics to anyone who reaches this machine: give an address only Prometheus reaches (127.0.0.1:9090, a private one), or let the firewall keep the port closed", f.Value.String()))
		}
	}
	return out
}
