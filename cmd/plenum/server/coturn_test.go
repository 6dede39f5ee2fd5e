package server_test

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/signaling/client"
)

// coturn's test client (Debian package coturn), over TLS (-S) to the
// HTTPS port: turnutils_uclient relays through the built-in server to
// turnutils_peer, an echo server, and reports what came back.
func TestCoturnUclientRelaysOverTLSOnTheHTTPSPort(t *testing.T) {
	uclient, err1 := exec.LookPath("turnutils_uclient")
	peer, err2 := exec.LookPath("turnutils_peer")
	if err1 != nil || err2 != nil {
		t.Skip("coturn's turnutils_uclient/turnutils_peer not installed (Debian package coturn)")
	}
	srv := startHTTPS(t, func(c *server.Config) {
		c.TURN.Server.AllowPeers = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	ana := dialHTTPS(t, srv, "Ana", client.Config{}) // uclient's credential is hers

	// At 127.0.0.1, the host's own address, only the media ports are
	// peers, but for AllowPeers above.
	probe, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peerPort := strconv.Itoa(probe.LocalAddr().(*net.UDPAddr).Port)
	_ = probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	echo := exec.CommandContext(ctx, peer, "-L", "127.0.0.1", "-p", peerPort)
	if err := echo.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = echo.Wait() }()
	waitUntil(t, 10*time.Second, "turnutils_peer echoes", func() bool { return echoes("127.0.0.1:" + peerPort) })

	const msgs = 20
	port := strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
	cmd := exec.CommandContext(ctx, uclient, "-t", "-S", "-W", "test-secret", "-u", ana.ID(), "-p", port,
		"-L", "127.0.0.1", "-e", "127.0.0.1", "-r", peerPort, "-n", strconv.Itoa(msgs), "-m", "1", "-c", "127.0.0.1")
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	recv := regexp.MustCompile(`tot_recv_msgs=(\d+)`).FindAllSubmatch(out, -1)
	if err != nil || len(recv) == 0 || string(recv[len(recv)-1][1]) != strconv.Itoa(msgs) {
		t.Fatalf("turnutils_uclient over TLS to the HTTPS port: %v, want %d echoes back:\n%s", err, msgs, out)
	}
}

// echoes reports whether a UDP echo server at addr answers a probe
// within 100 ms.
func echoes(addr string) bool {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_, _ = c.Write([]byte("probe"))
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	return err == nil && string(buf[:n]) == "probe"
}
