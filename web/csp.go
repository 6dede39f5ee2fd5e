package web

import (
	"net/http"
	"regexp"
)

// The page's Content-Security-Policy lets it connect to its own origin
// only: 'self', and its signaling WebSocket by name. CSP Level 3
// browsers count ws: and wss: on the page's own host as 'self'; older
// ones (Safari before 15.4) need the WebSocket's origin spelt out. It
// was "ws: wss:", any host: a script that got into the page could have
// sent what it saw anywhere.
const (
	pagePolicyBefore = "default-src 'self'; " +
		"script-src 'self'; style-src 'self'; " +
		"connect-src 'self'"
	pagePolicyAfter = "; img-src 'self' data: blob:; media-src 'self' blob:; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

// cspHost is a host[:port] that may stand in a CSP source expression: a
// DNS name or IPv4 address, with a port or without. Nothing else is
// written into the policy (a Host header may hold ';' or quotes, which
// would add directives); an IPv6 literal, which CSP cannot name, is
// left to 'self'.
var cspHost = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?(:[0-9]{1,5})?$`)

// pagePolicy is the Content-Security-Policy of the page r asks for: its
// WebSocket may go to the host the browser asked for (r.Host, which a
// trusted reverse proxy's X-Forwarded-Host has set), over wss: when the
// page came over HTTPS, ws: over HTTP, and either when scheme is ""
// (a proxy that did not say; mixed-content rules keep an HTTPS page off
// ws: anyway).
func pagePolicy(r *http.Request, scheme string) string {
	if !cspHost.MatchString(r.Host) {
		return pagePolicyBefore + pagePolicyAfter
	}
	ws := ""
	switch scheme {
	case "https":
		ws = " wss://" + r.Host
	case "http":
		ws = " ws://" + r.Host
	default:
		ws = " ws://" + r.Host + " wss://" + r.Host
	}
	return pagePolicyBefore + ws + pagePolicyAfter
}

// connectionScheme is the scheme of r's own connection: "https" over
// TLS, else "http".
func connectionScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
