// Package client is a Go client of Plenum's signaling protocol with real
// pion peer connections: what the tests, the load generator and other
// non-browser participants use to join a room, publish synthetic media
// and count what arrives.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/plenum-meet/plenum/sfu"
)

// Config describes one participant.
type Config struct {
	// URL is the WebSocket endpoint, e.g. ws://127.0.0.1:8080/_/ws.
	URL string
	// Room and Name are sent in the join.
	Room, Name string
	// API makes the peer connections; nil means LoopbackAPI().
	API *webrtc.API
	// Publish, when set, publishes an audio and a video track of
	// synthetic media as soon as the join is accepted.
	Publish bool
	// RelayOnly makes both peer connections use TURN relays only, with
	// the ICE servers the welcome lists, as the web client's ?relay=1.
	RelayOnly bool
	// Simulcast publishes the video in three layers (q, h, f: 320x180,
	// 640x360 and 1280x720), as a browser does.
	Simulcast bool
	// VideoBitrate, if not zero, is the bitrate of the synthetic video
	// (of its full layer with Simulcast) in bits per second; zero sends
	// about 720 kbit/s (240, 480 and 720 kbit/s with Simulcast).
	VideoBitrate int
	// NoKeyframes makes the synthetic video never carry a keyframe, not
	// even when asked for one, as a broken encoder (see
	// KeyframeRequests).
	NoKeyframes bool
	// KeyframesWhenAsked makes the synthetic video carry a keyframe at
	// its first frame and then only when asked for one, as a browser's
	// encoder does, instead of every 2 s besides.
	KeyframesWhenAsked bool
	// Screen, with Publish, also publishes a screen share: one more
	// video track, in one layer (640x480 keyframes) of ScreenBitrate
	// bits per second (zero: about 720 kbit/s), named in the offer's
	// screen list. Subscribers receive it under the stream id
	// "<publisher>~screen".
	Screen        bool
	ScreenBitrate int
	// OnlyICEURL, if set, keeps only this URL of the welcome's ICE
	// servers, to test one TURN transport at a time.
	OnlyICEURL string
	// Token is a signed link's token, Password the room's password;
	// both are sent in the join when set.
	Token, Password string
	// Return, when set, has Dial resume the participant a client left
	// with LeaveToReturn instead of joining, as a page that reloaded
	// does: with new peer connections.
	Return *Return
	// Record keeps every message the server sends, for tests that must
	// check what a client was told (see Recorded).
	Record bool
	// AnswerDelay holds each answer to the server's offers back for this
	// long, and the messages behind it, as a loaded client would: tests
	// of what changes while an offer waits for its answer.
	AnswerDelay time.Duration
	// IgnoreOffers leaves the server's offers unanswered, as a broken
	// or hostile client would; the client reads on.
	IgnoreOffers bool
	// Arrivals, the same as the API's (APIOptions.Arrivals), measures
	// the latency of received packets to the socket too.
	Arrivals *Arrivals
}

// ErrorMessage is an error message the server sent before closing.
type ErrorMessage struct {
	Code, Reason string
}

func (e *ErrorMessage) Error() string { return "server: " + e.Code + ": " + e.Reason }

// Client is one participant connected to a server.
type Client struct {
	cfg  Config
	api  *webrtc.API
	conn *websocket.Conn

	writeMu sync.Mutex

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the read loop, media generators and track readers

	mu           sync.Mutex
	id           string
	iceServers   []webrtc.ICEServer
	participants map[string]sfu.ParticipantInfo
	departures   []string // ids of participant-left messages, in order
	presence     []PresenceEvent
	up, down     *webrtc.PeerConnection
	received     map[TrackKey]*Counter
	videoLayers  []*videoLayer
	// encodersOf gives the layers sent on the media id mid: the
	// camera's or the screen share's (nil for another).
	encodersOf func(mid string) []*videoLayer
	layers     map[string][]bool // last layers message per mid
	speaker    string            // the dominant speaker, as last announced
	audioLevel atomic.Uint32     // RFC 6464 level sent with our audio, 127 = silence
	// audioLoss and videoLoss are what the server reported of the loss
	// of what we publish (ReportedLoss).
	audioLoss, videoLoss reportedLoss
	serverErr            error
	moderation           moderationState
	chat                 chatState
	assembly             assemblyState

	welcome chan struct{}
	lobby   chan struct{} // closed when told to wait in the lobby
	closed  chan struct{} // of the current socket; guarded by mu after Dial
	resume  resumeState   // guarded by mu
}

