package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// checkServeFlags checks args as plenum serve does before it opens a
// socket, with a data directory of its own.
func checkServeFlags(t *testing.T, args ...string) error {
	t.Helper()
	var o serveOptions
	flags := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	o.register(flags)
	if err := flags.Parse(append(args, "--data-dir", t.TempDir())); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	o.applyDerivedDefaults(flags, flagSources{})
	_, _, err := o.config(slog.New(slog.DiscardHandler))
	return err
}

func TestPortsThatCollideAreRefusedNamingBothFlags(t *testing.T) {
	const domain = "meet.example.org"
	for _, tc := range []struct {
		args   []string
		flags  [2]string
		reason string
	}{
		{[]string{"--domain", domain, "--turn-tls-port", "3478"}, [2]string{"--turn-port", "--turn-tls-port"}, "TURN over TLS on the TURN port"},
		{[]string{"--domain", domain, "--turn-port", "5349"}, [2]string{"--turn-port", "--turn-tls-port"}, "the TURN port on the TLS one"},
		{[]string{"--domain", domain, "--turn-tls-port", "443"}, [2]string{"--listen", "--turn-tls-port"}, "TURN over TLS on the HTTPS port"},
		{[]string{"--domain", domain, "--turn-tls-port", "10000"}, [2]string{"--tcp-port", "--turn-tls-port"}, "TURN over TLS on the media TCP port"},
		{[]string{"--domain", domain, "--turn-tls-port", "80"}, [2]string{"--http-redirect-listen", "--turn-tls-port"}, "TURN over TLS on the redirect port"},
		{[]string{"--listen", "127.0.0.1:5349", "--domain", domain}, [2]string{"--listen", "--turn-tls-port"}, "a specific HTTPS address and TURN on every address"},
		{[]string{"--domain", domain, "--tcp-port", "443"}, [2]string{"--listen", "--tcp-port"}, "ICE over TCP on the HTTPS port"},
		{[]string{"--domain", domain, "--listen", ":80"}, [2]string{"--listen", "--http-redirect-listen"}, "HTTPS on the redirect's default port"},
		{[]string{"--metrics-listen", "127.0.0.1:8080"}, [2]string{"--listen", "--metrics-listen"}, "metrics on the HTTP port"},
		{[]string{"--turn-port", "10000"}, [2]string{"--udp-port", "--turn-port"}, "TURN on the media port"},
		{[]string{"--tcp-port", "3478"}, [2]string{"--tcp-port", "--turn-port"}, "ICE over TCP on the TURN port"},
	} {
		err := checkServeFlags(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.flags[0]+" ") || !strings.Contains(err.Error(), tc.flags[1]+" ") {
			t.Errorf("%s (%v): error %v does not name %s and %s", tc.reason, tc.args, err, tc.flags[0], tc.flags[1])
		}
	}
}

func TestPortsThatCannotCollideAreAccepted(t *testing.T) {
	for _, args := range [][]string{
		nil, // the defaults
		{"--domain", "meet.example.org"},
		{"--turn=false", "--domain", "meet.example.org", "--turn-tls-port", "443"}, // no TURN server: no TURN over TLS
		{"--turn=false", "--turn-port", "10000"},                                   // no TURN server
		{"--tcp-port", "0", "--turn-port", "0", "--udp-port", "0"},                 // free ports
		{"--listen", "127.0.0.1:8080", "--metrics-listen", "127.0.0.2:8080"},       // two addresses
		{"--udp-port", "3479", "--tcp-port", "3479"},                               // UDP and TCP are apart
	} {
		if err := checkServeFlags(t, args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestAListenPortOutOfRangeOrByNameIsCheckedAtStart(t *testing.T) {
	for _, args := range [][]string{
		{"--listen", ":70000"},
		{"--metrics-listen", "127.0.0.1:no-such-service"},
	} {
		if err := checkServeFlags(t, args...); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: error %v does not name %s", args, err, args[0])
		}
	}
}

// Another program on a port: the error names the flag that asked for
// it, even one the admin did not give (--http-redirect-listen's :80
// with --domain, the media and TURN ports' defaults).
func TestAPortInUseByAnotherProgramIsReportedWithItsFlag(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenUDP, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer takenUDP.Close()
	addr := taken.Addr().String()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)            //nolint:forcetypeassert // a TCP listener
	udpPort := strconv.Itoa(takenUDP.LocalAddr().(*net.UDPAddr).Port) //nolint:forcetypeassert // a UDP socket
	turn := []string{"--turn", "--turn-relay-ip", "127.0.0.1", "--turn-port", "0"}
	for _, tc := range []struct {
		args        []string
		flag, value string
	}{
		{[]string{"--listen", addr}, "--listen", addr},
		{[]string{"--metrics-listen", addr}, "--metrics-listen", addr},
		{[]string{"--domain", "meet.example.org", "--http-redirect-listen", addr}, "--http-redirect-listen", addr},
		{[]string{"--udp-port", udpPort}, "--udp-port", udpPort},
		{[]string{"--tcp-port", port}, "--tcp-port", port},
		{append(turn, "--turn-port", udpPort), "--turn-port", udpPort},
		{append(turn, "--turn-port", port), "--turn-port", port},
		{append(turn, "--domain", "meet.example.org", "--http-redirect-listen", "off", "--turn-tls-port", port), "--turn-tls-port", port},
	} {
		cmd := newServeCommand()
		cmd.SetArgs(append([]string{"--listen", "127.0.0.1:0", "--udp-port", "0", "--tcp-port", "0", "--turn=false", "--ice-interface", "lo",
			"--data-dir", t.TempDir(), "--log-level", "error"}, tc.args...)) // the last of a flag wins
		cmd.SetOut(io.Discard)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := cmd.ExecuteContext(ctx) // should it start after all, it stops soon
		cancel()
		if err == nil || !strings.HasPrefix(err.Error(), tc.flag+" "+tc.value+": ") {
			t.Errorf("%v: error %v does not start with %s %s", tc.args, err, tc.flag, tc.value)
		}
	}
}

// A --public-ip participants on the Internet cannot reach (a private
// address from the cloud console, the README's example left as it is)
// starts, with a warning that names it and its class; a public one
// starts without.
func TestAPublicIPParticipantsCannotReachIsWarnedOf(t *testing.T) {
	for _, tc := range []struct {
		ip, class string
	}{
		{"10.0.0.7", "private"},
		{"100.64.1.2", "shared (CGNAT)"},
		{"203.0.113.7", "documentation"},
		{"fd00::7", "private (unique local)"},
		{"198.252.206.16", ""},
		{"2a01:4f8::7", ""},
	} {
		var out strings.Builder
		var o serveOptions
		flags := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		o.register(flags)
		if err := flags.Parse([]string{"--public-ip", tc.ip, "--data-dir", t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		o.applyDerivedDefaults(flags, flagSources{})
		if _, _, err := o.config(slog.New(slog.NewTextHandler(&out, nil))); err != nil {
			t.Errorf("--public-ip %s: refused: %v", tc.ip, err)
			continue
		}
		warned := strings.Contains(out.String(), "level=WARN msg=\"--public-ip "+tc.ip+" is a "+tc.class+" address")
		if tc.class != "" && !warned {
			t.Errorf("--public-ip %s: no warning that it is a %s address; logged:\n%s", tc.ip, tc.class, out.String())
		}
		if tc.class == "" && strings.Contains(out.String(), "--public-ip") {
			t.Errorf("--public-ip %s, a public address: warned of:\n%s", tc.ip, out.String())
		}
	}
}
