package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// envPrefix starts the environment variable of every flag of plenum
// serve: --udp-port is PLENUM_UDP_PORT.
const envPrefix = "PLENUM_"

// The other commands' flags have prefixes of their own, so that one
// environment serves every command: plenum serve's PLENUM_ROOMS is a
// rooms file, plenum bench's --rooms a count, and a service's
// PLENUM_URL once sent plenum bench's load to the server it named.
const (
	benchEnvPrefix = "PLENUM_BENCH_"
	checkEnvPrefix = "PLENUM_CHECK_"
	linkEnvPrefix  = "PLENUM_LINK_"
)

// otherEnvPrefixes are those of the commands other than serve.
var otherEnvPrefixes = []string{benchEnvPrefix, checkEnvPrefix, linkEnvPrefix}

// servesFlag marks a flag of another command that is plenum serve's
// own (plenum link's --data-dir and --config): it is read under serve's
// variable, by serve's rules (serveDataDir), not under the command's.
const servesFlag = "plenum-serve"

// notFromEnv are the flags that are actions, not settings: they come
// from the command line only. PLENUM_PRINT_CONFIG=true in a service's
// environment made every start print the configuration and exit 0, so
// that the server never ran and systemd, whose Restart=on-failure
// restarts only a failure, never said a word.
var notFromEnv = map[string]bool{"help": true, "print-config": true}

// envName is the variable of a flag of plenum serve.
func envName(flag string) string { return prefixedEnvName(envPrefix, flag) }

// prefixedEnvName is the variable of a flag under prefix.
func prefixedEnvName(prefix, flag string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable under prefix, if set. A flag on the command line
// wins.
func applyEnv(flags *pflag.FlagSet, prefix string) error {
	return applyEnvFrom(flags, prefix, os.LookupEnv, nil)
}

// applyEnvFrom is applyEnv with the environment given by lookup; set,
// if not nil, is told each flag it sets.
func applyEnvFrom(flags *pflag.FlagSet, prefix string, lookup func(string) (string, bool), set func(name string)) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || notFromEnv[f.Name] || f.Annotations[servesFlag] != nil {
			return
		}
		name := prefixedEnvName(prefix, f.Name)
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

// annotateEnv appends each flag's environment variable under prefix to
// its help line (serve's, for a flag that is serve's).
func annotateEnv(flags *pflag.FlagSet, prefix string) {
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Annotations[servesFlag] != nil {
			f.Usage += " [" + envName(f.Name) + "]"
		} else if !notFromEnv[f.Name] {
			f.Usage += " [" + prefixedEnvName(prefix, f.Name) + "]"
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
// The other commands' variables are theirs to read.
func unknownEnv(environ []string, flags *pflag.FlagSet) []string {
	known := map[string]bool{}
	for _, name := range toolEnv {
		known[name] = true
	}
	flags.VisitAll(func(f *pflag.Flag) { known[envName(f.Name)] = !notFromEnv[f.Name] })
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		other := slices.ContainsFunc(otherEnvPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
		if strings.HasPrefix(name, envPrefix) && !known[name] && !other {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
