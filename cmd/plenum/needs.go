package main

import (
	"fmt"
	"slices"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/turn"
)

// defaultTrustedProxies is --trusted-proxy's default: a proxy on this
// machine.
var defaultTrustedProxies = []string{"127.0.0.0/8", "::1/128"}

// checkNeeds refuses a flag set away from its default where another
// flag it works with is missing: the server would start and silently do
// without it (a proxy's addresses ignored, no TURN over TLS). A value
// equal to the default passes, as --print-config writes every flag.
func (o *serveOptions) checkNeeds() error {
	tls := o.domain != "" || o.tlsCert != ""
	for _, n := range []struct {
		given bool
		flag  string
		needs string
	}{
		{!slices.Equal(o.trustedProxies, defaultTrustedProxies) && !o.behindProxy,
			"--trusted-proxy", "--behind-proxy, without which forwarded addresses are ignored"},
		{o.acmeEmail != "" && o.domain == "", "--acme-email", "--domain (it is the contact for --domain's certificate)"},
		{o.acmeCA != server.LetsEncrypt && o.domain == "", "--acme-ca", "--domain (it is the CA of --domain's certificate)"},
		{o.turn.tlsPort != turn.DefaultTLSPort && o.turn.enabled && !tls,
			"--turn-tls-port", "a certificate, --domain or --tls-cert: without one there is no TURN over TLS"},
	} {
		if n.given {
			return fmt.Errorf("%s works only with %s", n.flag, n.needs)
		}
	}
	return nil
}
