package main

import (
	"context"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/turn"
)

// Defaults of plenum serve. Media defaults to port 10000 on UDP and
// TCP, as Jitsi's videobridge does, so that firewall rules people know
// carry over. With --domain, HTTPS takes its standard port and plain
// HTTP (for the CA's challenges and a redirect) its own.
const (
	defaultListen         = ":8080"
	defaultListenHTTPS    = ":443"
	defaultRedirectListen = ":80"
	defaultUDPPort        = 10000
	defaultTCPPort        = 10000
	// defaultGCPercent is Go's GOGC for the server. Its live heap is
	// small and long-lived (buffers, packet stores), so collecting when
	// it has grown by a quarter instead of doubled costs no CPU that
	// scripts/bench can see and holds 30 % less memory (docs/performance.md).
	defaultGCPercent = 25
)

// serveOptions holds the flags of plenum serve.
type serveOptions struct {
	listen         string
	udpPort        int
	tcpPort        int
	iceInterfaces  []string
	publicIPs      []string
	allowedOrigins []string
	maxConnsPerIP  int
	messagesPerIP  int
	// messageBytesPerIP bounds the bytes of those messages a second.
	messageBytesPerIP int
	maxRooms          int
	maxPerRoom        int
	dataDir           string
	tlsCert           string
	tlsKey            string
	domain            string
	acmeCA            string
	acmeEmail         string
	redirectListen    string
	behindProxy       bool
	trustedProxies    []string
	logLevel          string
	logFormat         string
	metricsListen     string
	gcPercent         int
	memoryLimit       byteSize
	configFile        string
	printConfig       bool
	turn              turnOptions
	media             mediaOptions
	requireToken      bool
	roomsFile         string
}

