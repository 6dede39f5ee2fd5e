package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/turn"
)

// turnCredentialTTL is how long the TURN credentials given to a
// participant stay valid: longer than any meeting, short enough that a
// leaked credential soon expires.
const turnCredentialTTL = 12 * time.Hour

// defaultDataDir is the user's state directory, or /var/lib/plenum for
// root, as a system service runs.
func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/plenum"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "plenum")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "plenum")
	}
	return "plenum-data"
}

func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// config checks the flags and turns them into a server configuration.
// Every error names the flag at fault.
func (o *serveOptions) config(log *slog.Logger) (server.Config, error) {
	for name, port := range map[string]int{
		"--udp-port": o.udpPort, "--tcp-port": o.tcpPort, "--turn-port": o.turn.port, "--turn-tls-port": o.turn.tlsPort,
	} {
		if port < 0 || port > 65535 {
			return server.Config{}, fmt.Errorf("%s %d: want a port from 0 to 65535", name, port)
		}
	}
	if o.maxRooms < 0 || o.maxPerRoom < 0 {
		return server.Config{}, fmt.Errorf("--max-rooms and --room-max-participants cannot be negative")
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return server.Config{}, fmt.Errorf("--listen %q: want host:port, e.g. :8080 or 127.0.0.1:8080", o.listen)
	}
	if o.metricsListen != "" {
		if _, _, err := net.SplitHostPort(o.metricsListen); err != nil {
			return server.Config{}, fmt.Errorf("--metrics-listen %q: want host:port, e.g. 127.0.0.1:9090", o.metricsListen)
		}
	}
	tlsConfig, err := loadTLS(o.tlsCert, o.tlsKey)
	if err != nil {
		return server.Config{}, err
	}
	turnCfg, err := o.turn.config(o.dataDir, tlsConfig)
	if err != nil {
		return server.Config{}, err
	}
	return server.Config{
		Listen: o.listen,
		TLS:    tlsConfig,
		Network: sfu.NetworkConfig{
			UDPPort:    o.udpPort,
			TCPPort:    o.tcpPort,
			Interfaces: o.iceInterfaces,
			PublicIPs:  o.publicIPs,
		},
		Limits:         sfu.Limits{MaxRooms: o.maxRooms, MaxParticipantsPerRoom: o.maxPerRoom},
		AllowedOrigins: o.allowedOrigins,
		TURN:           turnCfg,
		MetricsListen:  o.metricsListen,
		Version:        versionNumber(),
		Logger:         log,
	}, nil
}

func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func (t *turnOptions) config(dataDir string, tlsConfig *tls.Config) (server.TURNConfig, error) {
	if !t.enabled && len(t.servers) == 0 {
		return server.TURNConfig{}, nil
	}
	allow, err := parsePrefixes("--turn-allow-peer", t.allowPeers)
	if err != nil {
		return server.TURNConfig{}, err
	}
	var relayIP net.IP
	if t.relayIP != "" {
		if relayIP = net.ParseIP(t.relayIP); relayIP == nil {
			return server.TURNConfig{}, fmt.Errorf("--turn-relay-ip %q is not an IP address", t.relayIP)
		}
	}
	secret := []byte(t.secret)
	if t.secret == "" {
		if len(t.servers) > 0 && !t.enabled {
			return server.TURNConfig{}, fmt.Errorf("--turn-server needs --turn-secret, the secret the TURN server shares")
		}
		if secret, err = turn.LoadOrCreateSecret(dataDir); err != nil {
			return server.TURNConfig{}, fmt.Errorf("--data-dir %q: %w", dataDir, err)
		}
	}
	cfg := server.TURNConfig{
		Embedded:      t.enabled,
		External:      t.servers,
		Secret:        secret,
		CredentialTTL: turnCredentialTTL,
		Server: turn.Config{
			Realm:                 t.realm,
			Port:                  t.port,
			RelayIP:               relayIP,
			RelayPortMin:          t.relayPorts.min,
			RelayPortMax:          t.relayPorts.max,
			AllowPeers:            allow,
			MaxAllocations:        t.maxAllocations,
			MaxAllocationsPerUser: t.maxAllocationsUser,
			RelayBytesPerSecond:   int64(t.bandwidth) / 8,
		},
	}
	if tlsConfig != nil {
		cfg.Server.TLSConfig = tlsConfig
		cfg.Server.TLSPort = t.tlsPort
	}
	return cfg, nil
}
