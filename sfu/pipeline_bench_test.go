package sfu_test

// Benchmarks of what one forwarded copy costs below the SFU's own code:
// pion's interceptors, SRTP and the UDP socket, with real peer
// connections on loopback. Each down connection is built as the SFU
// builds its own (one shared UDP mux, the same interceptors), writing to
// "sink" subscribers that stop reading their socket once connected, so
// that only the sending side is measured. Variants take one stage away
// at a time to show what each costs; BenchmarkUDPSend and
// BenchmarkSRTPEncrypt measure the socket and the cipher alone.
//
//	go test -run '^$' -bench 'DownPath|UDPSend|SRTPEncrypt' -benchmem ./sfu/
//
// The SFU's own work (fan-out, rewrite) is BenchmarkFanOut; the whole
// server under load, with its CPU per forwarded packet, is plenum bench.

import (
	"crypto/rand"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/transport/v5/udp"
	"github.com/pion/webrtc/v4"
	"golang.org/x/net/ipv4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/sfutest"
)

// downPathSubscribers is how many down connections a packet is copied to.
const downPathSubscribers = 20

// downPathPayload is a typical video packet's payload.
const downPathPayload = 1000

// batchInterval bounds how long a batched write waits for company.
const batchInterval = 200 * time.Microsecond

// pionBatched wraps the server's socket in pion/transport's batch conn:
// writes are queued and sent 32 at a time with sendmmsg(2), or after
// batchInterval.
func pionBatched(c *net.UDPConn) (net.PacketConn, sfu.BenchSends) {
	return udp.NewBatchConn(c, 32, batchInterval), nil
}

// batched wraps the server's socket as the SFU does (sfu/batchconn.go):
// queued writes go out with one sendmmsg(2) at the end of each fan-out.
func batched(c *net.UDPConn) (net.PacketConn, sfu.BenchSends) { return sfu.NewBatchConnForBench(c) }

// downPathVariants are interceptor sets for the down connections: the
// SFU's (sfu/codecs.go and sfu/bandwidth.go at the time of writing),
// then the same with one stage changed.
var downPathVariants = []struct {
	name     string
	register func(*webrtc.MediaEngine, *interceptor.Registry) error
	// wrap, if set, wraps the server's UDP socket and returns its hold and
	// release (nil if it has none), around each packet's fan-out.
	wrap func(*net.UDPConn) (net.PacketConn, sfu.BenchSends)
}{
	// What the SFU does: batched sends flushed per fan-out, its own
	// retransmission cache sized to the round trip (sfu/retransmit.go)
	// and its own estimator (sfu/estimator.go).
	{"sfu", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return sfu.RegisterInterceptorsForBench(me, reg)
	}, batched},
	// The same with pion's NACK responder (256 packets per down track).
	{"pion-nack-256", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPathWith(me, reg, true, 256, sfu.RegisterEstimatorForBench)
	}, batched},
	// The same with pion's GCC, as before sfu/estimator.go.
	{"gcc", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, true, true, 256)
	}, batched},
	// pion's GCC, one system call per copy (the SFU before batching).
	{"sendto", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, true, true, 256)
	}, nil},
	{"nack-cache-1024", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, true, true, 0)
	}, nil},
	{"no-nack-cache", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, false, true, 0)
	}, nil},
	{"gcc-attributes-pool", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPathPacer(me, reg, newPoolingPacer())
	}, nil},
	// pion/transport's batch conn under the UDP mux instead of the SFU's.
	{"pion-batchconn", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, true, true, 256)
	}, pionBatched},
	{"no-gcc", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, true, false, 0)
	}, nil},
	{"srtp-only", func(*webrtc.MediaEngine, *interceptor.Registry) error { return nil }, nil},
	// What is left with batched writes and neither pion's estimator nor
	// its per-track NACK cache (an SFU would keep one cache per up track).
	{"sendmmsg-no-gcc-no-nack-cache", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		return registerDownPath(me, reg, false, false, 0)
	}, batched},
	{"sendmmsg-srtp-only", func(*webrtc.MediaEngine, *interceptor.Registry) error { return nil }, batched},
	// The SFU's interceptors with the SFU's own SRTP below them, on the
	// batched socket: what pion's SRTP session, mux and ICE cost above
	// the cipher and the socket (ownSRTP).
	{"own-srtp", func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		reg.Add(ownSRTP) // first: the innermost, below the SFU's
		return sfu.RegisterInterceptorsForBench(me, reg)
	}, ownSRTP.batched},
}

