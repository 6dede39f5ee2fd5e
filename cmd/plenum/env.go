package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// envPrefix starts the environment variable of every flag:
// --udp-port is PLENUM_UDP_PORT.
const envPrefix = "PLENUM_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable, if set. A flag on the command line wins.
func applyEnv(flags *pflag.FlagSet) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envName(f.Name)
		val, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if setErr := flags.Set(f.Name, val); setErr != nil {
			err = fmt.Errorf("environment variable %s=%q: %w", name, val, setErr)
		}
	})
	return err
}

// annotateEnv appends each flag's environment variable to its help line.
func annotateEnv(flags *pflag.FlagSet) {
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			f.Usage += " [" + envName(f.Name) + "]"
		}
	})
}
