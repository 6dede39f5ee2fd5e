package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// switchWords are the words a switch (--turn, --behind-proxy,
// --require-token) takes in the configuration file and the environment
// besides Go's true and false: the rooms file's on and off, which an
// admin who wrote "lobby = on" there writes here too, and yes and no.
var switchWords = map[string]string{"on": "true", "yes": "true", "off": "false", "no": "false"}

// setFlag sets a flag from the file or the environment, where a switch
// also takes switchWords and one it cannot read is refused with the
// words it takes (strconv.ParseBool's "invalid syntax" said none).
func setFlag(flags *pflag.FlagSet, name, value string) error {
	f := flags.Lookup(name)
	if f == nil || f.Value.Type() != "bool" {
		return flags.Set(name, value)
	}
	if w, ok := switchWords[strings.ToLower(strings.TrimSpace(value))]; ok {
		value = w
	}
	if err := flags.Set(name, value); err != nil {
		return fmt.Errorf("--%s %q: want true or false (or on, off, yes, no)", name, value)
	}
	return nil
}
