package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what the TURN REST API and coturn use.
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// DefaultCredentialTTL is the credential lifetime ICEServers uses when given
// ttl <= 0. Credentials are checked on every TURN request, refreshes
// included, so a relayed call ends when its credential expires unless the
// client is given fresh ICE servers (RTCPeerConnection.setConfiguration).
const DefaultCredentialTTL = 24 * time.Hour

// Credentials returns TURN REST API credentials as coturn's use-auth-secret
// expects them: username "<expiry-unix>:<id>" (just "<expiry-unix>" when id
// is empty), expiry being now+ttl, and password
// base64(HMAC-SHA1(secret, username)).
func Credentials(secret []byte, id string, ttl time.Duration, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10)
	if id != "" {
		username += ":" + id
	}

	return username, restPassword(secret, username)
}

func restPassword(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username)) //nolint:errcheck // hash writes never fail

	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

var (
	errMalformedUsername = errors.New("username is not <expiry-unix>[:<id>]")
	errExpiredUsername   = errors.New("credential expired")
	errInactiveUser      = errors.New("the credential's participant is no longer in a meeting")
)

// parseRESTUsername splits "<expiry>[:<id>]" and returns the expiry and the
// quota key: the id, or the whole username when there is no id.
func parseRESTUsername(username string) (expiry time.Time, id string, err error) {
	ts, rest, hasID := strings.Cut(username, ":")
	if ts == "" || len(ts) > 19 || strings.Trim(ts, "0123456789") != "" {
		return time.Time{}, "", errMalformedUsername
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", errMalformedUsername
	}
	id = username
	if hasID && rest != "" {
		id = rest
	}

	return time.Unix(sec, 0), id, nil
}

// authenticate is the pion AuthHandler: it derives the long-term key from the
// REST password. A wrong password or realm then fails pion's
// MESSAGE-INTEGRITY check (401); expired or malformed usernames are refused
// here (401 as well).
func (s *Server) authenticate(ra *pionturn.RequestAttributes) (userID string, key []byte, ok bool) {
	expiry, id, err := parseRESTUsername(ra.Username)
	if err == nil && time.Now().After(expiry) {
		err = errExpiredUsername
	}
	if err == nil && s.cfg.Active != nil && id != selfCheckID && !s.cfg.Active(id) {
		err = errInactiveUser
	}
	if err != nil {
		s.refusals.Log(s.log, slog.LevelInfo, "turn: credential refused", "reason", err.Error(), "username", ra.Username,
			"client", addrString(ra.SrcAddr), "method", ra.Method.String())

		return "", nil, false
	}

	return id, pionturn.GenerateAuthKey(ra.Username, s.cfg.Realm, restPassword(s.cfg.Secret, ra.Username)), true
}

// ICEServer is one entry of RTCConfiguration.iceServers; it marshals to the
// JSON shape of the WebRTC RTCIceServer dictionary.
type ICEServer struct {
	// URLs are the turn: / turns: URIs (RFC 7065).
	URLs []string `json:"urls"`
	// Username is the TURN REST username.
	Username string `json:"username,omitempty"`
	// Credential is the TURN REST password.
	Credential string `json:"credential,omitempty"`
}

// ICEServers returns the ICE server entry a client needs to use this server
// under the name host (a DNS name or IP literal reachable by the client),
// with fresh credentials for id valid for ttl (DefaultCredentialTTL when
// ttl <= 0): turn:host:port?transport=udp, turn:host:port?transport=tcp
// and, with TLS, turns:host:tlsport?transport=tcp, and with a shared
// TLS port (Config.SharedTLSPort) turns:host:sharedport?transport=tcp.
func (s *Server) ICEServers(host, id string, ttl time.Duration) []ICEServer {
	if ttl <= 0 {
		ttl = DefaultCredentialTTL
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	user, pass := Credentials(s.cfg.Secret, id, ttl, time.Now())
	urls := []string{
		"turn:" + net.JoinHostPort(host, strconv.Itoa(s.udpAddr.Port)) + "?transport=udp",
		"turn:" + net.JoinHostPort(host, strconv.Itoa(s.tcpAddr.Port)) + "?transport=tcp",
	}
	if s.tlsAddr != nil {
		urls = append(urls, "turns:"+net.JoinHostPort(host, strconv.Itoa(s.tlsAddr.Port))+"?transport=tcp")
	}
	if s.shared != nil {
		urls = append(urls, "turns:"+net.JoinHostPort(host, strconv.Itoa(s.cfg.SharedTLSPort))+"?transport=tcp")
	}

	return []ICEServer{{URLs: urls, Username: user, Credential: pass}}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}

	return a.String()
}
