package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/sfu"
)

// LocalServer is a Plenum running in this process, without TURN.
type LocalServer struct {
	srv    *server.Server
	cancel context.CancelFunc
	done   chan error
}

// StartLocalServer starts a server listening on listen (e.g.
// "127.0.0.1:0") whose media uses only the named interfaces.
func StartLocalServer(listen string, interfaces []string, log *slog.Logger) (*LocalServer, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// One media port for every address, as plenum serve has, rather
	// than the tests' 0 (a free port per address).
	var srv *server.Server
	var err error
	for range 5 {
		srv, err = server.New(server.Config{
			Listen:  listen,
			Network: sfu.NetworkConfig{Interfaces: interfaces, UDPPort: freeUDPPort()},
			Logger:  log,
		})
		if err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &LocalServer{srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx) }()
	return s, nil
}

// URL is the server's page, http://127.0.0.1:port/.
func (s *LocalServer) URL() string { return fmt.Sprintf("http://%s/", s.srv.Addr()) }

// Close shuts the server down, within server.ShutdownTimeout and a bit.
func (s *LocalServer) Close() error {
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(server.ShutdownTimeout + 5*time.Second):
		return fmt.Errorf("server did not stop within %v", server.ShutdownTimeout)
	}
}

// freeUDPPort is a UDP port free on 127.0.0.1 a moment ago, 0 if none.
func freeUDPPort() int {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