// TrackKey names a received track by its publisher and kind.
type TrackKey struct {
	Publisher string
	Kind      webrtc.RTPCodecType
}

// Dial connects, joins and waits for the welcome, or to be told to wait
// in the lobby (see Waiting and Admitted).
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	api := cfg.API
	if api == nil {
		api = LoopbackAPI()
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, cfg.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", cfg.URL, err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg: cfg, api: api, conn: conn, ctx: cctx, cancel: cancel,
		participants: map[string]sfu.ParticipantInfo{},
		received:     map[TrackKey]*Counter{},
		layers:       map[string][]bool{},
		welcome:      make(chan struct{}),
		lobby:        make(chan struct{}),
		closed:       make(chan struct{}),
	}
	c.audioLevel.Store(127) // silent until told otherwise
	c.wg.Add(1)
	go c.readLoop(conn, c.closed)
	join := map[string]any{"type": "join", "version": 1, "room": cfg.Room, "name": cfg.Name}
	if cfg.Token != "" {
		join["token"] = cfg.Token
	}
	if cfg.Password != "" {
		join["password"] = cfg.Password
	}
	if r := cfg.Return; r != nil {
		join = map[string]any{"type": "resume", "version": 1, "room": cfg.Room, "participant": r.ID, "token": r.Token}
	}
	if err := c.send(join); err != nil {
		c.Close()
		return nil, err
	}
	select {
	case <-c.welcome:
		return c, nil
	case <-c.lobby:
		return c, nil
	case <-c.closed:
		err := c.Err()
		c.Close()
		if err == nil {
			err = errors.New("connection closed before welcome")
		}
		return nil, err
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// ID is the participant id the server gave.
func (c *Client) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// ICEServers returns the ICE servers the welcome listed.
func (c *Client) ICEServers() []webrtc.ICEServer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.iceServers
}

// Participants returns the others in the room as last announced.
func (c *Client) Participants() map[string]sfu.ParticipantInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]sfu.ParticipantInfo, len(c.participants))
	for k, v := range c.participants {
		out[k] = v
	}
	return out
}

// Departures lists the participants announced as gone, in order.
func (c *Client) Departures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.departures...)
}

// Received returns the packet counter of a received track, or nil.
func (c *Client) Received(publisher string, kind webrtc.RTPCodecType) *Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.received[TrackKey{publisher, kind}]
}

// ReceivedTracks lists the tracks that have arrived so far.
func (c *Client) ReceivedTracks() []TrackKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TrackKey, 0, len(c.received))
	for k := range c.received {
		out = append(out, k)
	}
	return out
}

// Err is the error that ended the session, if any.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverErr
}

// Done is closed when the signaling connection has closed.
func (c *Client) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// SetView tells the server at what height this client shows publisher's
// video, or that it does not show it.
func (c *Client) SetView(publisher string, height int, visible bool) error {
	return c.send(map[string]any{"type": "view", "participant": publisher, "height": height, "visible": visible})
}

// LayersWanted returns the last layers message for one of this client's
// tracks (by mid), or nil.
func (c *Client) LayersWanted(mid string) []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.layers[mid]
}

// SentLayers reports which of the published video layers are being sent.
func (c *Client) SentLayers() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]bool, len(c.videoLayers))
	for i, l := range c.videoLayers {
		out[i] = l.active.Load()
	}
	return out
}

// RenumberVideo has each layer of the published video go on under a new
// SSRC, with a keyframe, as a sender that started afresh: a stream of a
// known rid that the server has not seen. Keyframe requests for it are
// not heard (KeyframeRequests counts those of the negotiated SSRCs).
func (c *Client) RenumberVideo() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, l := range c.videoLayers {
		ssrc := l.ssrc.Load()
		if ssrc == 0 {
			ssrc = 0x5eed0000 + uint32(i) // one the negotiation is most unlikely to have chosen
		}
		l.ssrc.Store(ssrc + 0x10)
		l.keyframe.Store(true)
	}
}

