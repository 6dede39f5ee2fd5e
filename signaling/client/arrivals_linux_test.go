package client

import (
	"encoding/binary"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A run of datagrams sent as one segmented send (UDP GSO), as Plenum's
// media port sends a subscriber's share of a video frame, is read whole
// and handed out datagram by datagram, each noted as arrived.
func TestACoalescedReadGivesItsDatagramsOneByOne(t *testing.T) {
	a, rx, tx := arrivalPair(t)
	if rx.coalesced == nil {
		t.Skip("this kernel does not coalesce UDP reads")
	}

	// Three RTP datagrams of 40, 40 and 30 bytes, in one send cut at 40.
	var run []byte
	for seq := range uint16(3) {
		d := rtpDatagram(111, seq, 77)
		if seq == 2 {
			d = d[:30]
		}
		run = append(run, d...)
	}
	cmsg := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&cmsg[0]))
	h.Level, h.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(cmsg[unix.CmsgLen(0):], 40)
	if _, _, err := tx.WriteMsgUDP(run, cmsg, nil); err != nil {
		t.Skipf("this kernel does not segment UDP sends: %v", err)
	}

	buf := make([]byte, 1500)
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	for seq, want := range []int{40, 40, 30} {
		got, from, err := rx.ReadFrom(buf)
		if err != nil || got != want || from.String() != tx.LocalAddr().String() {
			t.Fatalf("datagram %d: read %d bytes from %v (%v), want %d from %v", seq, got, from, err, want, tx.LocalAddr())
		}
		if s := binary.BigEndian.Uint16(buf[2:]); s != uint16(seq) {
			t.Fatalf("datagram %d has sequence number %d", seq, s)
		}
		if seq == 0 && len(rx.rest) != 70 {
			t.Errorf("after the first datagram, %d bytes of the run are left, want 70: the read was not coalesced", len(rx.rest))
		}
		if _, ok := a.take(77, uint16(seq)); !ok {
			t.Errorf("no arrival noted for datagram %d", seq)
		}
	}
}
