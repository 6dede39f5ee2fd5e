package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/spf13/cobra"

	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/client"
)

// probeTimeout bounds each of plenum check's probes.
const probeTimeout = 15 * time.Second

type checkOptions struct {
	url        string
	interfaces []string
}

func newCheckCommand() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check what a remote participant sees: addresses, ports, and whether media gets through",
		Long: `Check a running Plenum the way a participant's browser meets it. Run it from
another network than the server's (a laptop at home) to test the firewall.
It loads the page, joins a throw-away room with real WebRTC peers and
sends media over UDP, over TCP and through each TURN transport, then
prints the advertised addresses and the ports the server's firewall must
open. It exits non-zero when something a participant needs fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), checkEnvPrefix); err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "http://localhost:8080/", "address of the Plenum to check")
	f.StringSliceVar(&o.interfaces, "ice-interface", nil, "use only this network interface for the probes (repeatable, e.g. lo)")
	annotateEnv(f, checkEnvPrefix)
	return cmd
}

// probeResult is one line of the report.
type probeResult struct {
	what, detail string
	err          error
	optional     bool // a failure here is a warning, not an error
}

func (o *checkOptions) run(ctx context.Context, out io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	base, err := url.Parse(o.url)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("--url %q: want http(s)://host[:port]/", o.url)
	}
	fmt.Fprintf(out, "Checking %s as a participant would meet it.\n\n", base.String())

	var results []probeResult
	results = append(results, probeHTTP(ctx, base))

	udp, welcome := o.probeMedia(ctx, base, "Media over UDP", client.Config{}, webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6)
	results = append(results, udp)
	tcp, _ := o.probeMedia(ctx, base, "Media over TCP (ICE-TCP)", client.Config{}, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	tcp.optional = true
	results = append(results, tcp)

	var turnURLs []string
	if welcome != nil {
		for _, s := range welcome.ICEServers() {
			turnURLs = append(turnURLs, s.URLs...)
		}
	}
	if len(turnURLs) == 0 {
		results = append(results, probeResult{what: "TURN", err: errors.New("the server offers no TURN server: participants behind strict firewalls will not get in"), optional: true})
	}
	for _, u := range turnURLs {
		r, _ := o.probeMedia(ctx, base, "Relayed through "+u, client.Config{RelayOnly: true, OnlyICEURL: u})
		r.optional = strings.HasPrefix(u, "turns:") // needs a certificate for this name
		results = append(results, r)
	}

	failed := report(out, results)
	if welcome != nil {
		fmt.Fprintf(out, "\nAdvertised media addresses (from the server's descriptions):\n")
		for _, c := range welcome.ServerCandidates() {
			fmt.Fprintf(out, "  %s\n", c)
		}
	}
	fmt.Fprintf(out, "\nPorts the server's firewall must let in:\n%s", portsToOpen(base, welcome, turnURLs))
	if failed {
		return errors.New("some checks failed: see above")
	}
	return nil
}

func report(out io.Writer, results []probeResult) (failed bool) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range results {
		status := "ok"
		switch {
		case r.err != nil && r.optional:
			status = "WARN"
		case r.err != nil:
			status, failed = "FAIL", true
		}
		detail := r.detail
		if r.err != nil {
			detail = r.err.Error()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", status, r.what, detail)
	}
	_ = tw.Flush()
	return failed
}

func probeHTTP(ctx context.Context, base *url.URL) probeResult {
	r := probeResult{what: "Web page (" + base.Scheme + ")"}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base.ResolveReference(&url.URL{Path: "/healthz"}).String(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.err = err
		return r
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.err = fmt.Errorf("/healthz answered %s", resp.Status)
		return r
	}
	r.detail = fmt.Sprintf("answers in %v", time.Since(start).Round(time.Millisecond))
	return r
}

// probeMedia joins a fresh room with a publisher and a subscriber, both
// restricted as asked, and waits until the subscriber receives video.
// It returns the publisher's client (closed) for what it learned.
func (o *checkOptions) probeMedia(ctx context.Context, base *url.URL, what string, cc client.Config, networks ...webrtc.NetworkType) (probeResult, *client.Client) {
	r := probeResult{what: what}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	api := client.NewAPI(client.APIOptions{Interfaces: o.interfaces, Networks: networks, Loopback: onLoopback(base)})
	cc.URL = wsURL(base)
	cc.Room = "plenum-check-" + randomHex()
	cc.API = api

	start := time.Now()
	pub := cc
	pub.Name, pub.Publish = "check sender", true
	sender, err := client.Dial(ctx, pub)
	if err != nil {
		r.err = err
		return r, nil
	}
	defer sender.Leave() // not Close: a lost socket is kept for a resume
	sub := cc
	sub.Name = "check receiver"
	receiver, err := client.Dial(ctx, sub)
	if err != nil {
		r.err = err
		return r, sender
	}
	defer receiver.Leave()
	for {
		if got := receiver.Received(sender.ID(), webrtc.RTPCodecTypeVideo); got != nil && got.Packets() >= 10 {
			r.detail = fmt.Sprintf("video arrived %v after joining", time.Since(start).Round(10*time.Millisecond))
			return r, sender
		}
		select {
		case <-ctx.Done():
			r.err = fmt.Errorf("no media within %v", probeTimeout)
			return r, sender
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// onLoopback reports whether base is on this machine's own address
// (localhost, 127.0.0.1, ::1), as a check run on the server is. The
// probes then need loopback candidates, which pion leaves out unless
// asked: without them media over TCP never connected to a server on
// loopback, and the report warned of a fault that was not the server's.
func onLoopback(base *url.URL) bool {
	host := base.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")
}

func wsURL(base *url.URL) string {
	u := *base
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[base.Scheme]
	u.Path = signaling.Path
	u.RawQuery = ""
	return u.String()
}

// portsToOpen lists, from what the server advertised, the ports that must
// be reachable from the internet.
func portsToOpen(base *url.URL, welcome *client.Client, turnURLs []string) string {
	port := base.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[base.Scheme]
	}
	web := fmt.Sprintf("  %s/tcp  web page and signaling (%s)", port, base.Scheme)
	lines := []string{web}
	// The HTTPS port carries TURN over TLS too: said on its line.
	seen := map[string]bool{port + "/tcp": true}
	if slices.ContainsFunc(turnURLs, func(u string) bool { return strings.HasPrefix(u, "turns:") && turnPort(u) == port }) {
		lines[0] = web + ", TURN over TLS"
	}
	if welcome != nil {
		for _, c := range welcome.ServerCandidates() {
			addr, _, _ := strings.Cut(c, " ")
			hostport, proto, _ := strings.Cut(addr, "/")
			p := hostport[strings.LastIndex(hostport, ":")+1:]
			if key := p + "/" + proto; !seen[key] {
				seen[key] = true
				lines = append(lines, fmt.Sprintf("  %s  media", key))
			}
		}
	}
	for _, u := range turnURLs {
		p := turnPort(u)
		proto := "udp"
		if _, query, _ := strings.Cut(u, "?"); strings.Contains(query, "transport=tcp") {
			proto = "tcp"
		}
		if key := p + "/" + proto; !seen[key] {
			seen[key] = true
			lines = append(lines, fmt.Sprintf("  %s  TURN (%s)", key, strings.SplitN(u, ":", 2)[0]))
		}
	}
	if len(turnURLs) > 0 { // without TURN, no relay ports to open
		lines = append(lines, "  and the TURN relay port range (--turn-relay-ports), UDP")
	}
	return strings.Join(lines, "\n") + "\n"
}

// turnPort is the port of a turn: or turns: URL.
func turnPort(u string) string {
	hostport, _, _ := strings.Cut(u[strings.Index(u, ":")+1:], "?")
	return hostport[strings.LastIndex(hostport, ":")+1:]
}

func randomHex() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
