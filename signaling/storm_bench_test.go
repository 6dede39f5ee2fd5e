//go:build unix

package signaling_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
)

// An assembly's signaling, measured on the server alone: the server runs
// in a process of its own (this test binary again, as
// TestHelperStormServer), so that its CPU and allocations are not mixed
// with those of the 200 clients, which run here over loopback WebSockets
// and answer no offer (a client without media needs none for these 30
// seconds).
//
//	unshare --net sh -c 'ip link set lo up && go test -run "^$" -bench AssemblyStorm -benchtime 1x ./signaling/'
//
// STORM_CPUPROFILE=file has the server write its CPU profile there.

// stormPeople is the size of the assembly.
const stormPeople = 200

// stormServerEnv, set, makes TestHelperStormServer serve.
const stormServerEnv = "PLENUM_STORM_SERVER"

// BenchmarkAssemblyStorm has 200 people join one room at once, raise
// their hands, vote on a proposal and send a chat message each, then
// leave, and reports the server's CPU, allocations and bytes sent per
// event of each phase (a join, a hand, a ballot, a chat message, a
// leave). Each iteration is a new room; one (-benchtime 1x) is enough.
func BenchmarkAssemblyStorm(b *testing.B) {
	srv := startStormServer(b)
	var total [len(stormPhases)]stormCost
	for i := 0; b.Loop(); i++ {
		costs := runStorm(b, srv, fmt.Sprintf("storm-%d", i))
		for p := range costs {
			total[p] = total[p].add(costs[p])
		}
	}
	for p, name := range stormPhases {
		events := float64(b.N * stormPeople)
		b.ReportMetric(float64(total[p].cpu.Microseconds())/events, "cpu-µs/"+name)
		b.ReportMetric(float64(total[p].mallocs)/events, "allocs/"+name)
		b.ReportMetric(float64(total[p].received)/events/1024, "KB-sent/"+name)
	}
}

// stormPhases names the event of each phase of the storm, in order.
var stormPhases = [...]string{"join", "hand", "ballot", "chat", "leave"}

// stormCost is what the server spent on one phase; received counts the
// bytes its clients got.
type stormCost struct {
	cpu      time.Duration
	mallocs  uint64
	received int64
}

func (c stormCost) add(o stormCost) stormCost {
	return stormCost{c.cpu + o.cpu, c.mallocs + o.mallocs, c.received + o.received}
}

// runStorm runs the storm's phases in room and returns each one's cost.
func runStorm(b *testing.B, srv *stormServer, room string) (costs [len(stormPhases)]stormCost) {
	var clients []*stormClient
	phase := func(i int, act func(), done func(*stormClient) bool) {
		b.Helper()
		before, got := srv.stats(b), received(clients)
		act()
		awaitAll(b, stormPhases[i], clients, done)
		after := srv.stats(b)
		costs[i] = stormCost{after.cpu - before.cpu, after.mallocs - before.mallocs, received(clients) - got}
	}
	phase(0, func() { clients = joinStorm(b, srv.url, room) },
		func(c *stormClient) bool { return c.others == stormPeople-1 })
	phase(1, func() {
		for _, c := range clients {
			c.send(b, `{"type":"hand","raised":true}`)
		}
	}, func(c *stormClient) bool { return c.queued == stormPeople })
	var chair *stormClient
	for _, c := range clients {
		if c.check(func(c *stormClient) bool { return c.role == string(sfu.RoleModerator) }) {
			chair = c
		}
	}
	phase(2, func() {
		chair.send(b, `{"type":"proposal-open","kind":"yes-no","question":"Do we adopt the budget?"}`)
		awaitAll(b, "the proposal", clients, func(c *stormClient) bool { return c.open })
		for i, c := range clients {
			c.send(b, fmt.Sprintf(`{"type":"vote","proposal":1,"choice":%d}`, i%3))
		}
		awaitAll(b, "the ballots", clients, func(c *stormClient) bool { return c.voters == stormPeople })
		chair.send(b, `{"type":"proposal-close","proposal":1}`)
	}, func(c *stormClient) bool { return c.closed })
	phase(3, func() {
		for i, c := range clients {
			c.send(b, fmt.Sprintf(`{"type":"chat","text":"Point %d: I agree with the previous speaker."}`, i))
		}
	}, func(c *stormClient) bool { return c.chats == stormPeople })
	before := srv.stats(b)
	for _, c := range clients {
		c.send(b, `{"type":"leave"}`)
	}
	deadline := time.Now().Add(time.Minute)
	after := srv.stats(b)
	for ; after.sessions > 0; after = srv.stats(b) {
		if time.Now().After(deadline) {
			b.Fatalf("%d sessions still open a minute after everybody left", after.sessions)
		}
		time.Sleep(20 * time.Millisecond)
	}
	costs[4] = stormCost{after.cpu - before.cpu, after.mallocs - before.mallocs, 0}
	for _, c := range clients {
		c.close()
	}
	return costs
}

