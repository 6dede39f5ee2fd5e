package turn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interop with coturn's own test client (Debian package coturn):
// turnutils_uclient allocates with TURN REST credentials derived from the
// shared secret (-W), relays through this server to turnutils_peer, an echo
// server, and reports what came back.

func coturnTools(t *testing.T) (uclient, peer string) {
	t.Helper()
	uclient, err1 := exec.LookPath("turnutils_uclient")
	peer, err2 := exec.LookPath("turnutils_peer")
	if err1 != nil || err2 != nil {
		t.Skip("coturn's turnutils_uclient/turnutils_peer not installed (Debian package coturn); skipping interop test")
	}

	return uclient, peer
}

// lockedBuffer collects a subprocess's output safely.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// startCoturnPeer runs turnutils_peer on 127.0.0.1 and waits until it
// echoes. It returns the port.
func startCoturnPeer(t *testing.T, bin string) int {
	t.Helper()
	for attempt := range 5 {
		probe, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback4})
		if err != nil {
			t.Fatal(err)
		}
		port := probe.LocalAddr().(*net.UDPAddr).Port //nolint:forcetypeassert
		_ = probe.Close()

		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "-L", "127.0.0.1", "-p", strconv.Itoa(port))
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatalf("start turnutils_peer: %v", err)
		}
		stop := func() { cancel(); _ = cmd.Wait() }
		if waitEcho(port) {
			t.Cleanup(stop)

			return port
		}
		stop()
		t.Logf("turnutils_peer attempt %d on port %d did not echo: %s", attempt, port, out.String())
	}
	t.Fatal("turnutils_peer did not start")

	return 0
}

// waitEcho probes a UDP echo server on 127.0.0.1:port for up to 3 s.
func waitEcho(port int) bool {
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: loopback4, Port: port})
	if err != nil {
		return false
	}
	defer conn.Close()
	buf := make([]byte, 64)
	for range 30 {
		_, _ = conn.Write([]byte("probe"))
		_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := conn.Read(buf)
		if err == nil && string(buf[:n]) == "probe" {
			return true
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			time.Sleep(100 * time.Millisecond) // refused: not listening yet
		}
	}

	return false
}

// uclientResult is what turnutils_uclient reports at the end of a run.
type uclientResult struct {
	sent, recv, lost int
	output           string
	exitErr          error
}

var (
	reTotSent = regexp.MustCompile(`tot_send_msgs=(\d+)`)
	reTotRecv = regexp.MustCompile(`tot_recv_msgs=(\d+)`)
	reLost    = regexp.MustCompile(`Total lost packets (\d+)`)
)

func runUclient(t *testing.T, bin string, args ...string) uclientResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("turnutils_uclient %v timed out:\n%s", args, out)
	}
	r := uclientResult{output: string(out), exitErr: err, sent: -1, recv: -1, lost: -1}
	last := func(re *regexp.Regexp) int {
		m := re.FindAllStringSubmatch(r.output, -1)
		if len(m) == 0 {
			return -1
		}
		n, _ := strconv.Atoi(m[len(m)-1][1])

		return n
	}
	r.sent, r.recv, r.lost = last(reTotSent), last(reTotRecv), last(reLost)

	return r
}

func TestCoturnUclientInterop(t *testing.T) {
	uclient, peerBin := coturnTools(t)
	s := newTestServer(t, func(c *Config) {
		c.AllowPeers = []netip.Prefix{loopbackNet}
		c.TLSConfig = testTLSConfig(t)
	})
	peerPort := startCoturnPeer(t, peerBin)

	const msgs, clients = 20, 2
	for _, tc := range []struct {
		name  string
		flags []string
		port  int
		tcp   bool
	}{
		{"udp", nil, s.UDPAddr().Port, false},
		{"tcp", []string{"-t"}, s.TCPAddr().Port, true},
		{"tls", []string{"-t", "-S"}, s.TLSAddr().Port, true},
		{"udp-send-indications", []string{"-s"}, s.UDPAddr().Port, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Allocations()
			args := append([]string{}, tc.flags...)
			args = append(args, "-W", string(testSecret), "-u", "uclient-"+tc.name,
				"-p", strconv.Itoa(tc.port), "-L", "127.0.0.1", "-e", "127.0.0.1", "-r", strconv.Itoa(peerPort),
				"-n", strconv.Itoa(msgs), "-m", strconv.Itoa(clients), "-c", "127.0.0.1")
			start := time.Now()
			r := runUclient(t, uclient, args...)
			t.Logf("turnutils_uclient %s\n  exit=%v sent=%d recv=%d lost=%d in %v",
				strings.Join(args, " "), r.exitErr, r.sent, r.recv, r.lost, time.Since(start).Round(time.Millisecond))
			if r.exitErr != nil || r.sent < msgs*clients || r.recv != r.sent || r.lost != 0 {
				t.Errorf("relay over %s: exit %v, sent %d, received %d, lost %d; want %d sent and none lost\n%s",
					tc.name, r.exitErr, r.sent, r.recv, r.lost, msgs*clients, r.output)
			}
			// uclient makes two allocations per client and on exit releases
			// (Refresh 0) only the one it relayed on; over TCP/TLS closing the
			// connection ends both.
			left := settleAllocations(s, before, 2*time.Second) - before
			t.Logf("allocations left by uclient: %d", left)
			if tc.tcp && left != 0 || left > clients {
				t.Errorf("%d allocations left after uclient over %s exited", left, tc.name)
			}
		})
	}
}

