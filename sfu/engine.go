package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu/pionlog"
	"github.com/plenum-meet/plenum/sfu/rawsock"
)

// ICE timeouts for the server's peer connections. A peer that stops
// answering is "disconnected" after iceDisconnectedTimeout and "failed",
// and so kept only for the resume grace (resume.go), after iceFailedTimeout.
const (
	iceDisconnectedTimeout = 4 * time.Second
	iceFailedTimeout       = 10 * time.Second
	iceKeepaliveInterval   = 2 * time.Second
)

// iceMaxBindingRequests is how many connectivity checks the server sends
// on a candidate pair before giving it up: as many as pion's 200 ms
// check interval (pion/ice v4.4.8 agent_config.go:18) fits in the
// iceDisconnectedTimeout + iceFailedTimeout for which a checking agent
// waits to connect (agent.go:681-688). pion's default, 7, gives a pair
// up for good after 1.6 s (agent.go:803-812), even if the peer's checks
// on it get through later, and on the down connection, which the server
// controls, pion nominates only a pair its own checks found working
// (selection.go:75, 128): an ICE restart made while the network is gone,
// which is when a client asks for one, then never connected once the
// network was back, and the session ended with its grace (resume.go).
const iceMaxBindingRequests = uint16((iceDisconnectedTimeout + iceFailedTimeout) / (200 * time.Millisecond))

// srtpReplayWindow is how far behind the newest packet of a stream an
// SRTP packet is still accepted (pion's default is 64), as libwebrtc has
// it: a sender that numbers a retransmission when it caches the packet
// (pion's NACK responder, interceptor v0.1.51) sends it on the RTX
// stream far behind the newest, and a second try of a high layer's
// repair came more than 64 behind and was dropped for good.
const srtpReplayWindow = 1024

// iceTCPReadBuffer is how many packets the ICE-over-TCP mux buffers per
// connection before the SFU reads them.
const iceTCPReadBuffer = 64

// NetworkConfig says where the server's media flows.
type NetworkConfig struct {
	// UDPPort is the one UDP port on which all WebRTC media is multiplexed.
	// Zero picks a free port per address (tests).
	UDPPort int
	// Interfaces restricts candidate gathering to these interface names
	// (for example "lo"). Empty means every interface that is up.
	Interfaces []string
	// PublicIPs are advertised instead of the local addresses, for a host
	// behind 1:1 NAT.
	PublicIPs []string
	// TCPPort, when not zero, also accepts ICE over TCP on this port, for
	// networks that block UDP.
	TCPPort int
	// Bandwidth bounds each subscriber's estimated downlink.
	Bandwidth BandwidthConfig
	// VideoCodecs are the video codecs accepted, in order of preference
	// (vp8, h264); empty means DefaultVideoCodecs.
	VideoCodecs []string
	// Log receives pion's messages (sfu/pionlog); nil means slog.Default().
	Log *slog.Logger
}

// Engine is the media side of the server: the pion API that every peer
// connection is made from, and the UDP socket(s) all media shares.
type Engine struct {
	// Each peer connection gets an API of its own (cheap: pion copies
	// the media engine per connection anyway), whose buffer factory
	// knows that connection's RTX SSRCs alone (streambuffers.go).
	media        *webrtc.MediaEngine
	interceptors *interceptor.Registry
	settings     webrtc.SettingEngine

	// pcMu serializes the creation of peer connections, so that each
	// picks up the estimator made for it from estimators, and its
	// interceptors the connection's RTX SSRCs from rtxConns.
	pcMu       sync.Mutex
	estimators chan *estimator
	rtxConns   chan *rtxSSRCs
	cert       *webrtc.Certificate // under pcMu (certificate.go)

	// screenBudget is what a screen share is budgeted before it is
	// measured (BandwidthConfig.Screen).
	screenBudget int
	// roomMax is the most one subscriber is sent (BandwidthConfig.Max).
	roomMax int
	// resent counts the retransmissions to subscribers.
	resent *resendCounts
	// rtx counts, over all connections, the RTX SSRCs of down tracks.
	rtx *rtxStats
	// sources hands each video down track to the retransmitter of its
	// stream (sentlog.go).
	sources *resendSources
	// losses are the publishers' audio streams whose receiver reports
	// carry their subscribers' loss (lossfeedback.go).
	losses *audioLosses

	udpMux  *ice.MultiUDPMuxDefault
	sockets []*batchConn // under udpMux, one per address
	// mediaNets are the networks of the sockets' addresses: a client's
	// candidate on one of them is checked even if private (remoteaddr.go).
	mediaNets []netip.Prefix
	tcpMux    ice.TCPMux       // nil without ICE over TCP
	tcpLn     *net.TCPListener // the listener of tcpMux
}

