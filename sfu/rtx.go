package sfu

import (
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"

	"github.com/pion/rtp"
)

// rtxHeaderSize is what RTX (RFC 4588) puts in front of a resent
// payload: the original sequence number.
const rtxHeaderSize = 2

// rtxStream is the RTX stream of one video down track: retransmissions
// travel on it, numbered on their own, when the subscriber negotiated
// RTX (retransmit.go).
type rtxStream struct {
	ssrc        uint32
	payloadType uint8
	seq         atomic.Uint32 // the next sequence number, modulo 2^16
}

func newRTXStream(ssrc uint32, payloadType uint8) *rtxStream {
	s := &rtxStream{ssrc: ssrc, payloadType: payloadType}
	s.seq.Store(rand.Uint32N(1 << 16)) //nolint:gosec // RFC 3550's random start, not a secret
	return s
}

// wrap turns a media packet into its retransmission on the RTX stream,
// in place: the RTX SSRC, payload type and next sequence number in the
// header, timestamp and marker kept, and the original sequence number in
// front of the payload, which must have rtxHeaderSize bytes of capacity
// to spare. Padding is dropped: it is not media and RTX does not carry
// it.
func (s *rtxStream) wrap(h *rtp.Header, payload []byte) []byte {
	if h.Padding {
		if pad := int(h.PaddingSize); pad > 0 && pad <= len(payload) {
			payload = payload[:len(payload)-pad]
		} else if len(payload) > 0 && int(payload[len(payload)-1]) <= len(payload) {
			payload = payload[:len(payload)-int(payload[len(payload)-1])]
		}
		h.Padding, h.PaddingSize = false, 0
	}
	osn := h.SequenceNumber
	n := len(payload)
	payload = payload[:n+rtxHeaderSize]
	copy(payload[rtxHeaderSize:], payload[:n])
	binary.BigEndian.PutUint16(payload, osn)
	h.SSRC = s.ssrc
	h.PayloadType = s.payloadType
	h.SequenceNumber = uint16(s.seq.Add(1) - 1) //nolint:gosec // modulo 2^16 on purpose
	return payload
}

// numberPadding makes h, a padding-only packet written by the down track
// on this stream (its bandwidth probes), the stream's next packet.
// Padding on the RTX stream leaves the media's sequence numbers alone,
// which is why libwebrtc pads there too.
func (s *rtxStream) numberPadding(h *rtp.Header) {
	h.PayloadType = s.payloadType
	h.SequenceNumber = uint16(s.seq.Add(1) - 1) //nolint:gosec // modulo 2^16 on purpose
}
