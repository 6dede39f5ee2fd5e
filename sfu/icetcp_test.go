package sfu_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling/client"
)

// freeTCPPort finds a port that is free on loopback now.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestMediaFlowsOverICETCPWhenUDPIsBlocked(t *testing.T) {
	s := startServerWith(t, func(c *networkConfig) { c.TCPPort = freeTCPPort(t) })
	ana := s.join(t, "council", "Ana") // UDP, as usual

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tcpOnly := client.LoopbackAPI(webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	ben, err := client.Dial(ctx, client.Config{URL: s.wsURL, Room: "council", Name: "Ben", Publish: true, API: tcpOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ben.Close)

	eventually(t, 30*time.Second, "Ben, on TCP only, receives Ana", func() bool { return receives(ben, ana.ID(), 20) })
	eventually(t, 30*time.Second, "Ana receives Ben's media sent over TCP", func() bool { return receives(ana, ben.ID(), 20) })
}

func TestTheServerDialsNoCandidateAClientGives(t *testing.T) {
	s := startServerWith(t, func(c *networkConfig) { c.TCPPort = freeTCPPort(t) })
	ana := s.join(t, "council", "Ana")
	ben := s.join(t, "council", "Ben")
	eventually(t, 30*time.Second, "Ben receives Ana", func() bool { return receives(ben, ana.ID(), 20) })
	eventually(t, 30*time.Second, "Ana receives Ben", func() bool { return receives(ana, ben.ID(), 20) })

	// A service on the server's host, which Ana names as a passive TCP
	// candidate of both her connections.
	service, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer service.Close()
	dialled := make(chan net.Addr, 1)
	go func() {
		for {
			conn, err := service.Accept()
			if err != nil {
				return
			}
			select {
			case dialled <- conn.RemoteAddr():
			default:
			}
			_ = conn.Close()
		}
	}()
	port := service.Addr().(*net.TCPAddr).Port
	for i, pc := range []sfu.PeerRole{sfu.Up, sfu.Down} {
		candidate := fmt.Sprintf("candidate:%d 1 tcp 1518280447 127.0.0.1 %d typ host tcptype passive", i+1, port)
		err := ana.Send(map[string]any{"type": "candidate", "pc": pc,
			"candidate": map[string]any{"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}})
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case from := <-dialled:
		t.Fatalf("the server dialled a client's candidate, from %v", from)
	case <-time.After(3 * time.Second):
	}
	select {
	case <-ana.Done():
		t.Fatalf("Ana's session ended: %v", ana.Err())
	default:
	}
}
