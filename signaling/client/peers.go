package client

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/sfu/nackgen"
	"github.com/plenum-meet/plenum/sfu/pionlog"
)

// APIOptions restrict what a client's peer connections gather.
type APIOptions struct {
	// Interfaces, if set, are the only network interfaces used; naming a
	// loopback interface includes loopback candidates.
	Interfaces []string
	// Loopback includes loopback candidates, for a server on this
	// machine's own address, whatever the interfaces.
	Loopback bool
	// Networks, if set, restricts the transports (e.g. TCP only, as
	// behind a UDP-blocking firewall).
	Networks []webrtc.NetworkType
	// PortMin and PortMax, if set, bound the local UDP ports, so that a
	// test can shape this client's traffic by port.
	PortMin, PortMax uint16
	// NoRTX leaves RTX (RFC 4588) out of the codecs, as an older client
	// would: retransmissions then come on the media stream. By default
	// the client negotiates RTX, as browsers do.
	NoRTX bool
	// Arrivals, if set, notes when each RTP datagram reaches the API's
	// UDP sockets; give the same to Config.Arrivals to measure latency
	// to the socket (CounterStats.SocketLatency).
	Arrivals *Arrivals
	// ClaimLoss, if set, has the reports the client sends as a receiver
	// claim the loss it is set to rather than the true one.
	ClaimLoss *LossClaim
	// Log receives pion's messages, at debug level (sfu/pionlog: the
	// client reports what matters itself, and pion reports a peer's
	// ordinary teardown as errors); nil means slog.Default().
	Log *slog.Logger
}

// NewAPI returns a pion API for a client with pion's default codecs and
// interceptors, except for the NACK generator: the SFU's (sfu/nackgen),
// which counts what RTX repaired as received.
func NewAPI(o APIOptions) *webrtc.API {
	logs := pionlog.Factory{Log: o.Log, Quiet: true}
	se := webrtc.SettingEngine{LoggerFactory: logs}
	if len(o.Networks) > 0 {
		se.SetNetworkTypes(o.Networks)
	}
	if o.PortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(o.PortMin, o.PortMax); err != nil {
			panic(err) // a test's own constant range
		}
	}
	if len(o.Interfaces) > 0 {
		se.SetInterfaceFilter(func(name string) bool { return slices.Contains(o.Interfaces, name) })
		for _, name := range o.Interfaces {
			if iface, err := net.InterfaceByName(name); err == nil && iface.Flags&net.FlagLoopback != 0 {
				se.SetIncludeLoopbackCandidate(true)
			}
		}
	}
	if o.Loopback {
		se.SetIncludeLoopbackCandidate(true)
	}
	if o.Arrivals != nil {
		n, err := newArrivalNet(o.Arrivals)
		if err != nil {
			panic(err) // the system's network: cannot fail
		}
		se.SetNet(n)
	}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetRelayAcceptanceMinWait(100 * time.Millisecond) // pion's 2 s default only slows checks
	me, err := clientMediaEngine(o.NoRTX)
	if err != nil {
		panic(err) // pion's own codec table: cannot fail
	}
	reg := &interceptor.Registry{}
	if o.ClaimLoss != nil {
		reg.Add(lossClaimFactory{claim: o.ClaimLoss}) // before the report interceptors
	}
	if err := registerInterceptors(me, reg, logs); err != nil {
		panic(err)
	}
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		panic(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg))
}

// LoopbackAPI returns an API that gathers candidates on loopback only:
// the only network tests may use. networks, if given, restricts the
// transports.
func LoopbackAPI(networks ...webrtc.NetworkType) *webrtc.API {
	return NewAPI(APIOptions{Interfaces: []string{"lo"}, Networks: networks})
}

