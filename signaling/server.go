package signaling

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/auth"
)

// Path is where the WebSocket endpoint is served.
const Path = "/_/ws"

// Config is what a signaling server needs.
type Config struct {
	// Manager holds the rooms.
	Manager *sfu.Manager
	// ICEServers returns the ICE servers (with fresh TURN credentials) a
	// participant's client should use; host is the server's name as the
	// client reached it. Nil means none.
	ICEServers func(host, participantID string) []webrtc.ICEServer
	// Media is what clients are told to send.
	Media MediaSettings
	// AllowedOrigins are origins (scheme://host[:port]) allowed to open a
	// socket besides the server's own host.
	AllowedOrigins []string
	// Scheme is the scheme ("http" or "https") the client used to reach
	// the server, for the origin check; "" when it is not known (behind
	// a proxy that does not say), and then only hosts are compared. Nil
	// means the connection's own: https over TLS, else http.
	Scheme func(r *http.Request) string
	// Logger receives session events; nil means slog.Default().
	Logger *slog.Logger

	// MaxConnectionsPerIP bounds the sessions one client address may
	// hold at once; 0 means no limit. The address is the request's
	// RemoteAddr, which a trusted proxy's X-Forwarded-For may have set.
	MaxConnectionsPerIP int
	// MessagesPerIP bounds the messages per second all sessions of one
	// client address send together (bursts of ten seconds' worth); 0
	// means no limit. Each session has its own limit besides.
	MessagesPerIP int
	// MessageBytesPerIP bounds the bytes of those messages per second
	// (bursts of ten seconds' worth, and at least MaxMessageBytes); 0
	// means no limit.
	MessageBytesPerIP int

	// Links verifies signed links (see package auth); nil refuses every
	// token with bad-token.
	Links *auth.Keyring
	// RequireToken admits only people with a signed link: nobody creates
	// or enters a room without one, and rooms are moderated by holders
	// of moderator links only (unless Rooms says otherwise).
	RequireToken bool
	// Rooms gives each room's initial settings (password, lobby, limit,
	// moderation); nil means defaults.
	Rooms RoomDefaults
}

// Server accepts WebSocket connections and runs one session for each.
type Server struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	perIP    *ipLimits
	// joinTimeout and messageTimeout, read once so that a test may
	// shorten them for the servers it starts.
	joinTimeout, messageTimeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	sessions map[*session]struct{}
	wg       sync.WaitGroup

	// resumes maps the hash of each valid resume token to the line of its
	// participant (resume.go).
	resumeMu sync.Mutex
	resumes  map[string]*line
}

// NewServer returns a server for cfg.
func NewServer(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: log, ctx: ctx, cancel: cancel, sessions: map[*session]struct{}{}, resumes: map[string]*line{},
		perIP:       newIPLimits(cfg.MaxConnectionsPerIP, cfg.MessagesPerIP, cfg.MessageBytesPerIP),
		joinTimeout: joinTimeout, messageTimeout: messageTimeout}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		HandshakeTimeout: handshakeTimeout,
		CheckOrigin:      s.checkOrigin,
	}
	if cfg.Links != nil {
		s.wg.Add(1)
		go s.watchLinkKey()
	}
	return s
}

// checkOrigin admits browsers only from the server's own pages (or an
// allowed origin), so that another site cannot open sessions in its
// visitors' names: scheme and host must both match, so that a page
// served over plain HTTP (which anyone on the path can rewrite) cannot
// speak for the HTTPS site. Clients that send no Origin are not
// browsers.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if slices.ContainsFunc(s.cfg.AllowedOrigins, func(o string) bool {
		a, err := url.Parse(strings.TrimSuffix(o, "/"))
		return err == nil && sameOrigin(a.Scheme, a.Host, u.Scheme, u.Host)
	}) {
		return true
	}
	scheme := s.scheme(r)
	if scheme == "" {
		scheme = u.Scheme // unknown: hosts alone decide
	}
	return sameOrigin(scheme, r.Host, u.Scheme, u.Host)
}

func (s *Server) scheme(r *http.Request) string {
	if s.cfg.Scheme != nil {
		return s.cfg.Scheme(r)
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// sameOrigin compares two scheme and host[:port] pairs, case-insensitively
// and with the scheme's default port made explicit.
func sameOrigin(scheme1, host1, scheme2, host2 string) bool {
	scheme1, scheme2 = strings.ToLower(scheme1), strings.ToLower(scheme2)
	return scheme1 == scheme2 && strings.EqualFold(withPort(scheme1, host1), withPort(scheme2, host2))
}

func withPort(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	switch scheme {
	case "https", "wss":
		return net.JoinHostPort(strings.Trim(host, "[]"), "443")
	default:
		return net.JoinHostPort(strings.Trim(host, "[]"), "80")
	}
}

// ServeHTTP upgrades the request and serves the session until it ends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bw := &batchingWriter{ResponseWriter: w}
	conn, err := s.upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	sess := newSession(s, conn, hostOnly(r.Host), s.log.With("remote", r.RemoteAddr))
	sess.out = bw.conn
	sess.addr = addrOf(r.RemoteAddr)
	meter, release, ok := s.perIP.acquire(sess.addr)
	switch {
	case !s.track(sess):
		sess.end(protocolError(CodeServerShutdown, "the server is shutting down"))
	case !ok:
		// Upgraded all the same, so that the client learns why.
		s.log.Info("session refused: too many from one address", "limit", s.cfg.MaxConnectionsPerIP)
		sess.end(protocolError(CodeRateLimit, "more than %d connections from your address", s.cfg.MaxConnectionsPerIP))
	default:
		sess.ipMeter = meter
		defer release()
	}
	defer s.untrack(sess)
	sess.run()
}

func (s *Server) track(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return false
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[sess]; ok {
		delete(s.sessions, sess)
		s.wg.Done()
	}
}

// SessionCount is the number of open sessions.
func (s *Server) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Shutdown tells every client that the server is going away, closes the
// sessions and waits for them, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	for sess := range s.sessions {
		sess.end(protocolError(CodeServerShutdown, "the server is shutting down"))
	}
	s.cancel()
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hostOnly strips the port from a Host header.
func hostOnly(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return hostport
}
