package main

import (
	"fmt"
	"regexp"
	"strings"
)

// flagInMessage finds the flags an error message names.
var flagInMessage = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)

// nameSources adds to err, for each flag it names that was set in the
// configuration file or the environment, where it was set. A check
// that refuses a value (--udp-port 70000, --gc-percent 5) names the
// flag; an admin who wrote it as udp-port in /etc/plenum/plenum.conf,
// or as PLENUM_GC_PERCENT in systemd's EnvironmentFile, was left to
// search for it, where a value that does not parse is named with its
// file and line.
func nameSources(err error, src flagSources) error {
	if err == nil {
		return nil
	}
	var where []string
	seen := map[string]bool{}
	for _, m := range flagInMessage.FindAllStringSubmatch(err.Error(), -1) {
		name := m[1]
		from, ok := src[name]
		if !ok || seen[name] || !fromFileOrEnvironment(from) {
			continue
		}
		seen[name] = true
		where = append(where, fmt.Sprintf("--%s comes from %s", name, from))
	}
	if len(where) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(where, "; "))
}

// fromFileOrEnvironment tells a flagSources value naming a file's line
// or an environment variable from the command line and the defaults.
func fromFileOrEnvironment(from string) bool {
	return strings.HasPrefix(from, envPrefix) || (from != "" && !strings.HasPrefix(from, "--") && !strings.HasPrefix(from, "default"))
}
