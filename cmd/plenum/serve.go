package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/turn"
)

// Defaults of plenum serve. Media defaults to port 10000 on UDP and
// TCP, as Jitsi's videobridge does, so that firewall rules people know
// carry over.
const (
	defaultListen  = ":8080"
	defaultUDPPort = 10000
	defaultTCPPort = 10000
)

// serveOptions holds the flags of plenum serve.
type serveOptions struct {
	listen         string
	udpPort        int
	tcpPort        int
	iceInterfaces  []string
	publicIPs      []string
	allowedOrigins []string
	maxRooms       int
	maxPerRoom     int
	dataDir        string
	tlsCert        string
	tlsKey         string
	logLevel       string
	logFormat      string
	metricsListen  string
	turn           turnOptions
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
firewalls. See the README for deploying on a VPS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	o.register(cmd.Flags())
	annotateEnv(cmd.Flags())
	return cmd
}

func (o *serveOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.listen, "listen", defaultListen, "HTTP address to listen on (host:port)")
	f.IntVar(&o.udpPort, "udp-port", defaultUDPPort, "UDP port that carries all WebRTC media")
	f.IntVar(&o.tcpPort, "tcp-port", defaultTCPPort, "TCP port for ICE over TCP, for networks that block UDP (0: off)")
	f.StringSliceVar(&o.iceInterfaces, "ice-interface", nil, "gather media candidates only on this network interface (repeatable, e.g. lo)")
	f.StringSliceVar(&o.publicIPs, "public-ip", nil, "public IP address to advertise for media when behind 1:1 NAT (repeatable)")
	f.StringSliceVar(&o.allowedOrigins, "allowed-origin", nil, "another origin (https://host) whose pages may connect (repeatable)")
	f.IntVar(&o.maxRooms, "max-rooms", 0, "most rooms at once (0: no limit)")
	f.IntVar(&o.maxPerRoom, "room-max-participants", 0, "most participants in one room (0: no limit)")
	f.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "directory for generated secrets and certificates")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM): serve HTTPS and TURN over TLS")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM) for --tls-cert")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.metricsListen, "metrics-listen", "", "serve /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9090 (default: /metrics on --listen, to this machine only)")

	t := &o.turn
	f.BoolVar(&t.enabled, "turn", true, "run the built-in TURN server (--turn=false to switch it off)")
	f.IntVar(&t.port, "turn-port", turn.DefaultPort, "TURN port, UDP and TCP")
	f.IntVar(&t.tlsPort, "turn-tls-port", turn.DefaultTLSPort, "TURN-over-TLS port, used with --tls-cert")
	f.StringVar(&t.relayIP, "turn-relay-ip", "", "address TURN relays bind to and advertise (default: the first non-loopback media address)")
	f.Var(&t.relayPorts, "turn-relay-ports", "port range for TURN relays, e.g. 49152-65535 (default: any)")
	f.StringVar(&t.realm, "turn-realm", turn.DefaultRealm, "TURN realm")
	f.StringVar(&t.secret, "turn-secret", "", "shared secret for TURN credentials, as coturn's static-auth-secret (default: generated in --data-dir)")
	f.StringSliceVar(&t.servers, "turn-server", nil, "external TURN server URL sharing --turn-secret, e.g. turn:turn.example.org:3478 (repeatable)")
	f.StringSliceVar(&t.allowPeers, "turn-allow-peer", nil, "let TURN relay to this private or loopback range (repeatable CIDR)")
	f.IntVar(&t.maxAllocations, "turn-max-allocations", turn.DefaultMaxAllocations, "most TURN allocations at once")
	f.IntVar(&t.maxAllocationsUser, "turn-max-allocations-per-user", turn.DefaultMaxAllocationsPerUser, "most TURN allocations per participant")
	f.Var(&t.bandwidth, "turn-bandwidth-max", "cap on all relayed TURN traffic, e.g. 100M (0: no cap)")
}

func (o *serveOptions) run(parent context.Context) error {
	log, err := newLogger(o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	cfg, err := o.config(log)
	if err != nil {
		return err
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("Plenum is running", "url", srv.URL(), "media", srv.MediaAddrs())
	fmt.Fprintf(os.Stderr, "\n  Plenum is ready. Open %s in your browser.\n\n", srv.URL())
	err = srv.Serve(ctx)
	log.Info("Plenum stopped")
	return err
}