// settleAllocations waits up to d for the allocation count to reach want and
// returns the count.
func settleAllocations(s *Server, want int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for s.Allocations() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	return s.Allocations()
}

func TestCoturnUclientRejected(t *testing.T) {
	uclient, peerBin := coturnTools(t)
	peerPort := startCoturnPeer(t, peerBin)
	base := []string{"-L", "127.0.0.1", "-e", "127.0.0.1", "-r", strconv.Itoa(peerPort), "-n", "5", "-m", "1", "-c"}

	reCode := regexp.MustCompile(`error (\d{3})`)
	for _, tc := range []struct {
		name string
		args []string
		code string // the error uclient reports ("" when it reports none)
		log  string // what the server logs
	}{
		// uclient binds a channel without CreatePermission first; pion answers
		// a refused ChannelBind with 401 (a refused CreatePermission gets 403).
		{"denied peer", append([]string{"-W", string(testSecret), "-u", "mallory"}, base...), "401",
			"turn: peer refused: denied class: loopback"},
		// uclient retries a 401 Allocate without printing the code, then
		// gives up with "Cannot complete Allocation".
		{"wrong secret", append([]string{"-W", "not-the-secret", "-u", "mallory"}, base...), "",
			"turn: credential refused: wrong password or realm"},
		{"static password", append([]string{"-u", "mallory", "-w", "guess"}, base...), "",
			"turn: credential refused: " + errMalformedUsername.Error()},
		// pion does not support DONT-FRAGMENT and answers 420.
		{"dont-fragment", append([]string{"-g", "-W", string(testSecret), "-u", "alice"}, base...), "420", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A server each, without AllowPeers: 127.0.0.1 is a denied peer.
			rec := newRecorder(testLogger().Handler())
			s := newTestServer(t, func(c *Config) { c.Logger = slog.New(rec) })
			args := append([]string{"-v", "-p", strconv.Itoa(s.UDPAddr().Port)}, tc.args...)
			r := runUclient(t, uclient, append(args, "127.0.0.1")...)
			codes := map[string]bool{}
			for _, m := range reCode.FindAllStringSubmatch(r.output, -1) {
				codes[m[1]] = true
			}
			t.Logf("uclient exit=%v recv=%d, errors reported: %v; last lines:\n%s", r.exitErr, r.recv, codes, tail(r.output, 4))
			if r.recv > 0 {
				t.Errorf("uclient received %d echoes through a relay that must refuse it", r.recv)
			}
			var ee *exec.ExitError
			if r.exitErr != nil && !errors.As(r.exitErr, &ee) {
				t.Errorf("uclient did not run: %v", r.exitErr)
			}
			if tc.code != "" && !codes[tc.code] {
				t.Errorf("uclient did not report error %s:\n%s", tc.code, r.output)
			}
			if tc.code == "" && !strings.Contains(r.output, "Cannot complete Allocation") {
				t.Errorf("uclient did not fail to allocate:\n%s", r.output)
			}
			if tc.log != "" {
				n := rec.count(tc.log)
				t.Logf("server logged %q %d times", tc.log, n)
				if n == 0 {
					t.Errorf("server did not log %q", tc.log)
				}
			}
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}

	return fmt.Sprintln(strings.Join(lines, "\n"))
}
