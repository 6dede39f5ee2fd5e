// Package server assembles a Plenum server from its parts: the web
// client, the signaling endpoint, the SFU and its media port. The plenum
// command fills a Config from its flags; tests build one directly.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/turn"
	"github.com/plenum-meet/plenum/web"
)

// Timeouts of the HTTP server. Sessions are long-lived WebSockets, which
// these do not limit once upgraded.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout = 10 * time.Second
)

// Config is everything a server is made from.
type Config struct {
	// Listen is the HTTP address, e.g. ":8080" or "127.0.0.1:0".
	Listen string
	// TLS, when set, makes the server speak HTTPS.
	TLS *tls.Config
	// Network says where media flows.
	Network sfu.NetworkConfig
	// Limits bound rooms and participants.
	Limits sfu.Limits
	// AllowedOrigins may open WebSockets besides the server's own pages.
	AllowedOrigins []string
	// TURN configures relaying for clients behind strict firewalls.
	TURN TURNConfig
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Server is a running Plenum.
type Server struct {
	log       *slog.Logger
	listener  net.Listener
	scheme    string // http or https
	engine    *sfu.Engine
	manager   *sfu.Manager
	signaling *signaling.Server
	turn      *turn.Server // nil without the embedded TURN server
	http      *http.Server
}

// New opens the HTTP listener and the media port, so that a port in use
// is reported before anything starts.
func New(cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	engine, err := sfu.NewEngine(cfg.Network)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = engine.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	scheme := "http"
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
		scheme = "https"
	}
	s := &Server{log: log, listener: ln, scheme: scheme, engine: engine}
	if err := s.startTURN(cfg.TURN); err != nil {
		_ = ln.Close()
		_ = engine.Close()
		return nil, err
	}
	s.manager = sfu.NewManager(engine, cfg.Limits, log)
	s.signaling = signaling.NewServer(signaling.Config{
		Manager:        s.manager,
		ICEServers:     s.iceServers(cfg.TURN),
		AllowedOrigins: cfg.AllowedOrigins,
		Logger:         log,
	})
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(signaling.Path, s.signaling)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/", web.Handler(web.Options{ValidRoom: signaling.ValidRoomName}))
	return mux
}

// Addr is the address the HTTP server listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// URL is the address to open in a browser. An unspecified listen address
// becomes localhost, which browsers treat as a secure context.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.listener.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return s.scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// TURN is the embedded TURN server, or nil.
func (s *Server) TURN() *turn.Server { return s.turn }

// Manager is the server's room registry.
func (s *Server) Manager() *sfu.Manager { return s.manager }

// MediaAddrs are the local addresses of the media port.
func (s *Server) MediaAddrs() []string {
	var out []string
	for _, a := range s.engine.MediaAddrs() {
		out = append(out, a.String())
	}
	return out
}

// Serve serves until ctx is cancelled, then shuts down gracefully: every
// client is told, sessions close, and the media port is released.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	s.selfCheckTURN(ctx)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := s.signaling.Shutdown(sctx); err != nil {
		s.log.Warn("sessions did not all close in time", "err", err)
	}
	s.manager.Close(sfu.ErrClosed)
	if err := s.http.Shutdown(sctx); err != nil {
		s.log.Warn("HTTP shutdown", "err", err)
	}
	if serveErr == nil {
		serveErr = <-errc
	}
	_ = s.engine.Close()
	if s.turn != nil {
		_ = s.turn.Close()
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}
