package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwardedHeaders are the headers a reverse proxy sets to say what the
// client asked for. They are believed only from a trusted proxy and
// removed from every other request, so that nothing behind this point
// can be fooled by a client that sets them itself.
var forwardedHeaders = []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

// peerAddrKey is the context key of the connection's own remote address,
// kept before a trusted proxy's X-Forwarded-For replaces RemoteAddr.
type peerAddrKey struct{}

// proxiedKey is the context key of whether the request came with a
// forwarding header, trusted or not.
type proxiedKey struct{}

// proxyHeaders are all the headers by which a proxy says it relayed a
// request.
var proxyHeaders = append([]string{"Forwarded", "X-Real-Ip"}, forwardedHeaders...)

func hasProxyHeader(h http.Header) bool {
	for _, name := range proxyHeaders {
		if _, ok := h[name]; ok {
			return true
		}
	}
	return false
}

// forwardedProtoKey is the context key of the scheme the client used
// ("http" or "https"), as a trusted proxy reported it.
type forwardedProtoKey struct{}

// requestScheme is the scheme the client used to reach the server:
// what a trusted proxy reported in X-Forwarded-Proto, else the
// connection's own.
func requestScheme(r *http.Request) string {
	if p, ok := r.Context().Value(forwardedProtoKey{}).(string); ok {
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// trustedKey is the context key of whether the request came through a
// trusted proxy.
type trustedKey struct{}

// originScheme is the scheme the WebSocket origin check compares: what
// requestScheme says, or "" (unknown: hosts alone decide) for a request
// through a trusted proxy that did not say which scheme it served.
func originScheme(r *http.Request) string {
	if _, ok := r.Context().Value(forwardedProtoKey{}).(string); !ok {
		if trusted, _ := r.Context().Value(trustedKey{}).(bool); trusted {
			return ""
		}
	}
	return requestScheme(r)
}

// trustProxies applies what trusted reverse proxies say about the
// client: X-Forwarded-For becomes RemoteAddr (the first address, from
// the right, that is not itself a trusted proxy), X-Forwarded-Host
// becomes Host — which the WebSocket origin check and the TURN host in
// the welcome use — and X-Forwarded-Proto the scheme. With no trusted
// proxies the headers are stripped and ignored.
func trustProxies(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), peerAddrKey{}, r.RemoteAddr)
		ctx = context.WithValue(ctx, proxiedKey{}, hasProxyHeader(r.Header))
		peer, ok := addrOf(r.RemoteAddr)
		if !ok || !containsAddr(trusted, peer) {
			for _, h := range forwardedHeaders {
				r.Header.Del(h)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx = context.WithValue(ctx, trustedKey{}, true)
		if proto := lastValue(r.Header.Values("X-Forwarded-Proto")); proto == "http" || proto == "https" {
			ctx = context.WithValue(ctx, forwardedProtoKey{}, proto)
		}
		r = r.WithContext(ctx)
		if client, ok := clientAddr(trusted, r.Header.Values("X-Forwarded-For")); ok {
			r.RemoteAddr = net.JoinHostPort(client.String(), "0")
		}
		if host := lastValue(r.Header.Values("X-Forwarded-Host")); host != "" && validHost(host) {
			r.Host = host
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr walks X-Forwarded-For from the right, where the nearest
// proxy appended, and returns the first address that is not a trusted
// proxy: everything left of it was written by the client and may be
// forged.
func clientAddr(trusted []netip.Prefix, values []string) (netip.Addr, bool) {
	hops := strings.Split(strings.Join(values, ","), ",")
	var last netip.Addr
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHop(strings.TrimSpace(hops[i]))
		if err != nil {
			return last, last.IsValid()
		}
		last = a.Unmap()
		if !containsAddr(trusted, last) {
			return last, true
		}
	}
	return last, last.IsValid()
}

// parseHop reads one address of X-Forwarded-For: an IP address, or one
// with a port, as some proxies (Azure's, IIS) write them.
func parseHop(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, err
		}
		a = ap.Addr()
	}
	return a, nil
}

// lastValue is the last comma-separated element of a header's values:
// what the nearest proxy set.
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// validHost accepts a host or host:port made of the characters a DNS
// name or an IP literal can hold.
func validHost(h string) bool {
	if len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_':
		default:
			return false
		}
	}
	return h != ""
}

func addrOf(hostport string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func containsAddr(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// LoopbackPrefixes are 127.0.0.0/8 and ::1, the default trusted proxies:
// a reverse proxy on the same machine.
func LoopbackPrefixes() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}
