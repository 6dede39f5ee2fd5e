package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/signaling/auth"
)

// installedConfig is the configuration file of the service
// scripts/install sets up, whose data-dir holds the server's key.
const installedConfig = "/etc/plenum/plenum.conf"

// serveKeyFlags adds to a command that uses plenum serve's signing key
// (plenum link, plenum link rotate-key) serve's --data-dir and
// --config, read under serve's variables (PLENUM_DATA_DIR,
// PLENUM_CONFIG) by serve's rules (serveDataDir).
func serveKeyFlags(f *pflag.FlagSet, dataDir, config *string) {
	f.StringVar(dataDir, "data-dir", defaultDataDir(), "data directory of plenum serve, which holds the signing key; without it, PLENUM_DATA_DIR, else the data-dir of --config, else serve's default")
	f.StringVar(config, "config", "", "configuration file of plenum serve, whose data-dir holds the signing key, e.g. "+installedConfig)
	for _, name := range []string{"data-dir", "config"} {
		_ = f.SetAnnotation(name, servesFlag, []string{"true"})
	}
}

// serveDataDir is the data directory plenum serve would use with the
// --data-dir and --config given in flags, the environment (lookupEnv)
// and the configuration file: the one flag, variable or file line that
// plenum serve would take it from, which from names ("" for the
// default).
func serveDataDir(flags *pflag.FlagSet, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (dir, from string, err error) {
	var o serveOptions
	serve := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	o.register(serve)
	for _, name := range []string{"data-dir", "config"} {
		if f := flags.Lookup(name); f != nil && f.Changed {
			if err := serve.Set(name, f.Value.String()); err != nil {
				return "", "", fmt.Errorf("--%s: %w", name, err)
			}
		}
	}
	// Only these two: the rest of serve's environment is not this
	// command's to check.
	only := func(name string) (string, bool) {
		if name == envName("data-dir") || name == envName("config") {
			return lookupEnv(name)
		}
		return "", false
	}
	src, err := resolveFlags(serve, only, readFile)
	if err != nil {
		return "", "", err
	}
	return o.dataDir, src["data-dir"], nil
}

// openServersKey opens the key plenum serve signs and checks links
// with. It never makes one: a key made elsewhere (run as another user,
// or without the server's --data-dir or --config) signs links the
// server refuses, with no clue why.
func openServersKey(flags *pflag.FlagSet) (*auth.Keyring, string, error) {
	dir, from, err := serveDataDir(flags, os.LookupEnv, readConfigFile)
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(auth.KeyPath(dir)); errors.Is(err, fs.ErrNotExist) {
		if from == "" {
			from = "plenum serve's default for this user"
		}
		return nil, "", fmt.Errorf("no signing key in %s (the data directory from %s): plenum serve makes it at its first start; "+
			"give the server's data directory, --data-dir DIR, or its configuration, --config FILE (%s for the installed service), "+
			"and run as the user the server runs as, or root", dir, from, installedConfig)
	}
	keys, err := auth.OpenKeyring(dir)
	if err != nil {
		return nil, "", fileError("--data-dir", dir, err)
	}
	return keys, dir, nil
}
