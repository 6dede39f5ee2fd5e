package sfu_test

import (
	"crypto/rand"
	"net"
	"net/netip"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/plenum-meet/plenum/sfu"
)

// ownSRTP is the "own-srtp" variant of BenchmarkDownPath: below the
// SFU's interceptors, each copy is encrypted with an srtp.Context of
// its connection and queued straight on the batched socket, skipping
// pion's SRTP session, mux and ICE layers. That is what the SFU would
// pay per copy if pion let it reach each connection's SRTP keys, which
// it does not (docs/performance.md, ninth pass). The keys are random,
// and the copies go to sockets of the variant's own that never read,
// one per connection: like the sinks, they measure the sending side
// alone.
var ownSRTP = &ownSRTPFactory{}

// addrPortWriter is the batched socket's allocation-free write.
type addrPortWriter interface {
	WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

type ownSRTPFactory struct {
	mu   sync.Mutex
	conn addrPortWriter // the batched socket of the current benchmark
}

// batched wraps the server's socket as the SFU does and keeps it for
// the interceptors made next.
func (f *ownSRTPFactory) batched(c *net.UDPConn) (net.PacketConn, sfu.BenchSends) {
	pc, sends := sfu.NewBatchConnForBench(c)
	f.mu.Lock()
	f.conn = pc.(addrPortWriter)
	f.mu.Unlock()
	return pc, sends
}

// NewInterceptor makes one connection's SRTP context and the socket
// its copies go to.
func (f *ownSRTPFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	key, salt := make([]byte, 16), make([]byte, 12)
	_, _ = rand.Read(key)
	_, _ = rand.Read(salt)
	ctx, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes128Gcm)
	if err != nil {
		return nil, err
	}
	hole, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	_ = hole.SetReadBuffer(64 << 10) // as the sinks'
	f.mu.Lock()
	conn := f.conn
	f.mu.Unlock()
	return &ownSRTPInterceptor{ctx: ctx, conn: conn, hole: hole, to: hole.LocalAddr().(*net.UDPAddr).AddrPort(), buf: make([]byte, 1600)}, nil
}

// ownSRTPInterceptor encrypts and sends every local stream's packets
// itself; pion's writer below it is never called.
type ownSRTPInterceptor struct {
	interceptor.NoOp
	mu   sync.Mutex // the context and buf: copies may come from several goroutines
	ctx  *srtp.Context
	hdr  rtp.Header
	buf  []byte
	conn addrPortWriter
	hole *net.UDPConn
	to   netip.AddrPort
}

// BindLocalStream returns the writer that replaces pion's.
func (o *ownSRTPInterceptor) BindLocalStream(_ *interceptor.StreamInfo, _ interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		n, err := h.MarshalTo(o.buf)
		if err != nil {
			return 0, err
		}
		n += copy(o.buf[n:], payload)
		out, err := o.ctx.EncryptRTP(o.buf[:0], o.buf[:n], &o.hdr)
		if err != nil {
			return 0, err
		}
		return o.conn.WriteToAddrPort(out, o.to)
	})
}

// Close closes the connection's socket.
func (o *ownSRTPInterceptor) Close() error { return o.hole.Close() }
