// Package server assembles a Plenum server from its parts: the web
// client, the signaling endpoint, the SFU and its media port, the TURN
// server, certificates and metrics. The plenum command fills a Config
// from its flags; tests build one directly.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
	"github.com/plenum-meet/plenum/turn"
	"github.com/plenum-meet/plenum/web"
)

// Timeouts of the HTTP server. Sessions are long-lived WebSockets, which
// these do not limit once upgraded.
const (
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds a whole request; the signaling session sets its
	// own deadlines once upgraded.
	readTimeout    = 30 * time.Second
	maxHeaderBytes = 32 << 10
	idleTimeout    = 120 * time.Second
	// ShutdownTimeout bounds a graceful shutdown: telling every client,
	// closing the sessions and finishing the HTTP requests under way.
	ShutdownTimeout = 10 * time.Second
)

// Config is everything a server is made from.
type Config struct {
	// Listen is the HTTP address, e.g. ":8080" or "127.0.0.1:0".
	Listen string
	// TLS, when set, makes the server speak HTTPS.
	TLS *tls.Config
	// ACME, when set (and TLS is not), obtains and renews the HTTPS
	// certificate from an ACME CA.
	ACME *ACME
	// HTTPRedirectListen, when set, serves plain HTTP on this address:
	// the ACME CA's http-01 challenges and a redirect to HTTPS for
	// everything else. It needs TLS or ACME.
	HTTPRedirectListen string
	// MetricsListen, when set, serves /metrics, /healthz and /readyz on
	// this address, and /metrics no longer on Listen. When empty, Listen
	// serves /metrics to clients on this machine only.
	MetricsListen string
	// TrustedProxies are reverse proxies whose X-Forwarded-For, -Host and
	// -Proto headers are believed. Empty: the headers are ignored.
	TrustedProxies []netip.Prefix
	// Network says where media flows.
	Network sfu.NetworkConfig
	// Media tells clients how to encode what they send.
	Media signaling.MediaSettings
	// Access says who may enter: signed links, rooms settings.
	Access Access
	// Limits bound rooms and participants.
	Limits sfu.Limits
	// AllowedOrigins may open WebSockets besides the server's own pages.
	AllowedOrigins []string
	// MaxConnectionsPerIP bounds the signaling sessions of one client
	// address (0: no limit), and its connections to the web server to
	// HTTPConnectionsPerSession times as many (a trusted proxy's are not
	// counted); MessagesPerIP their messages per second together and
	// MessageBytesPerIP the bytes of those (0: no limit). Behind a
	// trusted proxy the address is the one it forwarded.
	MaxConnectionsPerIP, MessagesPerIP, MessageBytesPerIP int
	// TURN configures relaying for clients behind strict firewalls.
	TURN TURNConfig
	// Version labels the plenum_build_info metric.
	Version string
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Access says who may enter which room.
type Access struct {
	// Links verifies signed links; nil refuses every link.
	Links *auth.Keyring
	// RequireToken admits only people with a signed link.
	RequireToken bool
	// Rooms gives rooms their initial settings; nil: defaults.
	Rooms signaling.RoomDefaults
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
	acme      *ACME        // nil unless certificates come from ACME
	http      *http.Server
	extra     []extraServer // the redirect and metrics listeners, if any

	registry        *prometheus.Registry
	separateMetrics bool

	serving      atomic.Bool // every listener accepts connections
	shuttingDown atomic.Bool
	ready        chan struct{} // closed once the link works (Ready)
	readyOnce    sync.Once
}

// extraServer is an HTTP server on another listener than the main one.
type extraServer struct {
	name string
	ln   net.Listener
	srv  *http.Server
}

// ListenError is New's error when one of its HTTP listeners cannot
// open: Listener says which, "http" (Config.Listen), "metrics"
// (MetricsListen) or "redirect" (HTTPRedirectListen), so that the
// caller can name the setting at fault.
type ListenError struct {
	Listener, Addr string
	Err            error
}

// Error says which address could not be listened on, and why.
func (e *ListenError) Error() string { return fmt.Sprintf("listen on %s: %v", e.Addr, e.Err) }

// Unwrap returns the error of net.Listen.
func (e *ListenError) Unwrap() error { return e.Err }

// New opens every listener and the media port, so that a port in use
// is reported before anything starts.
func New(cfg Config) (_ *Server, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.TLS != nil && cfg.ACME != nil {
		return nil, errors.New("TLS and ACME are exclusive: a certificate comes from files or from a CA")
	}
	if cfg.ACME != nil {
		cfg.TLS = cfg.ACME.tlsConfig()
	}
	if cfg.HTTPRedirectListen != "" && cfg.TLS == nil {
		return nil, errors.New("an HTTP redirect listener needs HTTPS")
	}
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()
	cfg.Network.Log = log
	engine, err := sfu.NewEngine(cfg.Network)
	if err != nil {
		return nil, err
	}
	closers = append(closers, engine.Close)
	listen := func(name, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, &ListenError{Listener: name, Addr: addr, Err: err}
		}
		closers = append(closers, ln.Close)
		return ln, nil
	}
	httpConnsPerIP := HTTPConnectionsPerSession * cfg.MaxConnectionsPerIP
	ln, err := listen("http", cfg.Listen)
	if err != nil {
		return nil, err
	}
	ln = limitPerAddr(ln, httpConnsPerIP, cfg.TrustedProxies)
	s := &Server{log: log, scheme: "http", engine: engine, acme: cfg.ACME, ready: make(chan struct{})}
	shareTLS := cfg.TLS != nil && cfg.TURN.Embedded
	if shareTLS {
		// TURN over TLS on the HTTPS port: its listener sorts the two.
		cfg.TURN.Server.SharedTLSPort = ln.Addr().(*net.TCPAddr).Port
	}
	if cfg.MetricsListen != "" {
		mln, err := listen("metrics", cfg.MetricsListen)
		if err != nil {
			return nil, err
		}
		s.separateMetrics = true
		s.extra = append(s.extra, extraServer{name: "metrics", ln: mln})
	}
	if cfg.HTTPRedirectListen != "" {
		rln, err := listen("redirect", cfg.HTTPRedirectListen)
		if err != nil {
			return nil, err
		}
		s.extra = append(s.extra, extraServer{name: "redirect", ln: limitPerAddr(rln, httpConnsPerIP, nil)})
	}
	// The manager first: TURN asks it whose credentials are still good.
	s.manager = sfu.NewManager(engine, cfg.Limits, log)
	if err := s.startTURN(cfg.TURN, cfg.Network.PublicIPs); err != nil {
		return nil, err
	}
	switch {
	case shareTLS:
		ln = newTURNMuxListener(ln, cfg.TLS, s.turn.ServeTLSConn)
		s.scheme = "https"
	case cfg.TLS != nil:
		ln = tls.NewListener(ln, cfg.TLS)
		s.scheme = "https"
	}
	s.listener = ln
	closers = append(closers, ln.Close)
	if s.turn != nil {
		// A participant's relays go with them, even when their client
		// could not say goodbye to the TURN server.
		s.manager.OnLeave(func(id string) { s.turn.ReleaseUser(id) })
	}
	s.signaling = signaling.NewServer(signaling.Config{
		Manager:        s.manager,
		ICEServers:     s.iceServers(cfg.TURN),
		Media:          cfg.Media,
		Links:          cfg.Access.Links,
		RequireToken:   cfg.Access.RequireToken,
		Rooms:          cfg.Access.Rooms,
		AllowedOrigins: cfg.AllowedOrigins,
		Scheme:         originScheme,
		Logger:         log,

		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP,
		MessagesPerIP:       cfg.MessagesPerIP,
		MessageBytesPerIP:   cfg.MessageBytesPerIP,
	})
	s.registry = s.newRegistry(cfg.Version)
	s.http = s.httpServer(withTLSState(trustProxies(cfg.TrustedProxies, securityHeaders(loopbackNamesOnly(cfg.AllowedOrigins, s.routes())))))
	s.http.ConnContext = tlsStateContext
	for i := range s.extra {
		e := &s.extra[i]
		switch e.name {
		case "metrics":
			e.srv = s.httpServer(securityHeaders(loopbackNamesOnly(cfg.AllowedOrigins, s.metricsRoutes())))
		case "redirect":
			e.srv = s.httpServer(securityHeaders(s.redirectHandler()))
		}
	}
	return s, nil
}

