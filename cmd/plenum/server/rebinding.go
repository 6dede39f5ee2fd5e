package server

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// loopbackNamesOnly refuses, over plain HTTP, a request that came in on
// a loopback address under a name that is not a loopback one: DNS
// rebinding. A page of evil.example, whose name its owner then points
// at 127.0.0.1, is for the browser the same origin as a Plenum reached
// on this machine's loopback (by default it listens there too): it could
// read /metrics, which is served to this machine only, and open
// signaling sessions past the WebSocket origin check, its Origin and
// Host agreeing. Browsers reach a local Plenum as localhost or by a
// loopback address; a trusted reverse proxy that says it forwarded the
// request (the documented --behind-proxy setup) keeps the public name,
// and so do the hosts of --allowed-origin, which the admin named; over
// TLS a rebound name has no certificate. A request without a Host
// (HTTP/1.0) comes from no browser.
func loopbackNamesOnly(allowedOrigins []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range allowedOrigins {
		if u, err := url.Parse(o); err == nil && u.Hostname() != "" {
			allowed[strings.ToLower(u.Hostname())] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil && r.Host != "" && arrivedOnLoopback(r) && !forwardedByTrustedProxy(r) &&
			!isLocalhost(r.Host) && !isUnspecified(r.Host) && !allowed[strings.ToLower(hostname(r.Host))] {
			http.Error(w, "reached on loopback, this server answers only to localhost and loopback addresses "+
				"(behind a reverse proxy on this machine, use --behind-proxy)", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isUnspecified reports whether a Host header is 0.0.0.0 or [::], which
// some browsers take to mean this machine: an address no rebound name
// sends.
func isUnspecified(hostport string) bool {
	ip, err := netip.ParseAddr(hostname(hostport))
	return err == nil && ip.IsUnspecified()
}

// hostname is a Host header without its port or an IPv6 literal's
// brackets.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// arrivedOnLoopback reports whether r's connection came to a loopback
// address of this machine.
func arrivedOnLoopback(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	ap, err := netip.ParseAddrPort(local.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// forwardedByTrustedProxy reports whether r came from a trusted proxy
// (trustProxies) with a header saying it forwarded the request.
func forwardedByTrustedProxy(r *http.Request) bool {
	trusted, _ := r.Context().Value(trustedKey{}).(bool)
	proxied, _ := r.Context().Value(proxiedKey{}).(bool)
	return trusted && proxied
}
