package turn

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef-test-secret")
	loopback4   = net.IPv4(127, 0, 0, 1)
	loopbackNet = netip.MustParsePrefix("127.0.0.0/8")
)

// testLogger logs to stderr: at debug with PLENUM_TURN_DEBUG=1 (=pion: with
// pion's per-packet logs), else at
// info with -test.v and warn without. (Not t.Log: pion goroutines may log
// after a test has returned.)
func testLogger() *slog.Logger {
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	switch os.Getenv("PLENUM_TURN_DEBUG") {
	case "":
	case "pion":
		level = slog.LevelDebug - 8 // pion's per-packet output too
	default:
		level = slog.LevelDebug
	}

	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// newTestServer starts a server on 127.0.0.1 with a free port and relay IP
// 127.0.0.1; mod adjusts the config first. The server is closed at cleanup,
// which also asserts that Close succeeded.
func newTestServer(t *testing.T, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{
		ListenIP: loopback4,
		RelayIP:  loopback4,
		Secret:   testSecret,
		Logger:   testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	return s
}

// waitAllocations polls until the server has want allocations (at most 5 s).
func waitAllocations(t *testing.T, s *Server, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Allocations() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.Allocations(); got != want {
		t.Fatalf("Allocations() = %d, want %d", got, want)
	}
	if got := s.quota.count(); got != want {
		t.Fatalf("relay sockets held = %d, want %d", got, want)
	}
}

// udpEcho is a UDP echo peer on 127.0.0.1 that records who sent to it.
type udpEcho struct {
	conn  *net.UDPConn
	done  chan struct{}
	froms chan *net.UDPAddr
}

func newUDPEcho(t *testing.T) *udpEcho {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback4})
	if err != nil {
		t.Fatal(err)
	}
	e := &udpEcho{conn: conn, done: make(chan struct{}), froms: make(chan *net.UDPAddr, 1024)}
	go func() {
		defer close(e.done)
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			select {
			case e.froms <- from:
			default:
			}
			if _, err := conn.WriteToUDP(buf[:n], from); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = conn.Close(); <-e.done })

	return e
}

func (e *udpEcho) addr() *net.UDPAddr { return e.conn.LocalAddr().(*net.UDPAddr) } //nolint:forcetypeassert

// recorder is a slog.Handler that passes records on and counts them by
// message and "reason" attribute.
type recorder struct {
	slog.Handler
	mu     *sync.Mutex
	counts map[string]int
}

func newRecorder(next slog.Handler) *recorder {
	return &recorder{Handler: next, mu: &sync.Mutex{}, counts: map[string]int{}}
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(ctx context.Context, rec slog.Record) error {
	key := rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" {
			key += ": " + a.Value.String()
		}

		return true
	})
	r.mu.Lock()
	r.counts[key]++
	r.mu.Unlock()
	if r.Handler.Enabled(ctx, rec.Level) {
		return r.Handler.Handle(ctx, rec)
	}

	return nil
}

func (r *recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &recorder{Handler: r.Handler.WithAttrs(attrs), mu: r.mu, counts: r.counts}
}

func (r *recorder) WithGroup(name string) slog.Handler {
	return &recorder{Handler: r.Handler.WithGroup(name), mu: r.mu, counts: r.counts}
}

func (r *recorder) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()

	return r.counts[key]
}