// registerDownPath registers the SFU's interceptors: NACK generator and
// responder (cache of nackCache packets, pion's 1024 if 0), RTCP
// reports, TWCC feedback, and with gcc a send-side estimator with
// transport-wide sequence numbers on every packet.
func registerDownPath(me *webrtc.MediaEngine, reg *interceptor.Registry, nackCache, withGCC bool, cacheSize uint16) error {
	var estimate func(*webrtc.MediaEngine, *interceptor.Registry) error
	if withGCC {
		estimate = gccEstimator(gcc.NewNoOpPacer())
	}
	return registerDownPathWith(me, reg, nackCache, cacheSize, estimate)
}

// registerDownPathPacer is the set with pion's GCC and another pacer.
func registerDownPathPacer(me *webrtc.MediaEngine, reg *interceptor.Registry, pacer gcc.Pacer) error {
	return registerDownPathWith(me, reg, true, 0, gccEstimator(pacer))
}

// gccEstimator registers pion's GCC with transport-wide sequence numbers.
func gccEstimator(pacer gcc.Pacer) func(*webrtc.MediaEngine, *interceptor.Registry) error {
	return func(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
		factory, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
			return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(1_500_000), gcc.SendSideBWEPacer(pacer))
		})
		if err != nil {
			return err
		}
		reg.Add(factory)
		return webrtc.ConfigureTWCCHeaderExtensionSender(me, reg)
	}
}

// registerDownPathWith registers the NACK interceptors (a responder
// cache of cacheSize packets, pion's 1024 if 0, or no responder),
// reports, TWCC feedback and, if given, a send-side estimator.
func registerDownPathWith(me *webrtc.MediaEngine, reg *interceptor.Registry, nackCache bool, cacheSize uint16, estimate func(*webrtc.MediaEngine, *interceptor.Registry) error) error {
	if nackCache {
		var opts []nack.ResponderOption
		if cacheSize != 0 {
			opts = append(opts, nack.ResponderSize(cacheSize))
		}
		if err := webrtc.ConfigureNackWithOptions(me, reg, nil, opts...); err != nil {
			return err
		}
	} else {
		gen, err := nack.NewGeneratorInterceptor()
		if err != nil {
			return err
		}
		reg.Add(gen)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return err
	}
	if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
		return err
	}
	if estimate == nil {
		return nil
	}
	return estimate(me, reg)
}

// poolingPacer sends every packet at once, as the SFU's passPacer does,
// and hands the estimator a pooled attributes map: pion passes none, so
// its estimator makes one per packet otherwise.
type poolingPacer struct {
	mu      sync.Mutex
	streams atomic.Pointer[map[uint32]interceptor.RTPWriter]
	pool    sync.Pool
}

func newPoolingPacer() *poolingPacer {
	p := &poolingPacer{pool: sync.Pool{New: func() any { return interceptor.Attributes{} }}}
	p.streams.Store(&map[uint32]interceptor.RTPWriter{})
	return p
}

func (p *poolingPacer) AddStream(ssrc uint32, w interceptor.RTPWriter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := map[uint32]interceptor.RTPWriter{ssrc: w}
	for k, v := range *p.streams.Load() {
		next[k] = v
	}
	p.streams.Store(&next)
}

func (p *poolingPacer) Write(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
	w, ok := (*p.streams.Load())[h.SSRC]
	if !ok {
		return 0, fmt.Errorf("unknown SSRC %d", h.SSRC)
	}
	if a == nil {
		m := p.pool.Get().(interceptor.Attributes)
		defer func() { clear(m); p.pool.Put(m) }()
		a = m
	}
	return w.Write(h, payload, a)
}

func (p *poolingPacer) SetTargetBitrate(int) {}
func (p *poolingPacer) Close() error         { return nil }

