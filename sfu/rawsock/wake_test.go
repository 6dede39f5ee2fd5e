package rawsock

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/sfu/sfutest"
)

// The woken-read benchmark's sender is this test binary run again with
// these variables set: another process, so that the reader's process is
// idle between datagrams, as a quiet media server is.
const (
	senderAddrEnv  = "RAWSOCK_BENCH_SEND_TO"
	senderCountEnv = "RAWSOCK_BENCH_SEND_COUNT"
	// senderCPUEnv, if set, is the CPU the sender moves to (Linux).
	senderCPUEnv = "RAWSOCK_BENCH_SENDER_CPU"
	// senderGap is the time between two datagrams: about the gap between
	// the bursts a server forwarding four cameras receives.
	senderGap = 1500 * time.Microsecond
	// senderMaxTime bounds the sender whatever it was asked.
	senderMaxTime = 2 * time.Minute
)

func TestMain(m *testing.M) {
	if to := os.Getenv(senderAddrEnv); to != "" {
		if err := pinSender(os.Getenv(senderCPUEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "sender: cannot move to the CPU asked:", err)
			os.Exit(2)
		}
		os.Exit(sendPaced(to, os.Getenv(senderCountEnv)))
	}
	os.Exit(m.Run())
}

// sendPaced sends count 100-byte datagrams to the loopback address to,
// senderGap apart, and stops early when nobody listens any more.
func sendPaced(to, count string) int {
	n, err := strconv.Atoi(count)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender: bad count:", err)
		return 2
	}
	addr, err := net.ResolveUDPAddr("udp", to)
	if err != nil || !addr.IP.IsLoopback() {
		fmt.Fprintln(os.Stderr, "sender: not a loopback address:", to)
		return 2
	}
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 1
	}
	defer c.Close()
	buf := make([]byte, 100)
	deadline := time.Now().Add(senderMaxTime)
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		if _, err := c.Write(buf); err != nil {
			return 0 // the reader is gone (port unreachable)
		}
		time.Sleep(senderGap)
	}
	return 0
}

// BenchmarkWokenRead: one op is one datagram read by a goroutine that was
// parked waiting for it, the reader's process being otherwise idle: what
// each packet costs a quiet server before any work on it. cpu-µs/read is
// the process' CPU per datagram, every thread included. "net" reads with
// the net package, whose system call wakes the runtime's monitor thread
// (sysmon) after each idle spell; "rawsock" with a Socket, which does not
// (rawsock.go). For a one-core server's figure, pin the reader to one
// core and the sender to another:
//
//	RAWSOCK_BENCH_SENDER_CPU=1 taskset -c 0 go test -run '^$' -bench WokenRead ./sfu/rawsock/
func BenchmarkWokenRead(b *testing.B) {
	variants := []struct {
		name string
		read func(c *net.UDPConn) (func(buf []byte) error, error)
	}{
		{"net", func(c *net.UDPConn) (func([]byte) error, error) {
			return func(buf []byte) error { _, _, err := c.ReadFromUDPAddrPort(buf); return err }, nil
		}},
		{"rawsock", func(c *net.UDPConn) (func([]byte) error, error) {
			s, err := New(c)
			if err != nil {
				return nil, err
			}
			return func(buf []byte) error { _, _, err := s.ReadFrom(buf); return err }, nil
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			read, err := v.read(c)
			if err != nil {
				b.Fatal(err)
			}
			const warmup = 50
			sender := exec.Command(os.Args[0], "-test.run=^$")
			sender.Env = append(os.Environ(),
				senderAddrEnv+"="+c.LocalAddr().String(),
				senderCountEnv+"="+strconv.Itoa(warmup+b.N))
			sender.Stderr = os.Stderr
			if err := sender.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = sender.Process.Kill(); _ = sender.Wait() }()
			buf := make([]byte, 1500)
			_ = c.SetReadDeadline(time.Now().Add(senderMaxTime))
			for range warmup {
				if err := read(buf); err != nil {
					b.Fatal(err)
				}
			}
			cpu := sfutest.ProcessCPU()
			b.ResetTimer()
			for range b.N {
				if err := read(buf); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(sfutest.ProcessCPU()-cpu)/float64(b.N)/1e3, "cpu-µs/read")
		})
	}
}
