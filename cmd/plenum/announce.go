package main

import (
	"context"
	"fmt"
	"io"
)

// readyServer is what announce needs of a server: when its link works,
// and the link.
type readyServer interface {
	Ready() <-chan struct{}
	URL() string
}

// announce tells whoever started the server which link to open, once
// the link works: with --domain, only when the certificate is there
// (until then a browser meets a TLS error), saying meanwhile that it is
// being obtained. It returns once it has, or when ctx ends.
func announce(ctx context.Context, w io.Writer, srv readyServer, domain string) {
	if domain != "" {
		fmt.Fprintf(w, "\n  Obtaining the TLS certificate of %s; the link to open follows once it is there.\n"+
			"  If it does not come, the log says why (most often DNS not yet pointing here, or port 80 or 443 closed).\n\n", domain)
	}
	select {
	case <-srv.Ready():
		fmt.Fprintf(w, "\n  Plenum is ready. Open %s in your browser.\n\n", srv.URL())
	case <-ctx.Done():
	}
}