// sinkConn is a subscriber's socket that stops delivering anything once
// stopped: the kernel then drops what arrives, and the subscriber spends
// nothing on it. Its writes (ICE keepalives) still go out.
type sinkConn struct {
	conn    *net.UDPConn
	stopped chan struct{}
	once    sync.Once
	closed  chan struct{}
	cOnce   sync.Once
}

func newSinkConn(tb testing.TB) *sinkConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = c.SetReadBuffer(64 << 10)
	return &sinkConn{conn: c, stopped: make(chan struct{}), closed: make(chan struct{})}
}

func (s *sinkConn) stop() { s.once.Do(func() { close(s.stopped) }) }

func (s *sinkConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case <-s.stopped:
		<-s.closed
		return 0, nil, net.ErrClosed
	default:
	}
	return s.conn.ReadFrom(b)
}

func (s *sinkConn) WriteTo(b []byte, a net.Addr) (int, error) { return s.conn.WriteTo(b, a) }
func (s *sinkConn) Close() error {
	s.cOnce.Do(func() { close(s.closed) })
	return s.conn.Close()
}
func (s *sinkConn) LocalAddr() net.Addr                { return s.conn.LocalAddr() }
func (s *sinkConn) SetDeadline(t time.Time) error      { return s.conn.SetDeadline(t) }
func (s *sinkConn) SetReadDeadline(t time.Time) error  { return s.conn.SetReadDeadline(t) }
func (s *sinkConn) SetWriteDeadline(t time.Time) error { return s.conn.SetWriteDeadline(t) }

func loopbackSettings(mux ice.UDPMux) webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	se.SetICEUDPMux(mux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// The sinks answer nothing once stopped: neither side may give up.
	se.SetICETimeouts(time.Hour, time.Hour, time.Second)
	return se
}

// downPath is n down connections sharing one server socket, each with
// one video track, to n sinks.
type downPath struct {
	tracks  []*webrtc.TrackLocalStaticRTP
	sends   sfu.BenchSends // brackets each fan-out, if the socket batches
	closers []func()
	readers sync.WaitGroup // the RTCP readers, which end with their connections
}

func (d *downPath) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.readers.Wait()
}

func newDownPath(tb testing.TB, n int, register func(*webrtc.MediaEngine, *interceptor.Registry) error, wrap func(*net.UDPConn) (net.PacketConn, sfu.BenchSends)) *downPath {
	tb.Helper()
	return newDownPathOf(tb, n, register, wrap, nil)
}

