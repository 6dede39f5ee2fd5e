package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// A configuration file holds flags of plenum serve, one per line:
//
//	# comments are whole lines
//	listen = :443
//	domain = meet.example.org
//	public-ip = 203.0.113.7
//	public-ip = 2001:db8::7      (repeatable flags: one line each, or a, b)
//	turn-secret = "  spaces kept inside quotes  "
//
// Keys are flag names without the dashes; an empty value means the
// flag's default. A flag on the command line wins over its environment
// variable, which wins over the file, which wins over the default.

// configLine is one key = value line of a configuration file.
type configLine struct {
	line       int
	key, value string
}

// notInFile are flags that make no sense in a configuration file.
var notInFile = map[string]bool{"config": true, "print-config": true, "help": true}

// secretFlags have values that --print-config does not show.
var secretFlags = map[string]bool{"turn-secret": true}

// parseConfigFile reads a configuration file and checks every key
// against flags. Errors name the file, the line and the key.
func parseConfigFile(name string, r io.Reader, flags *pflag.FlagSet) ([]configLine, error) {
	var out []configLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if n == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if text == "" || text[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		key = strings.TrimPrefix(strings.TrimSpace(key), "--")
		if !ok || key == "" {
			return nil, fmt.Errorf("%s:%d: want key = value, e.g. listen = :443", name, n)
		}
		if flags.Lookup(key) == nil || notInFile[key] {
			return nil, fmt.Errorf("%s:%d: unknown key %q (keys are the flags of plenum serve, without --)", name, n, key)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			unq, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s: bad quoted value: %v", name, n, key, err)
			}
			value = unq
		} else if strings.Contains(value, " #") || strings.Contains(value, "\t#") {
			// It reads as a trailing comment, but would be part of the
			// value: a data-dir, a turn-secret or an acme-email that
			// is not the one meant, with no error to say so.
			return nil, fmt.Errorf("%s:%d: %s: a # after a space would be part of the value, not a comment: put the comment on a line of its own, or quote the value", name, n, key)
		}
		out = append(out, configLine{line: n, key: key, value: value})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// applyConfigLines sets the flags the command line and the environment
// left alone. Repeated keys add to a list flag (and the last one wins
// for the others).
func applyConfigLines(name string, lines []configLine, flags *pflag.FlagSet, set func(flag string, line int)) error {
	alreadySet := map[string]bool{}
	flags.VisitAll(func(f *pflag.Flag) { alreadySet[f.Name] = f.Changed })
	for _, l := range lines {
		if alreadySet[l.key] || l.value == "" {
			continue
		}
		values := []string{l.value}
		if _, ok := flags.Lookup(l.key).Value.(pflag.SliceValue); ok {
			values = splitList(l.value)
		}
		for _, v := range values {
			if err := setFlag(flags, l.key, v); err != nil {
				if secretFlags[l.key] {
					v = "…"
				}
				return fmt.Errorf("%s:%d: %s = %s: %w", name, l.line, l.key, v, err)
			}
		}
		set(l.key, l.line)
	}
	return nil
}

// splitList splits a list value at commas, dropping spaces around items
// and empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// flagSources says where each flag's value came from, for
// --print-config: "--flag", "PLENUM_…", "FILE:LINE" or "" (default).
type flagSources map[string]string

// resolveFlags completes the command line with the environment and the
// configuration file named by --config (or PLENUM_CONFIG).
func resolveFlags(flags *pflag.FlagSet, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (flagSources, error) {
	src := flagSources{}
	flags.Visit(func(f *pflag.Flag) { src[f.Name] = "--" + f.Name })
	if err := applyEnvFrom(flags, envPrefix, lookupEnv, func(name string) { src[name] = envName(name) }); err != nil {
		return nil, err
	}
	file := ""
	if f := flags.Lookup("config"); f != nil {
		file = f.Value.String()
	}
	if file == "" {
		return src, nil
	}
	data, err := readFile(file)
	if err != nil {
		return nil, fileError("--config", file, err)
	}
	lines, err := parseConfigFile(file, bytes.NewReader(data), flags)
	if err != nil {
		return nil, err
	}
	err = applyConfigLines(file, lines, flags, func(name string, line int) {
		src[name] = file + ":" + strconv.Itoa(line)
	})
	return src, err
}

// printConfig writes the effective configuration in the file format,
// each value with where it came from, secrets hidden, after the
// warnings a start would log (startWarnings).
func printConfig(w io.Writer, flags *pflag.FlagSet, src flagSources, warnings []string) error {
	var b strings.Builder
	b.WriteString("# Effective configuration of plenum serve (precedence: flag > environment > file > default).\n")
	for _, w := range warnings {
		fmt.Fprintf(&b, "# warning: %s\n", w)
	}
	flags.VisitAll(func(f *pflag.Flag) {
		if notInFile[f.Name] {
			return
		}
		from := src[f.Name]
		if from == "" {
			from = "default"
		}
		values := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			values = sv.GetSlice()
		}
		if secretFlags[f.Name] && f.Value.String() != "" {
			fmt.Fprintf(&b, "# %s is set (from %s), not shown\n", f.Name, from)
			return
		}
		fmt.Fprintf(&b, "\n# %s (%s)\n", strings.TrimSuffix(f.Usage, " ["+envName(f.Name)+"]"), from)
		if len(values) == 0 {
			values = []string{""}
		}
		for _, v := range values {
			if v != strings.TrimSpace(v) || strings.ContainsAny(v, "\"\n#") {
				v = strconv.Quote(v)
			}
			fmt.Fprintf(&b, "%s = %s\n", f.Name, v)
		}
	})
	_, err := io.WriteString(w, b.String())
	return err
}

// readConfigFile reads --config; a variable for tests.
var readConfigFile = os.ReadFile

// flagSnapshot holds the flags given on the command line, to replay
// them when SIGHUP reads the environment and the file again.
type flagSnapshot map[string][]string

func snapshotFlags(flags *pflag.FlagSet) flagSnapshot {
	s := flagSnapshot{}
	flags.Visit(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s[f.Name] = sv.GetSlice()
			return
		}
		s[f.Name] = []string{f.Value.String()}
	})
	return s
}

// apply sets the snapshot's flags on another flag set of the same
// command.
func (s flagSnapshot) apply(flags *pflag.FlagSet) error {
	for name, values := range s {
		f := flags.Lookup(name)
		if f == nil {
			return fmt.Errorf("no flag --%s", name)
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			if err := sv.Replace(values); err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
			f.Changed = true
			continue
		}
		if err := flags.Set(name, values[0]); err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
	}
	return nil
}
