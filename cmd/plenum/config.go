package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pion/stun/v4"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
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

// newLogger writes the server's log to w in format, text or json, from
// level up; the level may change later through the LevelVar (SIGHUP).
func newLogger(w io.Writer, level, format string) (*slog.Logger, *slog.LevelVar, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	lv := new(slog.LevelVar)
	lv.Set(l)
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: readableDuration}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), lv, nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), lv, nil
	}
	return nil, nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// readableDuration writes a duration as Go prints it ("1.5s", "250ms"),
// as the text format does, in JSON too, where slog writes an integer of
// nanoseconds that nobody reads as 1.5 seconds.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// checkDataDir warns when the data directory, which holds the TURN
// secret and the private keys, can be read by other users. Plenum
// creates it 0700; one the admin made is left as it is.
func checkDataDir(log *slog.Logger, dir string) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the data directory is open to other users; it holds secrets and private keys: chmod 700 it",
			"data_dir", dir, "mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
	}
}

// checkHostPort checks an address flag.
func checkHostPort(flag, value, example string) error {
	_, _, err := listenPort(flag, value, example)
	return err
}

// config checks the flags and turns them into a server configuration,
// with the certificate files SIGHUP reloads (nil without --tls-cert).
// Every error names the flag at fault.
func (o *serveOptions) config(log *slog.Logger) (server.Config, *server.CertificateFiles, error) {
	fail := func(err error) (server.Config, *server.CertificateFiles, error) { return server.Config{}, nil, err }
	for name, port := range map[string]int{
		"--udp-port": o.udpPort, "--tcp-port": o.tcpPort, "--turn-port": o.turn.port, "--turn-tls-port": o.turn.tlsPort,
	} {
		if port < 0 || port > 65535 {
			return fail(fmt.Errorf("%s %d: want a port from 0 to 65535", name, port))
		}
	}
	if o.maxRooms < 0 || o.maxPerRoom < 0 {
		return fail(fmt.Errorf("--max-rooms and --room-max-participants cannot be negative"))
	}
	if o.gcPercent < 10 || o.gcPercent > 1000 {
		return fail(fmt.Errorf("--gc-percent %d: want 10 to 1000", o.gcPercent))
	}
	if o.memoryLimit != 0 && o.memoryLimit < 64<<20 {
		return fail(fmt.Errorf("--memory-limit %s: want 0 (none) or at least 64M", o.memoryLimit.String()))
	}
	if o.maxConnsPerIP < 0 || o.messagesPerIP < 0 || o.messageBytesPerIP < 0 {
		return fail(fmt.Errorf("--max-connections-per-ip, --max-messages-per-ip and --max-message-bytes-per-ip cannot be negative"))
	}
	for _, origin := range o.allowedOrigins {
		if u, err := url.Parse(origin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			return fail(fmt.Errorf("--allowed-origin %q: want scheme://host[:port], e.g. https://meet.example.org", origin))
		}
	}
	if err := checkHostPort("--listen", o.listen, ":8080 or 127.0.0.1:8080"); err != nil {
		return fail(err)
	}
	if o.metricsListen != "" {
		if err := checkHostPort("--metrics-listen", o.metricsListen, "127.0.0.1:9090"); err != nil {
			return fail(err)
		}
	}
	if err := o.checkNeeds(); err != nil {
		return fail(err)
	}
	redirect := o.redirectListen
	if redirect == "off" {
		redirect = ""
	}
	if redirect != "" {
		if err := checkHostPort("--http-redirect-listen", redirect, ":80"); err != nil {
			return fail(err)
		}
		if o.domain == "" && o.tlsCert == "" {
			return fail(fmt.Errorf("--http-redirect-listen redirects to HTTPS: it needs --domain or --tls-cert"))
		}
	}
	for _, ip := range o.publicIPs {
		if err := checkPublicIP(ip); err != nil {
			return fail(err)
		}
		warnUnreachablePublicIP(log, ip)
	}
	media, bandwidth, codecs, err := o.media.settings()
	if err != nil {
		return fail(err)
	}
	var proxies []netip.Prefix
	if o.behindProxy {
		var err error
		if proxies, err = parsePrefixes("--trusted-proxy", o.trustedProxies); err != nil {
			return fail(err)
		}
		if len(proxies) == 0 {
			return fail(fmt.Errorf("--behind-proxy needs at least one --trusted-proxy"))
		}
	}

	var (
		httpsTLS, turnTLS *tls.Config
		certFiles         *server.CertificateFiles
		acme              *server.ACME
	)
	switch {
	case o.domain != "" && (o.tlsCert != "" || o.tlsKey != ""):
		return fail(fmt.Errorf("--domain gets a certificate by itself: leave out --tls-cert and --tls-key, or --domain"))
	case o.domain != "":
		if o.acmeCA == "" {
			return fail(fmt.Errorf("--acme-ca is empty: give the CA's ACME directory URL, e.g. %s", server.LetsEncrypt))
		}
		if u, err := url.Parse(o.acmeCA); err != nil || u.Scheme != "https" || u.Host == "" {
			return fail(fmt.Errorf("--acme-ca %q: want the https:// URL of an ACME directory", o.acmeCA))
		}
		// The CA refuses a contact that is not a bare address, and then
		// no certificate comes: "admin@example.org # me" (a comment in
		// the file is part of the value) or "Admin <admin@example.org>".
		if a, err := mail.ParseAddress(o.acmeEmail); o.acmeEmail != "" && (err != nil || a.Address != o.acmeEmail) {
			return fail(fmt.Errorf("--acme-email %q is not an e-mail address such as admin@example.org", o.acmeEmail))
		}
		var err error
		acme, err = server.NewACME(server.ACMEConfig{
			Domain:       o.domain,
			DirectoryURL: o.acmeCA,
			Email:        o.acmeEmail,
			Dir:          server.CertificateDir(o.dataDir),
		})
		if errors.Is(err, fs.ErrPermission) {
			return fail(fileError("--data-dir", o.dataDir, err))
		} else if err != nil {
			return fail(fmt.Errorf("--domain: %w", err))
		}
		turnTLS = acme.TURNTLSConfig()
	case o.tlsCert != "" || o.tlsKey != "":
		if o.tlsCert == "" || o.tlsKey == "" {
			return fail(fmt.Errorf("--tls-cert and --tls-key go together"))
		}
		var err error
		if certFiles, err = server.LoadCertificateFiles(o.tlsCert, o.tlsKey); err != nil {
			return fail(certError(o.tlsCert, o.tlsKey, err))
		}
		httpsTLS, turnTLS = certFiles.TLSConfig(), certFiles.TLSConfig()
	}
	uses, err := o.portUses(redirect, turnTLS != nil)
	if err != nil {
		return fail(err)
	}
	if err := checkPortCollisions(uses); err != nil {
		return fail(err)
	}
	checkDataDir(log, o.dataDir)
	turnCfg, err := o.turn.config(o.dataDir, turnTLS)
	if err != nil {
		return fail(err)
	}
	access, err := o.access(log)
	if err != nil {
		return fail(err)
	}
	return server.Config{
		Listen:             o.listen,
		TLS:                httpsTLS,
		ACME:               acme,
		HTTPRedirectListen: redirect,
		MetricsListen:      o.metricsListen,
		TrustedProxies:     proxies,
		Network: sfu.NetworkConfig{
			UDPPort:     o.udpPort,
			TCPPort:     o.tcpPort,
			Interfaces:  o.iceInterfaces,
			PublicIPs:   o.publicIPs,
			Bandwidth:   bandwidth,
			VideoCodecs: codecs,
		},
		Media:               media,
		Limits:              sfu.Limits{MaxRooms: o.maxRooms, MaxParticipantsPerRoom: o.maxPerRoom},
		AllowedOrigins:      o.allowedOrigins,
		MaxConnectionsPerIP: o.maxConnsPerIP,
		MessagesPerIP:       o.messagesPerIP,
		MessageBytesPerIP:   o.messageBytesPerIP,
		TURN:                turnCfg,
		Access:              access,
		Version:             versionNumber(),
		Logger:              log,
	}, certFiles, nil
}