// newDownPathOf is newDownPath with the tracks newTrack makes (the SFU's
// down tracks, say) instead of pion's static tracks.
func newDownPathOf(tb testing.TB, n int, register func(*webrtc.MediaEngine, *interceptor.Registry) error, wrap func(*net.UDPConn) (net.PacketConn, sfu.BenchSends), newTrack func() webrtc.TrackLocal) *downPath {
	tb.Helper()
	d := &downPath{}
	serverConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = serverConn.SetWriteBuffer(4 << 20)
	var conn net.PacketConn = serverConn
	if wrap != nil {
		conn, d.sends = wrap(serverConn)
	}
	serverMux := webrtc.NewICEUDPMux(nil, conn)
	d.closers = append(d.closers, func() { _ = serverMux.Close() })

	me := &webrtc.MediaEngine{}
	vp8 := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96,
	}
	if err := me.RegisterCodec(vp8, webrtc.RTPCodecTypeVideo); err != nil {
		tb.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := register(me, reg); err != nil {
		tb.Fatal(err)
	}
	serverAPI := webrtc.NewAPI(webrtc.WithSettingEngine(loopbackSettings(serverMux)), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg))

	for i := range n {
		sink := newSinkConn(tb)
		sinkMux := webrtc.NewICEUDPMux(nil, sink)
		sme := &webrtc.MediaEngine{}
		sreg := &interceptor.Registry{}
		if err := sme.RegisterDefaultCodecs(); err != nil {
			tb.Fatal(err)
		}
		if err := webrtc.RegisterDefaultInterceptors(sme, sreg); err != nil {
			tb.Fatal(err)
		}
		if err := webrtc.ConfigureTWCCHeaderExtensionSender(sme, sreg); err != nil {
			tb.Fatal(err)
		}
		sinkAPI := webrtc.NewAPI(webrtc.WithSettingEngine(loopbackSettings(sinkMux)), webrtc.WithMediaEngine(sme), webrtc.WithInterceptorRegistry(sreg))

		pc, err := serverAPI.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			tb.Fatal(err)
		}
		spc, err := sinkAPI.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			tb.Fatal(err)
		}
		d.closers = append(d.closers, func() {
			sink.stop()
			_ = pc.Close()
			_ = spc.Close()
			_ = sinkMux.Close()
			_ = sink.Close()
		})
		var track webrtc.TrackLocal
		if newTrack != nil {
			track = newTrack()
		} else {
			static, err := webrtc.NewTrackLocalStaticRTP(vp8.RTPCodecCapability, "video", fmt.Sprintf("pub%d", i))
			if err != nil {
				tb.Fatal(err)
			}
			d.tracks = append(d.tracks, static)
			track = static
		}
		sender, err := pc.AddTrack(track)
		if err != nil {
			tb.Fatal(err)
		}
		// As the SFU's down tracks do: reading RTCP drives the interceptors.
		d.readers.Go(func() {
			for {
				if _, _, err := sender.ReadRTCP(); err != nil {
					return
				}
			}
		})
		connected := make(chan struct{})
		var once sync.Once
		spc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				once.Do(func() { close(connected) })
			}
		})
		if err := signalPair(pc, spc); err != nil {
			tb.Fatal(err)
		}
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			tb.Fatalf("sink %d did not connect", i)
		}
		// Let DTLS and SRTP settle on the server side too.
		deadline := time.Now().Add(10 * time.Second)
		for pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			if time.Now().After(deadline) {
				tb.Fatalf("down connection %d did not connect", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		sink.stop()
	}
	return d
}

// signalPair offers from pc and answers from spc, with every candidate
// in the descriptions.
func signalPair(pc, spc *webrtc.PeerConnection) error {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	if err := spc.SetRemoteDescription(*pc.LocalDescription()); err != nil {
		return err
	}
	answer, err := spc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	sgathered := webrtc.GatheringCompletePromise(spc)
	if err := spc.SetLocalDescription(answer); err != nil {
		return err
	}
	<-sgathered
	return pc.SetRemoteDescription(*spc.LocalDescription())
}

// BenchmarkDownPath: one op is one packet copied to 20 subscribers
// through pion (interceptors, SRTP, the shared UDP socket). ns/copy is
// the wall time of one forwarded copy below the SFU's own code;
// cpu-ns/copy the process' CPU time for it (the better figure: batched
// writes go out on another goroutine, and the machine may be shared);
// heap-KB/track what each down track holds once its caches are full.
func BenchmarkDownPath(b *testing.B) {
	for _, v := range downPathVariants {
		b.Run(v.name, func(b *testing.B) {
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			d := newDownPath(b, downPathSubscribers, v.register, v.wrap)
			defer d.close()
			pkt := &rtp.Packet{
				// Room for the transport-wide sequence number, as the
				// SFU's down tracks leave (DownTrack.writeRTP): without
				// it, each copy allocates its extension.
				Header:  rtp.Header{Version: 2, PayloadType: 96, Timestamp: 1, Extensions: make([]rtp.Extension, 0, 4)},
				Payload: make([]byte, downPathPayload),
			}
			write := func() {
				pkt.SequenceNumber++
				pkt.Timestamp += 3000
				if d.sends != nil {
					d.sends.Hold()
				}
				for _, t := range d.tracks {
					if err := t.WriteRTP(pkt); err != nil {
						b.Fatal(err)
					}
				}
				if d.sends != nil {
					d.sends.Release()
				}
			}
			// Fill the NACK caches (pion's default holds 1024 packets),
			// then count what the down tracks hold.
			for range 1100 {
				write()
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			perTrack := (float64(after.HeapInuse) - float64(before.HeapInuse)) / float64(len(d.tracks)) / 1024
			b.ReportAllocs()
			b.SetBytes(downPathPayload * downPathSubscribers)
			cpu := sfutest.ProcessCPU()
			b.ResetTimer()
			for b.Loop() {
				write()
			}
			b.StopTimer()
			// Batched writes leave the last batch to a timer: let it go
			// out, so that its CPU time counts too.
			time.Sleep(2 * batchInterval)
			copies := float64(b.N) * downPathSubscribers
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/copies, "ns/copy")
			b.ReportMetric(float64(sfutest.ProcessCPU()-cpu)/copies, "cpu-ns/copy")
			b.ReportMetric(perTrack, "heap-KB/track")
		})
	}
}

