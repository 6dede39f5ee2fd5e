package rawsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// streamPair accepts one connection on a Listener from a plain client.
func streamPair(t *testing.T) (net.Conn, *net.TCPConn) {
	t.Helper()
	ln, err := ListenTCP("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := server.(*StreamConn); !ok {
		t.Fatalf("accepted a %T", server)
	}
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	_ = server.SetDeadline(time.Now().Add(20 * time.Second))
	_ = client.SetDeadline(time.Now().Add(20 * time.Second))
	return server, client
}

func TestAStreamCarriesEveryByteInOrderBothWays(t *testing.T) {
	server, client := streamPair(t)
	// More than the socket buffers hold: writes must wait and go on.
	big := make([]byte, 8<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(client, int64(len(big))))
		got <- b
	}()
	if n, err := server.Write(big); err != nil || n != len(big) {
		t.Fatalf("wrote %d of %d: %v", n, len(big), err)
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("received %d bytes, not what was sent", len(b))
	}
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q: %v", buf, err)
	}
	if n, err := server.Read(nil); n != 0 || err != nil {
		t.Fatalf("an empty read gave %d, %v", n, err)
	}
	_ = client.Close()
	if _, err := server.Read(buf); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
	// Writing to a closed peer fails (EPIPE or a reset), and the process
	// gets no SIGPIPE.
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = server.Write(big[:64<<10])
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a closed peer went on succeeding")
	}
}

func TestAStreamReadEndsAtItsDeadlineAndAtClose(t *testing.T) {
	server, _ := streamPair(t)
	buf := make([]byte, 10)
	readEndsAtDeadlineAndAtClose(t, server, func() error {
		_, err := server.Read(buf)
		return err
	})
	if _, err := server.Read(nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("an empty read after close: %v, want net.ErrClosed", err)
	}
}

func TestAStreamWriteStopsAtItsDeadlineSayingHowMuchWent(t *testing.T) {
	server, _ := streamPair(t) // the client never reads
	_ = server.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	big := make([]byte, 64<<20)
	n, err := server.Write(big)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || n == 0 || n >= len(big) {
		t.Fatalf("wrote %d of %d: %v; want a part of it and a timeout", n, len(big), err)
	}
}