// NewEngine opens the media port and prepares codecs and interceptors.
func NewEngine(cfg NetworkConfig) (*Engine, error) {
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me, cfg.VideoCodecs); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	estimators := make(chan *estimator, 1)
	bw := cfg.Bandwidth.withDefaults()
	shared := newPipelineShared()
	shared.logs = pionlog.Factory{Log: cfg.Log, Limit: pionlog.NewLimiter()}
	if err := registerPipeline(me, reg, bw, estimators, shared); err != nil {
		return nil, err
	}
	if err := registerRTX(me, cfg.VideoCodecs); err != nil {
		return nil, err
	}

	conns, nets, err := openMediaSockets(cfg.UDPPort, cfg.Interfaces)
	if err != nil {
		return nil, err
	}
	muxes := make([]ice.UDPMux, len(conns))
	for i, c := range conns {
		muxes[i] = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: c})
	}
	mux := ice.NewMultiUDPMuxDefault(muxes...)

	e := &Engine{udpMux: mux, sockets: conns, mediaNets: nets, estimators: estimators, screenBudget: bw.Screen, roomMax: bw.Max, resent: shared.resent, rtx: shared.rtx, rtxConns: shared.rtxConns, sources: shared.sources, losses: shared.losses}
	se := webrtc.SettingEngine{LoggerFactory: shared.logs}
	se.SetICEUDPMux(mux)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if cfg.TCPPort != 0 {
		ln, err := rawsock.ListenTCP("tcp", net.JoinHostPort("", strconv.Itoa(cfg.TCPPort)))
		if err != nil {
			_ = e.Close()
			return nil, &ListenError{Network: "tcp", Port: cfg.TCPPort, Err: err}
		}
		e.tcpLn = ln.TCPListener
		e.tcpMux = webrtc.NewICETCPMux(nil, ln, iceTCPReadBuffer)
		se.SetICETCPMux(e.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	// Clients connect to the server's TCP port, never the other way: with
	// active TCP on (pion's default), every remote candidate of type
	// "tcp ... tcptype passive" made the server dial it, so that any
	// client could have it open TCP connections to any address and port,
	// the host's own services and its private network included, and
	// hold a socket for each candidate it sent.
	se.DisableActiveTCP(true)
	se.SetNetworkTypes(networks)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetSRTPReplayProtectionWindow(srtpReplayWindow)
	se.SetICETimeouts(iceDisconnectedTimeout, iceFailedTimeout, iceKeepaliveInterval)
	se.SetICEMaxBindingRequests(iceMaxBindingRequests)
	se.SetIncludeLoopbackCandidate(includeLoopback(cfg.Interfaces))
	if len(cfg.Interfaces) > 0 {
		se.SetInterfaceFilter(interfaceFilter(cfg.Interfaces))
	}
	if len(cfg.PublicIPs) > 0 {
		for _, ip := range cfg.PublicIPs {
			if _, err := netip.ParseAddr(ip); err != nil {
				_ = e.Close()
				return nil, fmt.Errorf("public IP %q is not an IP address", ip)
			}
		}
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		})
		if err != nil {
			_ = e.Close()
			return nil, fmt.Errorf("public IP: %w", err)
		}
	}

	e.media, e.interceptors, e.settings = me, reg, se
	return e, nil
}

// newPeerConnection makes a peer connection and returns it with its
// bandwidth estimator.
func (e *Engine) newPeerConnection() (*webrtc.PeerConnection, *estimator, error) {
	e.pcMu.Lock()
	defer e.pcMu.Unlock()
	cert, err := e.dtlsCertificate()
	if err != nil {
		return nil, nil, err
	}
	rtx := &rtxSSRCs{stats: e.rtx}
	se := e.settings
	// With a buffer factory, pion reads a publisher's RTX stream from
	// the track's first read rather than at once (its
	// startRTPReaderImmediately): up tracks read from the start.
	se.BufferFactory = rtx.newBuffer
	api := webrtc.NewAPI(webrtc.WithMediaEngine(e.media), webrtc.WithInterceptorRegistry(e.interceptors), webrtc.WithSettingEngine(se))
	e.rtxConns <- rtx // for the retransmitter, which NewPeerConnection makes
	pc, err := api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{cert}})
	select {
	case <-e.rtxConns: // not taken: no retransmitter made
	default:
	}
	if err != nil {
		return nil, nil, err
	}
	select {
	case bwe := <-e.estimators:
		return pc, bwe, nil
	default:
		return pc, nil, nil
	}
}

// flush sends every datagram queued on the media sockets: the end of a
// burst of retransmissions.
func (e *Engine) flush() {
	for _, c := range e.sockets {
		c.Flush()
	}
}

// socketSends sums, over the media sockets, the datagrams sent in
// batches and the messages the kernel was handed for them.
func (e *Engine) socketSends() (datagrams, sends uint64) {
	for _, c := range e.sockets {
		datagrams += c.datagrams.Load()
		sends += c.sends.Load()
	}
	return datagrams, sends
}

// hold starts a fan-out: its writes are queued without starting the
// sockets' flusher's timer, as release asks the flusher to send them.
func (e *Engine) hold() {
	for _, c := range e.sockets {
		c.hold()
	}
}

// release ends a fan-out: the sockets' flushers send what it queued as
// soon as they run (batchconn.go).
func (e *Engine) release() {
	for _, c := range e.sockets {
		c.release()
	}
}

// MediaAddrs lists the local addresses the media port listens on.
func (e *Engine) MediaAddrs() []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range e.udpMux.GetListenAddresses() {
		if ua, ok := a.(*net.UDPAddr); ok {
			out = append(out, ua.AddrPort())
		}
	}
	return out
}

// TCPAddr is the address of the ICE-over-TCP port, or nil.
func (e *Engine) TCPAddr() *net.TCPAddr {
	if e.tcpLn == nil {
		return nil
	}
	return e.tcpLn.Addr().(*net.TCPAddr)
}

// Close releases the media ports. Peer connections must be closed first.
func (e *Engine) Close() error {
	err := e.udpMux.Close()
	if e.tcpMux != nil {
		err = errors.Join(err, e.tcpMux.Close())
	}
	return err
}

func interfaceFilter(names []string) func(string) bool {
	return func(name string) bool { return slices.Contains(names, name) }
}

// includeLoopback reports whether loopback candidates are wanted: when no
// interface is named (a laptop meeting on localhost must work) or when a
// loopback interface is named explicitly.
func includeLoopback(names []string) bool {
	if len(names) == 0 {
		return true
	}
	for _, n := range names {
		if iface, err := net.InterfaceByName(n); err == nil && iface.Flags&net.FlagLoopback != 0 {
			return true
		}
	}
	return false
}