// BenchmarkUDPSend: one op is one 1000-byte packet to each of 20
// loopback sockets, one sendto(2) each, or all 20 in one sendmmsg(2)
// (what pion/transport's batch conn or x/net's WriteBatch do).
func BenchmarkUDPSend(b *testing.B) {
	const receivers = 20
	setup := func(b *testing.B) (*net.UDPConn, []*net.UDPAddr, func()) {
		send, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		_ = send.SetWriteBuffer(4 << 20)
		var addrs []*net.UDPAddr
		var conns []*net.UDPConn
		var wg sync.WaitGroup
		var received atomic.Uint64
		for range receivers {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			_ = c.SetReadBuffer(4 << 20)
			conns = append(conns, c)
			addrs = append(addrs, c.LocalAddr().(*net.UDPAddr))
			wg.Go(func() { // drain, as a subscriber's socket is drained
				buf := make([]byte, 1500)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
					received.Add(1)
				}
			})
		}
		return send, addrs, func() {
			_ = send.Close()
			for _, c := range conns {
				_ = c.Close()
			}
			wg.Wait()
		}
	}
	payload := make([]byte, downPathPayload)
	b.Run("sendto", func(b *testing.B) {
		send, addrs, done := setup(b)
		defer done()
		b.ReportAllocs()
		for b.Loop() {
			for _, a := range addrs {
				if _, err := send.WriteToUDP(payload, a); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/receivers, "ns/packet")
	})
	b.Run("sendmmsg", func(b *testing.B) {
		send, addrs, done := setup(b)
		defer done()
		pc := ipv4.NewPacketConn(send)
		msgs := make([]ipv4.Message, len(addrs))
		for i, a := range addrs {
			msgs[i] = ipv4.Message{Buffers: [][]byte{payload}, Addr: a}
		}
		b.ReportAllocs()
		for b.Loop() {
			for sent := 0; sent < len(msgs); {
				n, err := pc.WriteBatch(msgs[sent:], 0)
				if err != nil {
					b.Fatal(err)
				}
				sent += n
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/receivers, "ns/packet")
	})
}

// BenchmarkSRTPEncrypt: one 1000-byte video packet encrypted with each
// protection profile a browser may negotiate.
func BenchmarkSRTPEncrypt(b *testing.B) {
	for _, p := range []struct {
		name    string
		profile srtp.ProtectionProfile
	}{{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm}, {"AES128_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80}} {
		b.Run(p.name, func(b *testing.B) {
			keyLen, err := p.profile.KeyLen()
			if err != nil {
				b.Fatal(err)
			}
			saltLen, err := p.profile.SaltLen()
			if err != nil {
				b.Fatal(err)
			}
			key, salt := make([]byte, keyLen), make([]byte, saltLen)
			_, _ = rand.Read(key)
			_, _ = rand.Read(salt)
			ctx, err := srtp.CreateContext(key, salt, p.profile)
			if err != nil {
				b.Fatal(err)
			}
			hdr := &rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}
			payload := make([]byte, downPathPayload)
			plain, err := (&rtp.Packet{Header: *hdr, Payload: payload}).Marshal()
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]byte, 0, 1500)
			b.ReportAllocs()
			b.SetBytes(downPathPayload)
			for b.Loop() {
				hdr.SequenceNumber++
				plain[2], plain[3] = byte(hdr.SequenceNumber>>8), byte(hdr.SequenceNumber)
				if dst, err = ctx.EncryptRTP(dst[:0], plain, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
