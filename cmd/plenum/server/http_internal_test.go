package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

func TestAClientThatNeverReadsIsLetGo(t *testing.T) {
	old := writeTimeout
	writeTimeout = 300 * time.Millisecond
	t.Cleanup(func() { writeTimeout = old })

	failed := make(chan error, 1)
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hs := s.httpServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 1024 { // 64 MB: more than any socket buffer holds
			if _, err := w.Write(chunk); err != nil {
				failed <- err
				return
			}
		}
		failed <- nil
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
	}}
	conn, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("64 MB written to a client that reads nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server still writes to a client that has read nothing for 10 s")
	}
}

// onlyAddr is a listener that has only an address.
type onlyAddr struct {
	net.Listener
	addr net.Addr
}

func (l onlyAddr) Addr() net.Addr { return l.addr }

func TestTheRedirectToHTTPSKeepsOnePairOfBracketsAroundAnIPv6Address(t *testing.T) {
	s := &Server{listener: onlyAddr{addr: &net.TCPAddr{IP: net.IPv6loopback, Port: 8443}}}
	h := s.redirectHandler()
	for _, host := range []string{"[2001:db8::1]", "[2001:db8::1]:80"} {
		r := httptest.NewRequest(http.MethodGet, "http://x/room?a=1", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got, want := w.Header().Get("Location"), "https://[2001:db8::1]:8443/room?a=1"; got != want {
			t.Errorf("Host %s: redirected to %q, want %q", host, got, want)
		}
	}
}