// DominantSpeaker is the participant the server last named as speaking.
func (c *Client) DominantSpeaker() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speaker
}

// SetAudioLevel sets the loudness sent with the synthetic audio, in
// -dBov as RFC 6464 counts it: 0 is as loud as can be, 127 silence.
func (c *Client) SetAudioLevel(level uint8) { c.audioLevel.Store(uint32(min(level, 127))) }

// SetMuted announces the microphone and camera state.
func (c *Client) SetMuted(audio, video bool) error {
	return c.send(map[string]any{"type": "mute", "audio": audio, "video": video})
}

// KeyframeRequests is how many keyframe requests (PLI or FIR) the
// server has sent for this client's video, all layers together.
func (c *Client) KeyframeRequests() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, l := range c.videoLayers {
		n += l.requests.Load()
	}
	return n
}

// NACK asks the server to resend packets seqs of the video received
// from publisher, as the client's NACK generator does for packets it
// misses: tests of what the server does with a NACK it cannot answer.
func (c *Client) NACK(publisher string, seqs ...uint16) error {
	c.mu.Lock()
	pc, got := c.down, c.received[TrackKey{Publisher: publisher, Kind: webrtc.RTPCodecTypeVideo}]
	c.mu.Unlock()
	if pc == nil || got == nil || got.ssrc.Load() == 0 {
		return fmt.Errorf("no video received from %s", publisher)
	}
	return pc.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{
		MediaSSRC: got.ssrc.Load(),
		Nacks:     rtcp.NackPairsFromSequenceNumbers(seqs),
	}})
}

// Send sends a raw message, for tests of the protocol itself.
func (c *Client) Send(msg any) error { return c.send(msg) }

func (c *Client) send(msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.conn.WriteMessage(websocket.TextMessage, data)
}

// Leave says goodbye and closes everything.
func (c *Client) Leave() {
	if c.send(map[string]string{"type": "leave"}) == nil {
		// The server closes the socket once it has read the leave.
		// Closing first could reset the connection and lose the leave,
		// and a lost socket is kept for a resume.
		select {
		case <-c.Done():
		case <-time.After(2 * time.Second):
		}
	}
	c.Close()
}

// Vanish drops the connections without a leave message, as a browser
// whose tab is closed does: the socket closes, and the peer connections
// close (DTLS close_notify), which is how the server learns of it. A
// crash, which closes nothing, is CutSocket without a resume.
func (c *Client) Vanish() { c.Close() }

// Close closes the peer connections and the socket and waits for every
// goroutine of the client.
func (c *Client) Close() {
	c.cancel()
	c.writeMu.Lock()
	_ = c.conn.Close()
	c.writeMu.Unlock()
	// The read loop may be applying a description: closing a peer
	// connection meanwhile could leak pion's ICE agent.
	<-c.Done()
	c.mu.Lock()
	up, down := c.up, c.down
	c.mu.Unlock()
	for _, pc := range []*webrtc.PeerConnection{up, down} {
		if pc != nil {
			_ = pc.Close()
		}
	}
	c.wg.Wait()
}

// ServerCandidates lists the server's ICE candidates as the client saw
// them in its descriptions: "address:port/protocol (type)".
func (c *Client) ServerCandidates() []string {
	c.mu.Lock()
	pcs := []*webrtc.PeerConnection{c.up, c.down}
	c.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, pc := range pcs {
		if pc == nil || pc.RemoteDescription() == nil {
			continue
		}
		for _, line := range strings.Split(pc.RemoteDescription().SDP, "\n") {
			cand, ok := strings.CutPrefix(strings.TrimSpace(line), "a=candidate:")
			if !ok {
				continue
			}
			// foundation component protocol priority address port typ type ...
			f := strings.Fields(cand)
			if len(f) < 8 || f[1] != "1" {
				continue
			}
			s := fmt.Sprintf("%s/%s (%s)", net.JoinHostPort(f[4], f[5]), strings.ToLower(f[2]), f[7])
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
