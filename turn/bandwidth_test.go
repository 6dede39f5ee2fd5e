package turn

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// relayFlow is one user's relayed traffic in one direction: send puts a
// datagram on its way, from receives it at the other end.
type relayFlow struct {
	send     func([]byte) error
	from     net.PacketConn
	received atomic.Int64
}

// count reads what arrives until stop is closed.
func (f *relayFlow) count(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, 2048)
	for {
		_ = f.from.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, _, err := f.from.ReadFrom(buf)
		if err == nil {
			f.received.Add(int64(n))

			continue
		}
		select {
		case <-stop:
			return
		default:
		}
		if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
			return
		}
	}
}

// relayFlowOf makes id's allocation over network and its peer, with a
// permission for the peer; toClient says which way the data goes.
func relayFlowOf(t *testing.T, s *Server, network, id string, toClient bool) *relayFlow {
	t.Helper()
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peer.Close() })
	_ = peer.SetReadBuffer(4 << 20)
	c := dialTURN(t, s, network, id)
	if err := c.client.CreatePermission(peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if toClient {
		relayed := c.relay.LocalAddr()

		return &relayFlow{from: c.relay, send: func(p []byte) error { _, err := peer.WriteTo(p, relayed); return err }}
	}

	return &relayFlow{from: peer, send: func(p []byte) error { _, err := c.relay.WriteTo(p, peer.LocalAddr()); return err }}
}

// sendPaced sends a datagram of size bytes every interval for d, and
// returns the bytes sent.
func sendPaced(t *testing.T, f *relayFlow, size int, interval, d time.Duration) int64 {
	t.Helper()
	payload := make([]byte, size)
	var sent int64
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(interval) {
		if err := f.send(payload); err != nil {
			t.Errorf("send: %v", err)

			return sent
		}
		sent += int64(size)
	}

	return sent
}

// One participant flooding the relay cannot keep another from relaying
// within her share of --turn-bandwidth-max: Ana, relaying a quarter of
// the cap, gets it all through while Mallory tries ten times the cap;
// Mallory still has what Ana leaves, and the two stay under the cap.
func TestAFloodingUserLeavesOthersTheirShareOfTheRelayBandwidth(t *testing.T) {
	const (
		capacity = 200_000 // bytes per second
		size     = 1000
		d        = 2 * time.Second
	)
	for _, tc := range []struct {
		name     string
		network  string
		toClient bool
	}{
		{"to peers over UDP", "udp", false},
		{"to clients over UDP", "udp", true},
		{"to clients over TCP", "tcp", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) {
				c.AllowPeers = []netip.Prefix{loopbackNet}
				c.RelayBytesPerSecond = capacity
			})
			ana := relayFlowOf(t, s, tc.network, "ana", tc.toClient)
			mallory := relayFlowOf(t, s, tc.network, "mallory", tc.toClient)

			stop := make(chan struct{})
			var readers, senders sync.WaitGroup
			readers.Add(2)
			go ana.count(stop, &readers)
			go mallory.count(stop, &readers)
			senders.Add(1)
			go func() {
				defer senders.Done()
				// Two datagrams a millisecond: ten times the cap.
				sendPaced(t, mallory, size, time.Millisecond/2, d)
			}()
			start := time.Now()
			anaSent := sendPaced(t, ana, size, 20*time.Millisecond, d) // a quarter of the cap
			senders.Wait()
			time.Sleep(200 * time.Millisecond) // the last ones arrive
			close(stop)
			readers.Wait()
			elapsed := time.Since(start)

			anaGot, malloryGot := ana.received.Load(), mallory.received.Load()
			bound := int64(burstFor(capacity)) + int64(capacity*elapsed.Seconds()) + 2*size
			t.Logf("Ana sent %d B, received %d B; Mallory received %d B; bound %d B in %v; dropped %d B",
				anaSent, anaGot, malloryGot, bound, elapsed.Round(time.Millisecond), s.RelayDroppedBytes())
			if anaGot < anaSent*9/10 {
				t.Errorf("Ana got %d B of her %d B through, a quarter of the cap, while Mallory flooded", anaGot, anaSent)
			}
			if malloryGot < int64(capacity*d.Seconds())/4 {
				t.Errorf("Mallory got only %d B through: what Ana left was not used", malloryGot)
			}
			if anaGot+malloryGot > bound {
				t.Errorf("%d B relayed in all, more than the cap allows (%d B)", anaGot+malloryGot, bound)
			}
		})
	}
}

// The budget is asked for every relayed datagram: it must not allocate,
// whether the datagram is within its user's share, borrows, or is
// dropped, and whoever is relaying.
func TestTheRelayBudgetAllocatesNothingPerDatagram(t *testing.T) {
	b := newBandwidth(1 << 20)
	client := &net.UDPAddr{IP: loopback4, Port: 40000}
	b.addClient(client, "ana")
	mallory := b.user("mallory")
	key := udpClientKey(client)
	if allocs := testing.AllocsPerRun(2000, func() {
		b.allow(mallory, 1200)
		b.allowToClient(key, 1200)
	}); allocs != 0 {
		t.Fatalf("%v allocations per datagram pair", allocs)
	}
	if b.dropped.Load() == 0 {
		t.Fatal("nothing was dropped: the budget was never used up")
	}
	b.release("mallory")
	b.removeClient(client, "ana")
	if len(b.users) != 0 || len(b.clients) != 0 {
		t.Fatalf("released budget still holds %d users, %d clients", len(b.users), len(b.clients))
	}
}