// joinStorm connects and joins stormPeople clients to room, all at once.
func joinStorm(b *testing.B, url, room string) []*stormClient {
	clients := make([]*stormClient, stormPeople)
	errs := make(chan error, stormPeople)
	for i := range clients {
		go func() {
			c, err := dialStorm(url, room, fmt.Sprintf("Member %03d of the cooperative", i))
			clients[i] = c
			errs <- err
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	return clients
}

// awaitAll waits until done holds for every client.
func awaitAll(b *testing.B, what string, clients []*stormClient, done func(*stormClient) bool) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		waiting := 0
		for _, c := range clients {
			if !c.check(done) {
				waiting++
			}
		}
		if waiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d of %d clients still waiting after a minute", what, waiting, len(clients))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func received(clients []*stormClient) (n int64) {
	for _, c := range clients {
		n += c.bytes.Load()
	}
	return n
}

// stormServer is the server's process, asked for its figures over its
// standard input and output.
type stormServer struct {
	url string
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// stormStats are the server's figures at a moment.
type stormStats struct {
	cpu      time.Duration
	mallocs  uint64
	sessions int
}

func startStormServer(b *testing.B) *stormServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStormServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), stormServerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &stormServer{cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	b.Cleanup(func() {
		_ = in.Close() // the server shuts down and exits
		_ = cmd.Wait()
	})
	addr := s.line(b, "storm-addr")
	s.url = "ws://" + addr + signaling.Path
	return s
}

// line returns what follows prefix on the server's next line that has it.
func (s *stormServer) line(b *testing.B, prefix string) string {
	b.Helper()
	for s.out.Scan() {
		if rest, ok := strings.CutPrefix(s.out.Text(), prefix+" "); ok {
			return rest
		}
	}
	b.Fatalf("the storm server ended before saying %s: %v", prefix, s.out.Err())
	return ""
}

func (s *stormServer) stats(b *testing.B) stormStats {
	b.Helper()
	if _, err := io.WriteString(s.in, "stats\n"); err != nil {
		b.Fatal(err)
	}
	var st stormStats
	var cpu int64
	if _, err := fmt.Sscan(s.line(b, "storm-stats"), &cpu, &st.mallocs, &st.sessions); err != nil {
		b.Fatal(err)
	}
	st.cpu = time.Duration(cpu)
	return st
}

// TestHelperStormServer is BenchmarkAssemblyStorm's server, when run
// with stormServerEnv set: it serves on a loopback port, which it
// prints, and answers each line "stats" on its standard input with its
// CPU time (ns), allocations so far and open sessions, until the input
// closes.
func TestHelperStormServer(t *testing.T) {
	if os.Getenv(stormServerEnv) == "" {
		t.Skip("BenchmarkAssemblyStorm's server")
	}
	if path := os.Getenv("STORM_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := sfu.NewEngine(sfu.NetworkConfig{Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	manager := sfu.NewManager(engine, sfu.Limits{}, log)
	sig := signaling.NewServer(signaling.Config{Manager: manager, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: sig}
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sig.Shutdown(ctx)
		_ = hs.Shutdown(ctx)
		manager.Close(sfu.ErrClosed)
		_ = engine.Close()
	}()
	fmt.Println("storm-addr", ln.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Println("storm-stats", int64(cpu), ms.Mallocs, sig.SessionCount())
	}
}