func (t *turnOptions) config(dataDir string, tlsConfig *tls.Config) (server.TURNConfig, error) {
	if !t.enabled && len(t.servers) == 0 {
		return server.TURNConfig{}, nil
	}
	fail := func(err error) (server.TURNConfig, error) { return server.TURNConfig{}, err }
	allow, err := parsePrefixes("--turn-allow-peer", t.allowPeers)
	if err != nil {
		return fail(err)
	}
	// A URL the browser cannot parse makes RTCPeerConnection throw:
	// nobody could join.
	for _, u := range t.servers {
		if uri, err := stun.ParseURI(u); err != nil || (uri.Scheme != stun.SchemeTypeTURN && uri.Scheme != stun.SchemeTypeTURNS) {
			return fail(fmt.Errorf("--turn-server %q: want a TURN URL, e.g. turn:turn.example.org:3478?transport=udp", u))
		}
	}
	var relayIP net.IP
	if t.relayIP != "" {
		if relayIP = net.ParseIP(t.relayIP); relayIP == nil || relayIP.IsUnspecified() || relayIP.IsMulticast() {
			return fail(fmt.Errorf("--turn-relay-ip %q: want the specific IP address relays bind to", t.relayIP))
		}
		if t.enabled {
			if err := checkBindable(relayIP); err != nil {
				return fail(fmt.Errorf("--turn-relay-ip %q is not an address of this machine (behind 1:1 NAT the public one is --public-ip's): %w", t.relayIP, err))
			}
		}
	}
	// turn.Config takes 0 for its default, so 0 here would quietly
	// mean 1000 (or 10) where every other limit's 0 means none: refused.
	for _, l := range []struct {
		flag  string
		value int
	}{{"--turn-max-allocations", t.maxAllocations}, {"--turn-max-allocations-per-user", t.maxAllocationsUser}} {
		if l.value < 1 {
			return fail(fmt.Errorf("%s %d: want at least 1; there is no unlimited (--turn=false switches the TURN server off)", l.flag, l.value))
		}
	}
	secret := []byte(t.secret)
	if t.secret != "" {
		if err := turn.CheckSecret(secret); err != nil {
			return server.TURNConfig{}, fmt.Errorf("--turn-secret: %w", err)
		}
	} else {
		if len(t.servers) > 0 && !t.enabled {
			return server.TURNConfig{}, fmt.Errorf("--turn-server needs --turn-secret, the secret the TURN server shares")
		}
		if secret, err = turn.LoadOrCreateSecret(dataDir); err != nil {
			return server.TURNConfig{}, fileError("--data-dir", dataDir, err)
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

// access opens the link key in the data directory and the rooms file.
func (o *serveOptions) access(log *slog.Logger) (server.Access, error) {
	links, err := auth.OpenKeyring(o.dataDir)
	if err != nil {
		return server.Access{}, fileError("--data-dir", o.dataDir, err)
	}
	a := server.Access{Links: links, RequireToken: o.requireToken}
	if o.roomsFile != "" {
		rooms, err := signaling.OpenRoomsFile(o.roomsFile, log)
		if err != nil {
			return server.Access{}, fileError("--rooms", o.roomsFile, err)
		}
		a.Rooms = rooms
	}
	return a, nil
}
