package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/turn"
)

func startLoopbackServer(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.New(server.Config{
		Listen:  "127.0.0.1:0",
		Network: sfu.NetworkConfig{Interfaces: []string{"lo"}, TCPPort: freePort(t)},
		TURN: server.TURNConfig{
			Embedded: true, Secret: []byte("s"), CredentialTTL: time.Hour,
			Server: turn.Config{ListenIP: net.IPv4(127, 0, 0, 1)},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestCheckReportsEveryPathAParticipantCanUse(t *testing.T) {
	srv := startLoopbackServer(t)
	var out bytes.Buffer
	o := checkOptions{url: "http://" + srv.Addr().String() + "/", interfaces: []string{"lo"}}
	if err := o.run(context.Background(), &out); err != nil {
		t.Fatalf("check failed: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{
		"ok  Web page", "ok  Media over UDP", "ok  Media over TCP",
		"transport=udp", "transport=tcp", "/udp  media", "/tcp  media", "TURN (turn)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "FAIL") {
		t.Errorf("report has failures:\n%s", report)
	}
}

func TestCheckFailsWhenNothingAnswers(t *testing.T) {
	var out bytes.Buffer
	o := checkOptions{url: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))) + "/", interfaces: []string{"lo"}}
	err := o.run(context.Background(), &out)
	if err == nil || !strings.Contains(out.String(), "FAIL") {
		t.Fatalf("check of a dead address passed: %v\n%s", err, out.String())
	}
}

func TestCheckAsksForTheRelayPortsOnlyWhenTheServerOffersTURN(t *testing.T) {
	base, _ := url.Parse("https://meet.example.org/")
	if got := portsToOpen(base, nil, nil); strings.Contains(got, "relay") {
		t.Errorf("no TURN offered, yet the relay ports are to be opened:\n%s", got)
	}
	got := portsToOpen(base, nil, []string{"turn:meet.example.org:3478?transport=udp"})
	if !strings.Contains(got, "3478/udp") || !strings.Contains(got, "--turn-relay-ports") {
		t.Errorf("TURN offered, but not its port and relay ports:\n%s", got)
	}
}

func TestCheckSaysTheHTTPSPortCarriesTURNOverTLS(t *testing.T) {
	base, _ := url.Parse("https://meet.example.org/")
	got := portsToOpen(base, nil, []string{"turn:meet.example.org:3478?transport=udp", "turns:meet.example.org:443?transport=tcp"})
	if strings.Count(got, "443/tcp") != 1 || !strings.Contains(got, "443/tcp  web page and signaling (https), TURN over TLS") {
		t.Errorf("the HTTPS port, carrying TURN over TLS, is not said so once:\n%s", got)
	}
}

// TestCheckOnTheServersOwnMachineNeedsNoInterface: "plenum check --url
// http://127.0.0.1:8080/" on the server, as an admin tries first, gave
// no loopback candidate to its probes, and warned that media over TCP
// did not get through to a server that carried it well.
func TestCheckOnTheServersOwnMachineNeedsNoInterface(t *testing.T) {
	srv := startLoopbackServer(t)
	var out bytes.Buffer
	o := checkOptions{url: "http://" + srv.Addr().String() + "/"}
	if err := o.run(context.Background(), &out); err != nil {
		t.Fatalf("check failed: %v\n%s", err, out.String())
	}
	if report := out.String(); !strings.Contains(report, "ok  Media over TCP") || strings.Contains(report, "WARN") {
		t.Errorf("the check of a server on loopback warns:\n%s", report)
	}
}
