package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	rpprof "runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/plenum-meet/plenum/cmd/plenum/bench"
)

type benchOptions struct {
	cfg        bench.Config
	bitrate    bitrate
	name       string
	json       bool
	cpuprofile string
}

func newBenchCommand() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a Plenum with synthetic participants and measure forwarding, loss, latency, CPU and memory",
		Long: `Fill rooms with synthetic participants (real WebRTC peers over loopback):
publishers send VP8-shaped video and Opus-sized audio stamped with their
send time, subscribers count what arrives. Reports forwarded packets,
loss, one-way latency and jitter, and the server's CPU time per
forwarded packet and memory, from its /metrics (or /proc with
--server-pid when it has none).

Without --url it starts a server in this process; its CPU and memory then
include the load generator's. For figures that mean something, run the
server as its own process on its own core:

  taskset -c 0 plenum serve --listen 127.0.0.1:8080 --ice-interface lo --turn=false &
  taskset -c 1 plenum bench --url http://127.0.0.1:8080/ --publishers 4 --subscribers 20

Every run is bounded: --duration at most 10m, 2000 participants.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), benchEnvPrefix); err != nil {
				return err
			}
			o.cfg.Bitrate = int(o.bitrate)
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cfg.URL, "url", "", "the server to load (http://host:port/); none: start one in this process")
	f.StringVar(&o.cfg.MetricsURL, "metrics-url", "", "the server's metrics (default: /metrics of --url)")
	f.IntVar(&o.cfg.ServerPID, "server-pid", 0, "the server's process id: read its CPU and memory from /proc if it serves no metrics")
	f.IntVar(&o.cfg.Rooms, "rooms", 1, "rooms")
	f.IntVar(&o.cfg.Publishers, "publishers", 4, "publishers per room (each also receives the others)")
	f.IntVar(&o.cfg.Subscribers, "subscribers", 20, "subscribers per room (receive only)")
	f.DurationVar(&o.cfg.Duration, "duration", bench.DefaultDuration, "how long to measure once media flows (at most 10m)")
	f.DurationVar(&o.cfg.Warmup, "warmup", bench.DefaultWarmup, "how long media flows before measuring")
	f.Var(&o.bitrate, "bitrate", "video bitrate per publisher, of the full layer with --simulcast (0: about 720k)")
	f.BoolVar(&o.cfg.Simulcast, "simulcast", false, "publish three layers (quarter, half, full size)")
	f.BoolVar(&o.cfg.TCP, "tcp", false, "use ICE over TCP only, as behind a firewall that blocks UDP (the server must listen: --tcp-port)")
	f.BoolVar(&o.cfg.Relay, "relay", false, "send and receive through the server's TURN relays only (the server must relay to this host: --turn-allow-peer)")
	f.IntVar(&o.cfg.ViewHeight, "view-height", 0, "receivers show every video at this height (180 picks the quarter layer); 0: no limit")
	f.Float64Var(&o.cfg.Ramp, "ramp", bench.DefaultRamp, "participants joining per second")
	f.StringSliceVar(&o.cfg.Interfaces, "ice-interface", []string{"lo"}, "network interfaces the participants use")
	f.StringVar(&o.name, "name", "", "a name for the scenario, kept in the results")
	f.BoolVar(&o.json, "json", false, "print the results as one JSON object instead of a table")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write this process' CPU profile of the whole run here")
	annotateEnv(f, benchEnvPrefix)
	cmd.AddCommand(newBenchReportCommand(), newBenchServerCommand())
	return cmd
}

func (o *benchOptions) run(ctx context.Context, out, progress io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cfg.URL == "" {
		local, err := bench.StartLocalServer("127.0.0.1:0", o.cfg.Interfaces, nil)
		if err != nil {
			return fmt.Errorf("start a server: %w", err)
		}
		defer func() { _ = local.Close() }()
		o.cfg.URL = local.URL()
		o.cfg.InProcess = true
		fmt.Fprintf(progress, "started a server in this process at %s\n", o.cfg.URL)
	}
	if o.cpuprofile != "" {
		stopProfile, err := startCPUProfile(o.cpuprofile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	o.cfg.Progress = progress
	res, err := bench.Run(ctx, o.cfg)
	if err != nil {
		return err
	}
	res.Scenario.Name = o.name
	if o.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.WriteTable(out)
}

func newBenchReportCommand() *cobra.Command {
	var targets bool
	cmd := &cobra.Command{
		Use:   "report RESULT.json...",
		Short: "Print saved results (plenum bench --json) as one Markdown table",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var results []*bench.Result
			for _, name := range files {
				b, err := os.ReadFile(name)
				if err != nil {
					return err
				}
				var r bench.Result
				if err := json.Unmarshal(b, &r); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				results = append(results, &r)
			}
			if targets {
				return bench.WriteTargets(cmd.OutOrStdout(), results)
			}
			return bench.WriteMarkdown(cmd.OutOrStdout(), results)
		},
	}
	cmd.Flags().BoolVar(&targets, "targets", false, "print where the results stand against the targets instead")
	return cmd
}

// benchServerMax bounds how long plenum bench server runs.
const benchServerMax = time.Hour

func newBenchServerCommand() *cobra.Command {
	var listen, pprofListen string
	var interfaces []string
	var maxDuration time.Duration
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a server to benchmark: no TURN, metrics on its address, optionally pprof",
		Long: `Run a Plenum server for plenum bench to load, the way plenum serve does (its default
--gc-percent too) but without TURN, with the Go profiler on --pprof-listen if given
(go tool pprof http://ADDR/debug/pprof/profile?seconds=15). It stops on
SIGINT or SIGTERM, or after --max-duration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if maxDuration <= 0 || maxDuration > benchServerMax {
				return fmt.Errorf("--max-duration: between 0 and %v", benchServerMax)
			}
			setGCPercent(defaultGCPercent, false)
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			srv, err := bench.StartLocalServer(listen, interfaces, log)
			if err != nil {
				return err
			}
			defer func() { _ = srv.Close() }()
			if pprofListen != "" {
				ln, err := net.Listen("tcp", pprofListen)
				if err != nil {
					return err
				}
				mux := http.NewServeMux()
				mux.HandleFunc("/debug/pprof/", pprof.Index)
				mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
				ps := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
				go func() { _ = ps.Serve(ln) }()
				defer ps.Close()
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s\n", srv.URL())
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			select {
			case <-ctx.Done():
			case <-time.After(maxDuration):
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "HTTP address (signaling and /metrics)")
	f.StringVar(&pprofListen, "pprof-listen", "", "serve the Go profiler on this address (e.g. 127.0.0.1:6060)")
	f.StringSliceVar(&interfaces, "ice-interface", []string{"lo"}, "network interfaces for media")
	f.DurationVar(&maxDuration, "max-duration", 30*time.Minute, "stop after this long")
	return cmd
}

// startCPUProfile writes this process' CPU profile to name until the
// returned function is called.
func startCPUProfile(name string) (func(), error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := rpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, errors.Join(errors.New("CPU profile"), err)
	}
	return func() { rpprof.StopCPUProfile(); f.Close() }, nil
}
