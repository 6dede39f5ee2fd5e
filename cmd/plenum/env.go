package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// envPrefix starts the environment variable of every flag:
// --udp-port is PLENUM_UDP_PORT.
const envPrefix = "PLENUM_"

// notFromEnv are the flags that are actions, not settings: they come
// from the command line only. PLENUM_PRINT_CONFIG=true in a service's
// environment made every start print the configuration and exit 0, so
// that the server never ran and systemd, whose Restart=on-failure
// restarts only a failure, never said a word.
var notFromEnv = map[string]bool{"help": true, "print-config": true}

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable, if set. A flag on the command line wins.
func applyEnv(flags *pflag.FlagSet) error {
	return applyEnvFrom(flags, os.LookupEnv, nil)
}

// applyEnvFrom is applyEnv with the environment given by lookup; set,
// if not nil, is told each flag it sets.
func applyEnvFrom(flags *pflag.FlagSet, lookup func(string) (string, bool), set func(name string)) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || notFromEnv[f.Name] {
			return
		}
		name := envName(f.Name)
		val, ok := lookup(name)
		if !ok {
			return
		}
		if setErr := setFlag(flags, f.Name, val); setErr != nil {
			err = fmt.Errorf("environment variable %s=%q: %w", name, val, setErr)
			return
		}
		if set != nil {
			set(f.Name)
		}
	})
	return err
}

// annotateEnv appends each flag's environment variable to its help line.
func annotateEnv(flags *pflag.FlagSet) {
	flags.VisitAll(func(f *pflag.Flag) {
		if !notFromEnv[f.Name] {
			f.Usage += " [" + envName(f.Name) + "]"
		}
	})
}

// toolEnv are the PLENUM_ variables of Plenum's own tests and scripts,
// not of plenum serve: scripts/test exports PLENUM_AXE_JS to every
// process it starts, and a server started under it must not warn.
var toolEnv = []string{
	"PLENUM_AXE_JS", "PLENUM_BENCH_INSIDE", "PLENUM_FAIL_SHOTS",
	"PLENUM_IMPAIRED_NETWORK_TESTS", "PLENUM_SCREENSHOTS", "PLENUM_SCREENSHOT_DIR",
	"PLENUM_SOAK", "PLENUM_SOAK_SEED", "PLENUM_SOAK_TESTS", "PLENUM_TEST_LOG",
	"PLENUM_TURN_DEBUG",
}

// unknownEnv lists the PLENUM_ variables in environ that name no flag
// taken from the environment: a misspelt one (PLENUM_TURN_SECERT in a
// systemd EnvironmentFile) is otherwise ignored without a word, as a
// config file's unknown key is not, and so is PLENUM_PRINT_CONFIG.
func unknownEnv(environ []string, flags *pflag.FlagSet) []string {
	known := map[string]bool{}
	for _, name := range toolEnv {
		known[name] = true
	}
	flags.VisitAll(func(f *pflag.Flag) { known[envName(f.Name)] = !notFromEnv[f.Name] })
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, envPrefix) && !known[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
