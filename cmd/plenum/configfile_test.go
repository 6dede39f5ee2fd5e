package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// resolve parses args as plenum serve does, with env as the
// environment and files as the file system.
func resolve(t *testing.T, args []string, env, files map[string]string) (*pflag.FlagSet, flagSources, error) {
	t.Helper()
	cmd := newServeCommand()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	read := func(name string) ([]byte, error) {
		data, ok := files[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(data), nil
	}
	src, err := resolveFlags(cmd.Flags(), lookup, read)
	return cmd.Flags(), src, err
}

func TestConfigPrecedenceFlagOverEnvironmentOverFileOverDefault(t *testing.T) {
	const file = "/etc/plenum.conf"
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		conf       string
		flag, want string
		from       string
	}{
		{name: "default", flag: "udp-port", want: "10000", from: ""},
		{name: "file over default", conf: "udp-port = 11000", flag: "udp-port", want: "11000", from: file + ":1"},
		{name: "environment over file", conf: "udp-port = 11000", env: map[string]string{"PLENUM_UDP_PORT": "12000"},
			flag: "udp-port", want: "12000", from: "PLENUM_UDP_PORT"},
		{name: "flag over environment and file", args: []string{"--udp-port", "13000"}, conf: "udp-port = 11000",
			env: map[string]string{"PLENUM_UDP_PORT": "12000"}, flag: "udp-port", want: "13000", from: "--udp-port"},
		{name: "flag over file", args: []string{"--udp-port=13000"}, conf: "udp-port = 11000", flag: "udp-port", want: "13000", from: "--udp-port"},
		{name: "repeated lines make a list", conf: "public-ip = 203.0.113.1\n# a comment\n\npublic-ip = 203.0.113.2",
			flag: "public-ip", want: "[203.0.113.1,203.0.113.2]", from: file + ":4"},
		{name: "comma-separated list in the file", conf: "public-ip = 203.0.113.1, 203.0.113.2",
			flag: "public-ip", want: "[203.0.113.1,203.0.113.2]", from: file + ":1"},
		{name: "environment replaces the file's list", conf: "public-ip = 203.0.113.1\npublic-ip = 203.0.113.2",
			env: map[string]string{"PLENUM_PUBLIC_IP": "198.51.100.7"}, flag: "public-ip", want: "[198.51.100.7]", from: "PLENUM_PUBLIC_IP"},
		{name: "flag replaces the file's list", args: []string{"--public-ip", "192.0.2.9"}, conf: "public-ip = 203.0.113.1",
			flag: "public-ip", want: "[192.0.2.9]", from: "--public-ip"},
		{name: "boolean in the file", conf: "turn = false", flag: "turn", want: "false", from: file + ":1"},
		{name: "boolean flag over the file", args: []string{"--turn=true"}, conf: "turn = false", flag: "turn", want: "true", from: "--turn"},
		{name: "empty value keeps the default", conf: "listen =", flag: "listen", want: defaultListen, from: ""},
		{name: "last line wins for a single value", conf: "listen = :1\nlisten = :2", flag: "listen", want: ":2", from: file + ":2"},
		{name: "quoted value keeps spaces", conf: `turn-realm = " a b "`, flag: "turn-realm", want: " a b ", from: file + ":1"},
		{name: "quoted value keeps a #", conf: `turn-realm = "a #b"`, flag: "turn-realm", want: "a #b", from: file + ":1"},
		{name: "a # within a word is the value's", conf: `turn-realm = a#b`, flag: "turn-realm", want: "a#b", from: file + ":1"},
		{name: "unit flag in the file", conf: "turn-bandwidth-max = 100M", flag: "turn-bandwidth-max", want: "100M", from: file + ":1"},
		{name: "--prefix tolerated", conf: "--udp-port = 11000", flag: "udp-port", want: "11000", from: file + ":1"},
		{name: "file named by the environment", args: []string{}, env: map[string]string{"PLENUM_CONFIG": file},
			conf: "udp-port = 11000", flag: "udp-port", want: "11000", from: file + ":1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.conf != "" && tc.env["PLENUM_CONFIG"] == "" {
				args = append([]string{"--config", file}, args...)
			}
			flags, src, err := resolve(t, args, tc.env, map[string]string{file: tc.conf})
			if err != nil {
				t.Fatal(err)
			}
			if got := flags.Lookup(tc.flag).Value.String(); got != tc.want {
				t.Errorf("--%s = %q, want %q", tc.flag, got, tc.want)
			}
			if got := src[tc.flag]; got != tc.from {
				t.Errorf("--%s comes from %q, want %q", tc.flag, got, tc.from)
			}
		})
	}
}

