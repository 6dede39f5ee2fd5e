//go:build linux

package server_test

import (
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestServerSurvivesRunningOutOfFileDescriptors lowers the process's
// descriptor limit until new connections fail with EMFILE, then gives
// the descriptors back: the server must serve again (net/http's accept
// loop backs off on EMFILE instead of ending).
func TestServerSurvivesRunningOutOfFileDescriptors(t *testing.T) {
	srv := start(t)
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	open, _ := os.ReadDir("/proc/self/fd")
	low := orig
	low.Cur = uint64(len(open) + 40)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower the descriptor limit: %v", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)
		}
	}
	defer restore()

	var conns []net.Conn
	exhausted := false
	for range 200 {
		c, err := net.DialTimeout("tcp", srv.Addr().String(), 2*time.Second)
		if err != nil {
			exhausted = true
			break
		}
		conns = append(conns, c)
	}
	// Let the accept loop meet EMFILE too, and back off.
	time.Sleep(500 * time.Millisecond)
	for _, c := range conns {
		_ = c.Close()
	}
	restore()
	if !exhausted {
		t.Fatalf("%d connections opened under a limit of %d descriptors", len(conns), low.Cur)
	}
	t.Logf("descriptors exhausted after %d connections (limit %d)", len(conns), low.Cur)
	waitUntil(t, 20*time.Second, "the page loads again", func() bool {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(srv.URL())
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	c := dial(t, srv, "Ana", false)
	c.Leave()
}
