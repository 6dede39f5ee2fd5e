package client

import (
	"encoding/binary"
	"net"
	"runtime"
	"testing"
	"time"
)

// rtpDatagram is the clear header of an SRTP packet: all Arrivals reads.
func rtpDatagram(pt byte, seq uint16, ssrc uint32) []byte {
	b := make([]byte, 40)
	b[0], b[1] = 0x80, pt
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return b
}

func TestArrivalsRememberRTPOnceAndNothingElse(t *testing.T) {
	a := NewArrivals()
	a.note(rtpDatagram(96, 7, 0xdeadbeef), 1234)
	a.note(rtpDatagram(200, 7, 0xcafe), 1)               // RTCP sender report
	a.note(rtpDatagram(96, 7, 0xcafe)[:11], 1)           // too short for RTP
	a.note(append([]byte{0, 1}, make([]byte, 38)...), 1) // STUN
	// Relayed by TURN in a ChannelData message, with padding after it.
	a.note(append([]byte{0x40, 0x01, 0, 40}, append(rtpDatagram(97, 9, 0xdeadbeef), 0, 0, 0)...), 99)
	// A ChannelData message that says it is longer than it is.
	a.note(append([]byte{0x40, 0x01, 0, 41}, rtpDatagram(97, 10, 0xdeadbeef)...), 98)
	if at, ok := a.take(0xdeadbeef, 7); !ok || at.UnixNano() != 1234 {
		t.Errorf("take = %v, %v; want 1234 ns", at.UnixNano(), ok)
	}
	if _, ok := a.take(0xdeadbeef, 7); ok {
		t.Error("taken twice")
	}
	if at, ok := a.take(0xdeadbeef, 9); !ok || at.UnixNano() != 99 {
		t.Errorf("take = %v, %v; want 99 ns for the relayed packet", at.UnixNano(), ok)
	}
	if _, ok := a.take(0xdeadbeef, 10); ok {
		t.Error("a truncated ChannelData message was noted")
	}
	if _, ok := a.take(0xcafe, 7); ok {
		t.Error("an RTCP packet or a short datagram was noted")
	}
	// A packet of another stream that falls in the same slot replaces
	// the first; neither is mistaken for the other.
	_, slot := arrivalKey(1, 8)
	var seq uint16
	for ; ; seq++ {
		if _, s := arrivalKey(2, seq); s == slot {
			break
		}
	}
	a.note(rtpDatagram(96, 8, 1), 5)
	a.note(rtpDatagram(96, seq, 2), 6)
	if _, ok := a.take(1, 8); ok {
		t.Error("a replaced arrival was taken")
	}
	if at, ok := a.take(2, seq); !ok || at.UnixNano() != 6 {
		t.Errorf("take = %v, %v; want 6 ns", at.UnixNano(), ok)
	}
}

// arrivalPair is a loopback socket of the load generator's, noting in a
// the arrivals of what tx sends it.
func arrivalPair(t *testing.T) (a *Arrivals, rx *arrivalConn, tx *net.UDPConn) {
	t.Helper()
	a = NewArrivals()
	n, err := newArrivalNet(a)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	tx, err = net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Close() })
	return a, c.(*arrivalConn), tx
}

func TestArrivalIsWhenTheKernelReceivedIt(t *testing.T) {
	a, rx, tx := arrivalPair(t)
	// The kernel turns its receive timestamps on a moment after the
	// first socket asks (a deferred static key); until then it stamps a
	// datagram when it is read. So a few tries.
	buf := make([]byte, 1500)
	for try := uint16(0); try < 20; try++ {
		sent := time.Now()
		if _, err := tx.Write(rtpDatagram(111, try, 77)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // a busy receiver reads late
		read := time.Now()
		_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, from, err := rx.ReadFrom(buf)
		if err != nil || got != 40 || from.String() != tx.LocalAddr().String() {
			t.Fatalf("read %d bytes from %v: %v", got, from, err)
		}
		at, ok := a.take(77, try)
		if !ok || at.Before(sent) || at.After(time.Now()) {
			t.Fatalf("arrival %v (%v), sent %v", at, ok, sent)
		}
		if runtime.GOOS != "linux" || at.Before(read) {
			return
		}
	}
	t.Error("every arrival is when it was read, not when the kernel received it")
}