func TestConfigFileErrorsNameTheLineAndTheKey(t *testing.T) {
	const file = "plenum.conf"
	for _, tc := range []struct {
		conf string
		want []string
	}{
		{"listen = :443\nudp-prot = 10000", []string{"plenum.conf:2", `unknown key "udp-prot"`}},
		{"# ok\nconfig = other.conf", []string{"plenum.conf:2", `unknown key "config"`}},
		{"print-config = true", []string{"plenum.conf:1", `"print-config"`}},
		{"listen :443", []string{"plenum.conf:1", "key = value"}},
		{"udp-port = many", []string{"plenum.conf:1", "udp-port"}},
		{"turn-relay-ports = 3-1", []string{"plenum.conf:1", "turn-relay-ports"}},
		{`turn-realm = "unterminated\"`, []string{"plenum.conf:1", "turn-realm"}},
		{"# ok\ndata-dir = /var/lib/plenum   # the data", []string{"plenum.conf:2", "data-dir", "comment"}},
		{"turn-secret = 0123456789abcdef\t# as coturn's", []string{"plenum.conf:1", "turn-secret", "comment"}},
	} {
		_, _, err := resolve(t, []string{"--config", file}, nil, map[string]string{file: tc.conf})
		if err == nil {
			t.Errorf("%q: accepted", tc.conf)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not say %q", tc.conf, err, w)
			}
		}
	}
	_, _, err := resolve(t, []string{"--config", "missing.conf"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "--config") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestPrintConfigHidesSecretsAndRoundTrips(t *testing.T) {
	const file = "plenum.conf"
	conf := "turn-secret = s3cret-value\npublic-ip = 203.0.113.1\npublic-ip = 203.0.113.2\ndomain = meet.example.org\n"
	cmd := newServeCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--config", file, "--print-config", "--udp-port", "10001"})
	old := readConfigFile
	readConfigFile = func(string) ([]byte, error) { return []byte(conf), nil }
	t.Cleanup(func() { readConfigFile = old })
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, "s3cret-value") {
		t.Fatalf("--print-config shows the TURN secret:\n%s", text)
	}
	for _, want := range []string{
		"turn-secret is set (from plenum.conf:1), not shown",
		"udp-port = 10001", "(--udp-port)",
		"public-ip = 203.0.113.1\npublic-ip = 203.0.113.2",
		"listen = :443", "(default with --domain)", "http-redirect-listen = :80",
		"tcp-port = 10000", "(default)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, text)
		}
	}

	// What it prints is itself a valid configuration file, with the
	// same values.
	printed := map[string]string{file: text}
	flags, _, err := resolve(t, []string{"--config", file}, nil, printed)
	if err != nil {
		t.Fatalf("the printed configuration does not read back: %v", err)
	}
	for flag, want := range map[string]string{"udp-port": "10001", "public-ip": "[203.0.113.1,203.0.113.2]", "domain": "meet.example.org", "listen": ":443"} {
		if got := flags.Lookup(flag).Value.String(); got != want {
			t.Errorf("read back --%s = %q, want %q", flag, got, want)
		}
	}
}

func TestBadFlagsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--listen", "8080"}, "--listen"},
		{[]string{"--metrics-listen", "nowhere"}, "--metrics-listen"},
		{[]string{"--http-redirect-listen", ":80"}, "--http-redirect-listen"},
		{[]string{"--domain", "localhost"}, "--domain"},
		{[]string{"--domain", "meet.example.org", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, "--domain"},
		{[]string{"--domain", "meet.example.org", "--acme-ca", "http://ca.example/dir"}, "--acme-ca"},
		{[]string{"--domain", "meet.example.org", "--acme-email", "nobody"}, "--acme-email"},
		{[]string{"--tls-cert", "c.pem"}, "--tls-key"},
		{[]string{"--behind-proxy", "--trusted-proxy", "proxy.example"}, "--trusted-proxy"},
		{[]string{"--udp-port", "70000"}, "--udp-port"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--gc-percent", "5"}, "--gc-percent"},
		{[]string{"--memory-limit", "1M"}, "--memory-limit"},
		{[]string{"--memory-limit", "lots"}, "--memory-limit"},
		{[]string{"--turn-secret", "fifteen-bytes!!"}, "--turn-secret"},
		{[]string{"--turn=false", "--turn-server", "turn:turn.example.org", "--turn-secret", "short"}, "--turn-secret"},
		{[]string{"--turn=false", "--turn-server", "turn.example.org:3478", "--turn-secret", "sixteen-bytes-ok"}, "--turn-server"},
		{[]string{"--turn-server", "https://turn.example.org"}, "--turn-server"},
		{[]string{"--turn-relay-ip", "0.0.0.0"}, "--turn-relay-ip"},
		{[]string{"--turn-max-allocations", "-1"}, "--turn-max-allocations"},
		{[]string{"--turn-max-allocations-per-user", "-1"}, "--turn-max-allocations-per-user"},
		{[]string{"--public-ip", "meet.example.org"}, "--public-ip"},
	} {
		cmd := newServeCommand()
		cmd.SetArgs(append(tc.args, "--data-dir", dir))
		cmd.SetOut(io.Discard)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		// Should a case be accepted, the server it starts stops soon.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := cmd.ExecuteContext(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%v: error %v does not name %s", tc.args, err, tc.flag)
		}
	}
}

