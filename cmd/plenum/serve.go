package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
)

// Defaults of plenum serve.
const (
	defaultListen  = ":8080"
	defaultUDPPort = 10000
	defaultTCPPort = 10000
)

type serveOptions struct {
	listen         string
	udpPort        int
	tcpPort        int
	iceInterfaces  []string
	publicIPs      []string
	allowedOrigins []string
	maxRooms       int
	maxPerRoom     int
	logLevel       string
	logFormat      string
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the meeting server",
		Long: `Run the meeting server. With no flags it serves http://localhost:8080 and
carries media on UDP port 10000, which is enough for meetings on this
machine or a local network. See the README for deploying on a VPS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", defaultListen, "HTTP address to listen on (host:port)")
	f.IntVar(&o.udpPort, "udp-port", defaultUDPPort, "UDP port that carries all WebRTC media")
	f.IntVar(&o.tcpPort, "tcp-port", defaultTCPPort, "TCP port for ICE over TCP, for networks that block UDP (0: off)")
	f.StringSliceVar(&o.iceInterfaces, "ice-interface", nil, "gather media candidates only on this network interface (repeatable, e.g. lo)")
	f.StringSliceVar(&o.publicIPs, "public-ip", nil, "public IP address to advertise for media when behind 1:1 NAT (repeatable)")
	f.StringSliceVar(&o.allowedOrigins, "allowed-origin", nil, "another origin (https://host) whose pages may connect (repeatable)")
	f.IntVar(&o.maxRooms, "max-rooms", 0, "most rooms at once (0: no limit)")
	f.IntVar(&o.maxPerRoom, "room-max-participants", 0, "most participants in one room (0: no limit)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	annotateEnv(f)
	return cmd
}

func (o *serveOptions) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", o.logFormat)
	}
}

func (o *serveOptions) config(log *slog.Logger) (server.Config, error) {
	for name, port := range map[string]int{"--udp-port": o.udpPort, "--tcp-port": o.tcpPort} {
		if port < 0 || port > 65535 {
			return server.Config{}, fmt.Errorf("%s %d: want a port from 0 to 65535", name, port)
		}
	}
	if o.maxRooms < 0 || o.maxPerRoom < 0 {
		return server.Config{}, fmt.Errorf("--max-rooms and --room-max-participants cannot be negative")
	}
	return server.Config{
		Listen: o.listen,
		Network: sfu.NetworkConfig{
			UDPPort:    o.udpPort,
			TCPPort:    o.tcpPort,
			Interfaces: o.iceInterfaces,
			PublicIPs:  o.publicIPs,
		},
		Limits:         sfu.Limits{MaxRooms: o.maxRooms, MaxParticipantsPerRoom: o.maxPerRoom},
		AllowedOrigins: o.allowedOrigins,
		Logger:         log,
	}, nil
}

func (o *serveOptions) run(parent context.Context) error {
	log, err := o.logger()
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
