package sfu

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Sender reports (RFC 3550 6.4.1) for the streams the SFU sends: what a
// subscriber needs to play a publisher's audio and video in sync, and
// the packet and octet counts of its statistics. They replace pion's
// report.SenderInterceptor, which takes a lock and reads the wall clock
// for every packet forwarded. Here a packet costs two atomic additions
// and a comparison; the clock (monotonic only) is read once per frame,
// at the first packet of a new RTP timestamp, as pion's does too so that
// a frame's fan-out does not drift the mapping.

// senderReportInterval is how often each stream's report is sent.
const senderReportInterval = time.Second

// frameTimeUnit is the resolution of a frame's send time (see
// sentStream.frame): 32 bits of it last about five days, which is how
// long a stream may send nothing and still report a correct mapping.
const frameTimeUnit = 100 * time.Microsecond

// senderReportFactory makes one senderReporter per peer connection.
type senderReportFactory struct{}

// NewInterceptor is called by pion for each new peer connection.
func (senderReportFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return newSenderReporter(senderReportInterval), nil
}

// senderReporter counts what one connection's streams send and sends
// their reports.
type senderReporter struct {
	interceptor.NoOp
	interval time.Duration
	// start anchors the streams' frame times: wall clock and monotonic.
	start time.Time

	mu      sync.Mutex
	streams map[uint32]*sentStream
	started bool

	done chan struct{} // closed by Close: the report loop ends
	loop sync.WaitGroup
}

func newSenderReporter(interval time.Duration) *senderReporter {
	return &senderReporter{interval: interval, start: time.Now(), streams: map[uint32]*sentStream{}, done: make(chan struct{})}
}

// sentStream is one stream's counts since it started and the RTP
// timestamp of its newest frame with that frame's send time.
type sentStream struct {
	ssrc      uint32
	clockRate uint32
	packets   atomic.Uint32 // modulo 2^32, as the report carries it
	octets    atomic.Uint32 // payload octets, modulo 2^32
	// frame is the newest frame's RTP timestamp (high 32 bits) and send
	// time in frameTimeUnit since the reporter's start (modulo 2^32), in
	// one word so that a report never pairs one frame's timestamp with
	// another's time; 0 until the first packet.
	frame atomic.Uint64
}

// BindLocalStream counts the stream's packets.
func (s *senderReporter) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	st := &sentStream{ssrc: info.SSRC, clockRate: info.ClockRate}
	s.mu.Lock()
	s.streams[info.SSRC] = st
	s.mu.Unlock()
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		st.count(h, len(payload), s.start)
		return writer.Write(h, payload, a)
	})
}

// count notes one packet sent.
func (st *sentStream) count(h *rtp.Header, payloadLen int, start time.Time) {
	if h.SSRC != st.ssrc || payloadLen == 0 {
		return // probe padding, on the RTX stream or this one: not media
	}
	st.packets.Add(1)
	st.octets.Add(uint32(payloadLen)) //nolint:gosec // modulo 2^32 on purpose
	f := st.frame.Load()
	// Only a newer timestamp starts a frame: a late packet of an older
	// one (reordered upstream) leaves the mapping alone.
	if f != 0 && int32(h.Timestamp-uint32(f>>32)) <= 0 { //nolint:gosec // modulo 2^32
		return
	}
	units := uint32(time.Since(start) / frameTimeUnit) //nolint:gosec // modulo 2^32 on purpose
	next := uint64(h.Timestamp)<<32 | uint64(units)
	if next == 0 {
		next = 1 // 0 means "nothing sent yet"; 100 µs off once in a while
	}
	// Two writers of one stream (a layer switch) may race here: either
	// frame is a true mapping.
	st.frame.CompareAndSwap(f, next)
}

// report is the stream's sender report at now, or nil before its first
// packet (RFC 3550 6.4: such a source sends none).
func (st *sentStream) report(now time.Time, start time.Time) *rtcp.SenderReport {
	f := st.frame.Load()
	if f == 0 {
		return nil
	}
	// The frame's send time, recovered from its 32 bits on the
	// assumption that it is less than 2^32 units old, or stamped after
	// now: the report loop reads the clock once for all its streams,
	// and a forwarding goroutine may send a frame meanwhile. Read as
	// 2^32 units old, that one put the report's RTP time hours off (on
	// 48 kHz audio; a 90 kHz clock happens to wrap back to the truth).
	nowUnits := uint32(now.Sub(start) / frameTimeUnit) //nolint:gosec // modulo 2^32
	units := nowUnits - uint32(f)                      //nolint:gosec // modulo 2^32
	age := time.Duration(units) * frameTimeUnit
	if back := int32(units); back < 0 && back > -int32(time.Minute/frameTimeUnit) { //nolint:gosec // modulo 2^32
		age = time.Duration(back) * frameTimeUnit
	}
	ticks := math.Round(age.Seconds() * float64(st.clockRate))
	return &rtcp.SenderReport{
		SSRC:        st.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     uint32(f>>32) + uint32(int64(ticks)), //nolint:gosec // modulo 2^32 on purpose
		PacketCount: st.packets.Load(),
		OctetCount:  st.octets.Load(),
	}
}

// UnbindLocalStream forgets a stream.
func (s *senderReporter) UnbindLocalStream(info *interceptor.StreamInfo) {
	s.mu.Lock()
	delete(s.streams, info.SSRC)
	s.mu.Unlock()
}

// BindRTCPWriter starts the report loop, once per connection.
func (s *senderReporter) BindRTCPWriter(writer interceptor.RTCPWriter) interceptor.RTCPWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return writer
	default:
	}
	if !s.started {
		s.started = true
		s.loop.Add(1)
		go s.run(writer)
	}
	return writer
}

// run sends every stream's report each interval until Close.
func (s *senderReporter) run(writer interceptor.RTCPWriter) {
	defer s.loop.Done()
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	var streams []*sentStream
	for {
		select {
		case <-s.done:
			return
		case <-ticker.C:
		}
		streams = streams[:0]
		s.mu.Lock()
		for _, st := range s.streams {
			streams = append(streams, st)
		}
		s.mu.Unlock()
		now := time.Now()
		for _, st := range streams {
			if sr := st.report(now, s.start); sr != nil {
				_, _ = writer.Write([]rtcp.Packet{sr}, interceptor.Attributes{})
			}
		}
	}
}

// Close stops the report loop.
func (s *senderReporter) Close() error {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.loop.Wait()
	return nil
}

// ntpEpochOffset is the seconds from 1900 (NTP's epoch) to 1970.
const ntpEpochOffset = 2208988800

// ntpTime is t as a 64-bit NTP timestamp: seconds since 1900 and their
// fraction in 2^-32 s.
func ntpTime(t time.Time) uint64 {
	ns := t.UnixNano()
	secs := uint64(ns/1e9) + ntpEpochOffset //nolint:gosec // after 1970
	frac := (uint64(ns%1e9) << 32) / 1e9    //nolint:gosec // positive
	return secs<<32 | frac
}