func TestATURNSecretOfSixteenBytesIsAccepted(t *testing.T) {
	o := turnOptions{enabled: true, secret: "sixteen-bytes-ok", maxAllocations: 1, maxAllocationsUser: 1}
	cfg, err := o.config(t.TempDir(), nil)
	if err != nil || string(cfg.Secret) != o.secret {
		t.Fatalf("config = %q, %v", cfg.Secret, err)
	}
}

func TestReloadAppliesTheLogLevelAndReportsOtherChanges(t *testing.T) {
	f := newReloadFixture(t, "log-level = info\nudp-port = 10000\n", "--max-rooms", "3")
	r, level, logs, write := f.r, f.level, f.logs, f.write

	write("log-level = debug\nudp-port = 10002\nmax-rooms = 9\n")
	r.reload()
	if level.Level() != slog.LevelDebug {
		t.Errorf("log level %v after reload, want debug", level.Level())
	}
	out := logs.String()
	if !strings.Contains(out, "flag=--udp-port") || !strings.Contains(out, "restart") {
		t.Errorf("the reload does not say that --udp-port needs a restart:\n%s", out)
	}
	if strings.Contains(out, "--max-rooms") {
		t.Errorf("--max-rooms is on the command line, which wins over the file, yet the reload reports it:\n%s", out)
	}

	logs.Reset()
	write("udp-port = 10000\nbogus = 1\n")
	r.reload()
	if !strings.Contains(logs.String(), `unknown key \"bogus\"`) || level.Level() != slog.LevelDebug {
		t.Errorf("a broken file must be reported and change nothing:\n%s", logs.String())
	}
}

func TestAReloadWithADomainAndNothingChangedAsksForNoRestart(t *testing.T) {
	var o serveOptions
	flags := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	o.register(flags)
	if err := flags.Parse([]string{"--domain", "meet.example.org", "--data-dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cli := snapshotFlags(flags)
	noEnv := func(string) (string, bool) { return "", false }
	src, err := resolveFlags(flags, noEnv, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	o.applyDerivedDefaults(flags, src) // as serve does
	var logs bytes.Buffer
	level := new(slog.LevelVar)
	r := &reloader{
		log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level})), level: level,
		cli: cli, current: flags, env: noEnv, readFile: os.ReadFile,
	}
	r.reload()
	if strings.Contains(logs.String(), "restart") {
		t.Fatalf("a SIGHUP with nothing changed asks for a restart:\n%s", logs.String())
	}
}

func TestServeSetsTheGCPercentAndMemoryLimitUnlessGoHasThemAndTheFlagIsNotGiven(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	serve := func(args ...string) int {
		debug.SetGCPercent(100)
		cmd := newServeCommand()
		cmd.SetArgs(append(args, "--listen", "127.0.0.1:0", "--udp-port", "0", "--tcp-port", "0", "--turn=false",
			"--ice-interface", "lo", "--data-dir", t.TempDir(), "--log-level", "error"))
		cmd.SetOut(io.Discard)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return debug.SetGCPercent(100)
	}

	t.Setenv("GOGC", "")
	if got := serve(); got != defaultGCPercent {
		t.Errorf("GC percent %d with no flag and no GOGC, want %d", got, defaultGCPercent)
	}
	if got := serve("--gc-percent", "40"); got != 40 {
		t.Errorf("GC percent %d with --gc-percent 40", got)
	}
	t.Setenv("GOGC", "77")
	if got := serve(); got != 100 {
		t.Errorf("GC percent %d with GOGC=77 in the environment and no flag: the runtime's own reading should stay", got)
	}
	if got := serve("--gc-percent", "40"); got != 40 {
		t.Errorf("GC percent %d with GOGC=77 and --gc-percent 40: the flag should win", got)
	}

	limit := debug.SetMemoryLimit(-1) // a negative limit only reads it
	t.Cleanup(func() { debug.SetMemoryLimit(limit) })
	serve("--memory-limit", "700M")
	if got := debug.SetMemoryLimit(-1); got != 700<<20 {
		t.Errorf("memory limit %d with --memory-limit 700M", got)
	}
	serve("--memory-limit", "0")
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d with --memory-limit 0, want none", got)
	}
}

func TestPrintConfigQuotesAValueWithAHash(t *testing.T) {
	const file = "plenum.conf"
	text := printedConfig(t, "--turn-realm", "a #b")
	flags, _, err := resolve(t, []string{"--config", file}, nil, map[string]string{file: text})
	if err != nil {
		t.Fatalf("the printed configuration does not read back: %v\n%s", err, text)
	}
	if got := flags.Lookup("turn-realm").Value.String(); got != "a #b" {
		t.Errorf("read back --turn-realm = %q, want %q", got, "a #b")
	}
}
