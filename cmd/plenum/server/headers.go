package server

import (
	"net/http"

	"github.com/plenum-meet/plenum/web"
)

// hstsMaxAge is how long browsers keep to HTTPS once they have seen it
// (a year; subdomains are left alone, they may be other services).
const hstsMaxAge = "max-age=31536000"

// securityHeaders gives every response the web client's security headers
// (health, metrics, errors and the WebSocket's refusals included), and
// over HTTPS tells browsers to stay on it.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.SetSecurityHeaders(w.Header())
		if requestScheme(r) == "https" {
			w.Header().Set("Strict-Transport-Security", hstsMaxAge)
		}
		next.ServeHTTP(w, r)
	})
}