// turnOptions holds the --turn-* flags.
type turnOptions struct {
	enabled            bool
	port               int
	tlsPort            int
	relayIP            string
	relayPorts         portRange
	realm              string
	secret             string
	servers            []string
	allowPeers         []string
	maxAllocations     int
	maxAllocationsUser int
	bandwidth          bitrate
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the meeting server",
		Long: `Run the meeting server. With no flags it serves http://localhost:8080,
carries media on port 10000 (UDP, and TCP for networks that block UDP)
and runs a TURN server on port 3478 for participants behind strict
firewalls: a meeting on this computer. Browsers give camera and
microphone only to HTTPS pages (and to localhost), so for others to
join, --domain meet.example.org gets a certificate from Let's Encrypt
and serves HTTPS on port 443. See the README for deploying on a VPS.

Flags can also come from the environment (PLENUM_<FLAG_NAME>) and from a
file (--config FILE, lines of "flag-name = value"), all but
--print-config, which is taken from the command line only; a flag on the
command line wins over the environment, which wins over the file.

SIGTERM or SIGINT: tell every participant the server is going away and
stop within seconds. SIGHUP: read the certificate files and --config
again; --log-level changes at once, other changes are logged as needing
a restart, and a configuration that would not start is logged as an
error and changes nothing. (A running process keeps the environment it
started with.)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			cli := snapshotFlags(flags)
			src, err := resolveFlags(flags, os.LookupEnv, readConfigFile)
			if err != nil {
				return err
			}
			o.applyDerivedDefaults(flags, src)
			warnings := startWarnings(flags, src, os.Environ())
			if o.printConfig {
				return printConfig(cmd.OutOrStdout(), flags, src, warnings)
			}
			return nameSources(o.run(cmd.Context(), flags, cli, warnings), src)
		},
	}
	o.register(cmd.Flags())
	annotateEnv(cmd.Flags(), envPrefix)
	return cmd
}

func (o *serveOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.configFile, "config", "", "read flags from this file: one 'flag-name = value' a line; a line starting with # is a comment")
	f.BoolVar(&o.printConfig, "print-config", false, "print the effective configuration (secrets hidden) and exit; on the command line only")
	f.StringVar(&o.listen, "listen", defaultListen, "HTTP(S) address to listen on, host:port (default :443 with --domain)")
	f.IntVar(&o.udpPort, "udp-port", defaultUDPPort, "UDP port that carries all WebRTC media")
	f.IntVar(&o.tcpPort, "tcp-port", defaultTCPPort, "TCP port for ICE over TCP, for networks that block UDP (0: off)")
	f.StringSliceVar(&o.iceInterfaces, "ice-interface", nil, "gather media candidates only on this network interface (repeatable, e.g. lo)")
	f.StringSliceVar(&o.publicIPs, "public-ip", nil, "public IP address to advertise for media when behind 1:1 NAT (repeatable)")
	f.StringSliceVar(&o.allowedOrigins, "allowed-origin", nil, "another origin (https://host) whose pages may connect (repeatable)")
	f.IntVar(&o.maxConnsPerIP, "max-connections-per-ip", signaling.DefaultMaxConnectionsPerIP, "most signaling connections from one client address (an IPv6 one by its /64; behind --behind-proxy: the forwarded address; 0: no limit)")
	f.IntVar(&o.messagesPerIP, "max-messages-per-ip", signaling.DefaultMessagesPerIP, "most signaling messages per second from one client address, all its connections together (0: no limit)")
	f.IntVar(&o.messageBytesPerIP, "max-message-bytes-per-ip", signaling.DefaultMessageBytesPerIP, "most bytes of signaling messages per second from one client address, all its connections together, in bursts of 10 seconds' worth and at least 64 KiB (0: no limit)")
	f.IntVar(&o.maxRooms, "max-rooms", 0, "most rooms at once (0: no limit)")
	f.IntVar(&o.maxPerRoom, "room-max-participants", 0, "most participants in one room (0: no limit)")
	f.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "directory for generated secrets and certificates (created 0700)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM): serve HTTPS and TURN over TLS (SIGHUP reloads it)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM) for --tls-cert")
	f.StringVar(&o.domain, "domain", "", "get a certificate for this domain from an ACME CA (Let's Encrypt) and serve HTTPS, e.g. meet.example.org")
	f.StringVar(&o.acmeCA, "acme-ca", server.LetsEncrypt, "ACME directory URL of the CA, for --domain")
	f.StringVar(&o.acmeEmail, "acme-email", "", "contact address given to the CA, which warns of expiring certificates, for --domain")
	f.StringVar(&o.redirectListen, "http-redirect-listen", "", "serve plain HTTP here: ACME challenges and a redirect to HTTPS (default :80 with --domain; off: \"off\")")
	f.BoolVar(&o.behindProxy, "behind-proxy", false, "run behind a reverse proxy: believe X-Forwarded-For, -Host and -Proto from --trusted-proxy")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxy", slices.Clone(defaultTrustedProxies), "address (CIDR) of a reverse proxy to trust with --behind-proxy (repeatable)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error (SIGHUP reloads it)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.IntVar(&o.gcPercent, "gc-percent", defaultGCPercent, "Go's GOGC: collect garbage when the heap has grown this many percent over live data; lower holds less memory for more CPU (10 to 1000)")
	f.Var(&o.memoryLimit, "memory-limit", "Go's GOMEMLIMIT: collect garbage harder as the heap nears this, e.g. 700M on a 1G server (0: none)")
	f.StringVar(&o.metricsListen, "metrics-listen", "", "serve /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9090 (default: /metrics on --listen, to this machine only)")

	o.media.register(f)
	f.BoolVar(&o.requireToken, "require-token", false, "admit only people with a signed link (plenum link): nobody creates rooms by visiting them")
	f.StringVar(&o.roomsFile, "rooms", "", "file of per-room settings (password, max participants, lobby, moderation), reread when it changes")

	t := &o.turn
	f.BoolVar(&t.enabled, "turn", true, "run the built-in TURN server (--turn=false to switch it off)")
	f.IntVar(&t.port, "turn-port", turn.DefaultPort, "TURN port, UDP and TCP")
	f.IntVar(&t.tlsPort, "turn-tls-port", turn.DefaultTLSPort, "TURN-over-TLS port, used with --tls-cert or --domain")
	f.StringVar(&t.relayIP, "turn-relay-ip", "", "address TURN relays bind to and advertise (default: the first non-loopback media address)")
	f.Var(&t.relayPorts, "turn-relay-ports", "port range for TURN relays, e.g. 49152-65535 (default: any)")
	f.StringVar(&t.realm, "turn-realm", turn.DefaultRealm, "TURN realm")
	f.StringVar(&t.secret, "turn-secret", "", "shared secret for TURN credentials, as coturn's static-auth-secret, at least 16 bytes (default: generated in --data-dir)")
	f.StringSliceVar(&t.servers, "turn-server", nil, "external TURN server URL sharing --turn-secret, e.g. turn:turn.example.org:3478 (repeatable)")
	f.StringSliceVar(&t.allowPeers, "turn-allow-peer", nil, "let TURN relay to this private or loopback range (repeatable CIDR)")
	f.IntVar(&t.maxAllocations, "turn-max-allocations", turn.DefaultMaxAllocations, "most TURN allocations at once (at least 1)")
	f.IntVar(&t.maxAllocationsUser, "turn-max-allocations-per-user", turn.DefaultMaxAllocationsPerUser, "most TURN allocations per participant (at least 1)")
	f.Var(&t.bandwidth, "turn-bandwidth-max", "cap on all relayed TURN traffic, e.g. 100M, shared out equally among those relaying (0: no cap)")
}

// applyDerivedDefaults sets the defaults that depend on other flags:
// with --domain, HTTPS on :443 and the HTTP redirect on :80.
func (o *serveOptions) applyDerivedDefaults(flags *pflag.FlagSet, src flagSources) {
	if o.domain == "" {
		return
	}
	if !flags.Changed("listen") {
		o.listen = defaultListenHTTPS
		src["listen"] = "default with --domain"
	}
	if !flags.Changed("http-redirect-listen") {
		o.redirectListen = defaultRedirectListen
		src["http-redirect-listen"] = "default with --domain"
	}
}

// setGCPercent sets Go's GOGC to percent. Go reads a GOGC in the
// environment itself, which stays in force unless given says the
// percent was asked for (--gc-percent from any source).
func setGCPercent(percent int, given bool) {
	if given || os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

// setMemoryLimit sets Go's soft memory limit; 0 means none.
func setMemoryLimit(limit int64) {
	if limit == 0 {
		limit = math.MaxInt64
	}
	debug.SetMemoryLimit(limit)
}

// run serves, after logging warnings (startWarnings).
func (o *serveOptions) run(parent context.Context, flags *pflag.FlagSet, cli flagSnapshot, warnings []string) error {
	log, level, err := newLogger(os.Stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	cfg, certFiles, err := o.config(log)
	if err != nil {
		return err
	}
	setGCPercent(o.gcPercent, flags.Changed("gc-percent"))
	if flags.Changed("memory-limit") { // else none, or the GOMEMLIMIT Go read itself
		setMemoryLimit(int64(o.memoryLimit))
	}
	srv, err := server.New(cfg)
	if err != nil {
		return nameListenFlag(err)
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// SIGHUP is handled by one goroutine, which ends with the server.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	r := newReloader(log, level, certFiles, cli, flags)
	var reloading sync.WaitGroup
	reloading.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				r.reload()
			}
		}
	})

	log.Info("Plenum is running", "url", srv.URL(), "media", srv.MediaAddrs())
	var announcing sync.WaitGroup
	announcing.Go(func() { announce(ctx, os.Stderr, srv, o.domain) })
	err = srv.Serve(ctx)
	stop()
	announcing.Wait()
	reloading.Wait()
	log.Info("Plenum stopped")
	return err
}