// writeTimeout bounds writing a response: a client that asks and never
// reads would hold a connection for ever. (An upgraded signaling session
// sets a deadline before each write.) A variable for the tests.
var writeTimeout = 60 * time.Second

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(signaling.Path, s.signaling)
	s.health(mux)
	if !s.separateMetrics {
		mux.Handle("GET "+MetricsPath, s.metricsHandler(true))
	}
	mux.Handle("/", s.warnPlainHTTP(web.Handler(web.Options{ValidRoom: signaling.ValidRoomName, Scheme: originScheme})))
	return mux
}

// warnPlainHTTP logs, once, that a page was loaded over plain HTTP from
// another host than localhost: browsers will not give it the camera or
// the microphone.
func (s *Server) warnPlainHTTP(next http.Handler) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requestScheme(r) == "http" && !isLocalhost(r.Host) {
			once.Do(func() {
				s.log.Warn("a page was loaded over plain HTTP: browsers give camera and microphone only to HTTPS pages (and localhost); use --domain, --tls-cert or an HTTPS reverse proxy with --behind-proxy",
					"host", r.Host)
			})
		}
		next.ServeHTTP(w, r)
	})
}

// isLocalhost reports whether a Host header names this machine the way
// browsers treat as a secure context.
func isLocalhost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

func (s *Server) metricsRoutes() http.Handler {
	mux := http.NewServeMux()
	s.health(mux)
	mux.Handle("GET "+MetricsPath, s.metricsHandler(false))
	return mux
}