// publish opens the up connection with a synthetic audio and video
// track, the video in three simulcast layers if configured.
func (c *Client) publish() error {
	pc, err := c.api.NewPeerConnection(c.configuration())
	if err != nil {
		return err
	}
	if err := c.keep(pc, &c.up); err != nil {
		return err
	}
	audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "self")
	if err != nil {
		return err
	}
	audioTr, err := pc.AddTransceiverFromTrack(audio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return err
	}
	layers, err := newVideoLayers(c.cfg.Simulcast, c.cfg.VideoBitrate)
	if err != nil {
		return err
	}
	tr, err := pc.AddTransceiverFromTrack(layers[0].track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return err
	}
	for _, l := range layers[1:] {
		if err := tr.Sender().AddEncoding(l.track); err != nil {
			return fmt.Errorf("add simulcast layer: %w", err)
		}
	}
	for _, l := range layers {
		l.neverKey = c.cfg.NoKeyframes
		l.onlyAsked = c.cfg.KeyframesWhenAsked
	}
	var screen []*videoLayer
	var screenTr *webrtc.RTPTransceiver
	if c.cfg.Screen {
		if screen, err = newVideoLayers(false, c.cfg.ScreenBitrate); err != nil {
			return err
		}
		if screenTr, err = pc.AddTransceiverFromTrack(screen[0].track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.videoLayers = layers
	// The media ids are known once the offer is applied, before the
	// server can speak of them.
	c.encodersOf = func(mid string) []*videoLayer {
		switch {
		case mid == tr.Mid():
			return layers
		case screenTr != nil && mid == screenTr.Mid():
			return screen
		}
		return nil
	}
	c.mu.Unlock()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	// The media ids are known once the offer is applied.
	screenMids := func() []string {
		if screenTr == nil {
			return nil
		}
		return []string{screenTr.Mid()}
	}
	if err := c.setLocalAndSend(pc, sfu.Up, offer, screenMids); err != nil {
		return err
	}
	if screenTr != nil {
		c.wg.Add(2)
		go func() { defer c.wg.Done(); sendVideo(c.ctx, screen, screenTr) }()
		go func() { defer c.wg.Done(); watchKeyframeRequests(screenTr.Sender(), screen[0], nil) }()
	}
	c.wg.Add(3 + len(layers))
	go func() { defer c.wg.Done(); sendAudio(c.ctx, audio, audioTr, &c.audioLevel) }()
	go func() { defer c.wg.Done(); c.watchAudioReports(audioTr.Sender()) }()
	go func() { defer c.wg.Done(); sendVideo(c.ctx, layers, tr) }()
	for _, l := range layers {
		go func() { defer c.wg.Done(); watchKeyframeRequests(tr.Sender(), l, &c.videoLoss) }()
	}
	return nil
}

// keep stores a new peer connection in *slot, or closes it if the client
// is closing: Close, which cancels first and then closes what it finds,
// could otherwise miss one made meanwhile.
func (c *Client) keep(pc *webrtc.PeerConnection, slot **webrtc.PeerConnection) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ctx.Err(); err != nil {
		_ = pc.Close()
		return err
	}
	if old := *slot; old != nil {
		_ = old.Close() // a second Publish replaces the first
	}
	*slot = pc
	return nil
}

// configuration uses the welcome's ICE servers, relays only if asked.
func (c *Client) configuration() webrtc.Configuration {
	servers := c.ICEServers()
	if only := c.cfg.OnlyICEURL; only != "" {
		var kept []webrtc.ICEServer
		for _, s := range servers {
			if slices.Contains(s.URLs, only) {
				s.URLs = []string{only}
				kept = append(kept, s)
			}
		}
		servers = kept
	}
	cfg := webrtc.Configuration{ICEServers: servers}
	if c.cfg.RelayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return cfg
}

// answerDown answers the server's offer on the down connection, creating
// it the first time.
func (c *Client) answerDown(sdp string) error {
	c.mu.Lock()
	pc := c.down
	c.mu.Unlock()
	if pc == nil {
		var err error
		if pc, err = c.api.NewPeerConnection(c.configuration()); err != nil {
			return err
		}
		pc.OnTrack(c.onTrack)
		if err := c.keep(pc, &c.down); err != nil {
			return err
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return fmt.Errorf("apply down offer: %w", err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	return c.setLocalAndSend(pc, sfu.Down, answer)
}

// Waiting for ICE gathering: the description is sent with every
// candidate once gathering completes, but no later than gatherPatience
// if it already has a candidate to offer, nor later than gatherLimit in
// any case. A STUN or TURN server that is slow to answer (its request
// lost on a loaded machine makes pion wait seconds for its timeout) must
// not keep the description back, let alone end the session: giving up
// left the read loop dead and the socket open but unread, so the server
// waited in vain for the answer to its offer.
var (
	gatherPatience = 2 * time.Second
	gatherLimit    = 20 * time.Second // under the server's 30 s read timeout
)

// setLocalAndSend sends a description with the candidates gathered (all
// of them on loopback, where gathering takes no time; see
// gatherPatience): the client does not trickle.
// screenMids, if given, names the screen share's media ids in the message.
func (c *Client) setLocalAndSend(pc *webrtc.PeerConnection, role sfu.PeerRole, desc webrtc.SessionDescription, screenMids ...func() []string) error {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return err
	}
	patience := time.NewTimer(gatherPatience)
	defer patience.Stop()
	limit := time.NewTimer(gatherLimit)
	defer limit.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	patient := true
wait:
	for {
		select {
		case <-gathered:
			break wait
		case <-limit.C:
			break wait
		case <-patience.C:
			patient = false
		case <-poll.C:
			if !patient && hasCandidate(pc.LocalDescription()) {
				break wait
			}
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return fmt.Errorf("%s: no local description", role)
	}
	msg := map[string]any{"type": ld.Type.String(), "pc": role, "sdp": ld.SDP}
	for _, mids := range screenMids {
		if m := mids(); len(m) > 0 {
			msg["screen"] = m
		}
	}
	return c.send(msg)
}

// hasCandidate reports whether a description carries an ICE candidate.
func hasCandidate(d *webrtc.SessionDescription) bool {
	return d != nil && strings.Contains(d.SDP, "a=candidate:")
}

// onTrack counts the packets of one received track until it ends.
func (c *Client) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	key := TrackKey{Publisher: t.StreamID(), Kind: t.Kind()}
	counter := &Counter{}
	c.mu.Lock()
	if c.ctx.Err() != nil {
		// Closing: Close may be waiting for the group already, which
		// must not grow from zero meanwhile.
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	defer c.wg.Done()
	if old := c.received[key]; old != nil {
		counter = old // the same publisher's track, renegotiated
	}
	c.received[key] = counter
	c.mu.Unlock()
	counter.ssrc.Store(uint32(t.SSRC()))
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, attr, err := t.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		var arrived time.Time // at the socket, if known
		if attr != nil && attr.Get(webrtc.AttributeRtxSsrc) != nil {
			counter.repaired.Add(1) // unwrapped from RTX by pion
			nackgen.Received(attr, uint32(t.SSRC()), pkt.SequenceNumber)
		} else if c.cfg.Arrivals != nil {
			arrived, _ = c.cfg.Arrivals.take(uint32(t.SSRC()), pkt.SequenceNumber)
		}
		counter.add(&pkt, n, t.Kind() == webrtc.RTPCodecTypeVideo, time.Now(), arrived)
	}
}

// Counter counts the packets and bytes of one received track, checks
// that its sequence numbers and timestamps run on as one stream, and
// remembers the picture size of the last video keyframe. For packets
// that carry a send time (every synthetic one does) it also measures
// latency and jitter.
type Counter struct {
	packets, bytes atomic.Uint64
	repaired       atomic.Uint64 // packets that came on the RTX stream
	padding        atomic.Uint64 // padding-only packets, not in packets
	last           atomic.Int64  // unix nanoseconds of the last packet
	ssrc           atomic.Uint32 // the track's, for NACK

	mu                  sync.Mutex
	started             bool
	tsBackwards         int
	keyWidth, keyHeight int
	keyframes           int    // keyframes that extended the stream
	keySeq              uint16 // the first packet of the last of them
	// seen marks the sequence numbers received (a test spans far fewer
	// than 65536 packets), to tell lost packets from late ones.
	seen          [1 << 16 / 64]uint64
	distinct      int
	first, newest uint16
	newestTS      uint32
	seq           seqRange
	latency       *LatencyHistogram // nil until a stamped packet arrives
	socketLatency *LatencyHistogram // nil until one with a known arrival
	jitter        jitter
}

// add counts p, of n bytes, read at now; arrived, if not zero, is when
// it reached the socket.
func (k *Counter) add(p *rtp.Packet, n int, video bool, now, arrived time.Time) {
	if len(p.Payload) == 0 && p.Padding {
		k.padding.Add(1) // the SFU probing the bandwidth
	} else {
		k.packets.Add(1)
	}
	k.bytes.Add(uint64(n))
	k.last.Store(now.UnixNano())
	k.mu.Lock()
	defer k.mu.Unlock()
	seq := p.SequenceNumber
	extends := !k.started || int16(seq-k.newest) > 0
	// Judge continuity on packets that extend the stream: a late one (a
	// retransmission) legitimately carries an older timestamp.
	if k.started && extends {
		if int32(p.Timestamp-k.newestTS) < 0 {
			k.tsBackwards++
		}
	}
	if k.seen[seq/64]&(1<<(seq%64)) == 0 {
		k.seen[seq/64] |= 1 << (seq % 64)
		k.distinct++
	}
	if !k.started {
		k.first, k.newest, k.newestTS = seq, seq, p.Timestamp
	} else if int16(seq-k.newest) > 0 {
		k.newest, k.newestTS = seq, p.Timestamp
	}
	k.started = true
	k.seq.add(seq)
	if sent, ok := readStamp(p.Payload); ok {
		if k.latency == nil {
			k.latency = &LatencyHistogram{}
		}
		transit := now.UnixNano() - sent
		k.latency.Add(time.Duration(transit))
		k.jitter.add(transit)
		if !arrived.IsZero() {
			if k.socketLatency == nil {
				k.socketLatency = &LatencyHistogram{}
			}
			k.socketLatency.Add(time.Duration(arrived.UnixNano() - sent))
		}
	}
	if video && len(p.Payload) >= 11 && p.Payload[0]&0x10 != 0 && p.Payload[1]&0x01 == 0 &&
		p.Payload[4] == 0x9d && p.Payload[5] == 0x01 && p.Payload[6] == 0x2a {
		k.keyWidth = int(binary.LittleEndian.Uint16(p.Payload[7:]) & 0x3fff)
		k.keyHeight = int(binary.LittleEndian.Uint16(p.Payload[9:]) & 0x3fff)
		if extends {
			k.keyframes++
			k.keySeq = seq
		}
	}
}

// Packets is the number of RTP packets of media received.
func (k *Counter) Packets() uint64 { return k.packets.Load() }

// Repaired is the number of packets that came as retransmissions on the
// track's RTX stream (RFC 4588), counted in Packets too.
func (k *Counter) Repaired() uint64 { return k.repaired.Load() }

// Padding is the number of padding-only packets received: the SFU's
// bandwidth probes. Their sequence numbers count for Completeness.
func (k *Counter) Padding() uint64 { return k.padding.Load() }

// Bytes is the number of RTP bytes received.
func (k *Counter) Bytes() uint64 { return k.bytes.Load() }

// Last is when the last packet arrived.
func (k *Counter) Last() time.Time { return time.Unix(0, k.last.Load()) }

// KeyframeSize is the picture size of the last keyframe received.
func (k *Counter) KeyframeSize() (width, height int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keyWidth, k.keyHeight
}

// Keyframes is how many keyframes arrived (not counting their resends),
// and since is how many packets the newest to arrive came after the
// first of the last of them.
func (k *Counter) Keyframes() (n int, since int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keyframes, int(k.newest - k.keySeq)
}

// Newest is the sequence number of the newest packet received.
func (k *Counter) Newest() uint16 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.newest
}

// Completeness is the share of the sequence numbers from the first to the
// newest packet that arrived, late ones (retransmissions) included.
func (k *Counter) Completeness() float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	span := int(k.newest-k.first) + 1
	if !k.started || span <= 0 {
		return 0
	}
	return float64(k.distinct) / float64(span)
}

// Discontinuities counts the sequence numbers still missing (never
// received, not even late) and the packets that extended the stream with
// a timestamp older than the one before. Loss repaired by retransmission
// counts as neither; a hole or a step back left by the SFU does.
func (k *Counter) Discontinuities() (missing, tsBackwards int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.started {
		return 0, 0
	}
	return int(k.newest-k.first) + 1 - k.distinct, k.tsBackwards
}
