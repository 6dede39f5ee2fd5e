package sfu_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

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