// redirectHandler sends plain-HTTP visitors to the HTTPS address, after
// answering the ACME CA's http-01 challenges.
func (s *Server) redirectHandler() http.Handler {
	_, port, _ := net.SplitHostPort(s.listener.Addr().String())
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "use HTTPS", http.StatusBadRequest)
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		} else if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1] // an IPv6 literal without a port
		}
		if !validHost(host) {
			http.Error(w, "bad Host header", http.StatusBadRequest)
			return
		}
		if port != "443" {
			host = net.JoinHostPort(host, port)
		} else if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
			host = "[" + host + "]"
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
	if s.acme != nil {
		return s.acme.httpHandler(redirect)
	}
	return redirect
}

// Addr is the address the HTTP server listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// ExtraAddr is the address of the redirect ("redirect") or metrics
// ("metrics") listener, or nil.
func (s *Server) ExtraAddr(name string) net.Addr {
	for _, e := range s.extra {
		if e.name == name {
			return e.ln.Addr()
		}
	}
	return nil
}

// URL is the address to open in a browser. An unspecified listen address
// becomes localhost, which browsers treat as a secure context; with ACME
// it is the certificate's domain.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.listener.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	if s.acme != nil {
		host = s.acme.Domain()
	}
	if s.scheme == "https" && port == "443" || s.scheme == "http" && port == "80" {
		return s.scheme + "://" + host + "/"
	}
	return s.scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// Ready is closed once URL works in a browser: every listener accepts
// and, with ACME, the certificate has been obtained (or found in the
// data directory). Until then, over ACME, a browser meets a TLS error.
// It stays open if Serve ends first.
func (s *Server) Ready() <-chan struct{} { return s.ready }

func (s *Server) markReady() { s.readyOnce.Do(func() { close(s.ready) }) }

// TURN is the embedded TURN server, or nil.
func (s *Server) TURN() *turn.Server { return s.turn }

// Manager is the server's room registry.
func (s *Server) Manager() *sfu.Manager { return s.manager }

// Signaling is the WebSocket side (tests use its DropConnection).
func (s *Server) Signaling() *signaling.Server { return s.signaling }

// MediaAddrs are the local addresses of the media port.
func (s *Server) MediaAddrs() []string {
	var out []string
	for _, a := range s.engine.MediaAddrs() {
		out = append(out, a.String())
	}
	return out
}

// Serve serves until ctx is cancelled, then shuts down gracefully:
// /readyz turns unready, new sessions are refused, every client is told
// (server-shutdown) and its session closed, requests under way finish,
// and the ports are released, all within ShutdownTimeout or little
// more.
func (s *Server) Serve(ctx context.Context) error {
	servers := 1 + len(s.extra)
	errc := make(chan error, servers)
	go func() { errc <- s.http.Serve(s.listener) }()
	for _, e := range s.extra {
		go func() { errc <- e.srv.Serve(e.ln) }()
	}
	s.serving.Store(true)

	// The certificate request runs beside serving: the CA's challenges
	// come in on the listeners that now accept.
	var obtaining sync.WaitGroup
	obtainCtx, stopObtaining := context.WithCancel(ctx)
	defer stopObtaining()
	if s.acme != nil {
		obtaining.Go(func() {
			if s.acme.obtain(obtainCtx, s.log) {
				s.markReady()
			}
		})
	} else {
		s.markReady()
	}
	s.selfCheckTURN(ctx)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		servers--
	}
	s.shuttingDown.Store(true)
	stopObtaining()
	s.log.Info("shutting down: telling participants and closing sessions",
		"sessions", s.signaling.SessionCount(), "within", ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := s.signaling.Shutdown(sctx); err != nil {
		s.log.Warn("sessions did not all close in time", "err", err)
	}
	s.manager.Close(sfu.ErrClosed)
	for _, h := range append([]*http.Server{s.http}, s.extraServers()...) {
		if err := h.Shutdown(sctx); err != nil {
			s.log.Warn("HTTP shutdown", "err", err)
			_ = h.Close()
		}
	}
	for ; servers > 0; servers-- {
		if err := <-errc; serveErr == nil || errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = err
		}
	}
	waitOrAbandon(&obtaining, sctx, func() {
		s.log.Warn("a certificate request was still running at shutdown")
	})
	_ = s.engine.Close()
	if s.turn != nil {
		_ = s.turn.Close()
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

func (s *Server) extraServers() []*http.Server {
	out := make([]*http.Server, len(s.extra))
	for i, e := range s.extra {
		out[i] = e.srv
	}
	return out
}

// waitOrAbandon waits for wg, or for ctx and then calls abandoned.
func waitOrAbandon(wg *sync.WaitGroup, ctx context.Context, abandoned func()) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		abandoned()
	}
}

// health adds /healthz (the process answers) and /readyz (it serves:
// every listener and the media port are open, the certificate is at
// hand, and it is not shutting down).
func (s *Server) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if reason := s.notReady(); reason != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(reason + "\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
}

// notReady says why the server is not ready, or "" when it is.
func (s *Server) notReady() string {
	switch {
	case s.shuttingDown.Load():
		return "shutting down"
	case !s.serving.Load():
		return "starting"
	case s.acme != nil && !s.acme.Ready():
		return "waiting for the TLS certificate of " + s.acme.Domain()
	}
	return ""
}

// slogPrinter passes promhttp's errors to the log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }
