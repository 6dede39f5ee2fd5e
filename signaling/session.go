package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"golang.org/x/time/rate"

	"github.com/plenum-meet/plenum/sfu"
)

// Session timing and buffering.
const (
	// pingInterval is how often the server pings an idle socket.
	pingInterval = 10 * time.Second
	// readTimeout ends a session whose socket has been silent this long
	// (three missed pings).
	readTimeout = 30 * time.Second
	// writeTimeout bounds one write; a client that cannot take a message
	// in this time is gone.
	writeTimeout = 10 * time.Second
	// drainTimeout is how long a closing session keeps reading, so that
	// the client's last messages do not turn the close into a reset that
	// would lose the error message on its way out.
	drainTimeout = time.Second
	// sendQueueLength bounds the messages waiting for one client. A
	// client this far behind is not reading; it is dropped rather than
	// let the server's memory grow.
	sendQueueLength = 256
	// sendQueueBytes bounds the bytes waiting for one client, as
	// sendQueueLength bounds the messages: the room's state sent at each
	// join and resume (the assembly's proposals, the chat history) grows
	// with the meeting, and a client that never reads would hold all of
	// it, again at each resume, times the 64 sessions one address may
	// have. The greeting of a big meeting (300 participants with long
	// names, 100 closed proposals on open ballots, long reasons, a full
	// chat history) measures 0.66 MiB, older decisions told in summary
	// (TestTheGreetingOfABigMeetingIsSmall); a page of the minutes is
	// 1 MiB of decisions and the speaking order (minutes.go); a closed
	// proposal of that meeting in full, 74 KB. This holds a greeting and
	// a page with room to spare. (A single proposal's state grows with
	// the room: a consent round where each of some 1,800 voters gave a
	// reason of 500 four-byte characters would be past it.)
	sendQueueBytes = 4 << 20
	// messageRate and messageBurst limit what one client may send: a join
	// sends a burst of ICE candidates, then little.
	messageRate  = 50
	messageBurst = 200
	// handshakeTimeout bounds the upgrade's answer to a client.
	handshakeTimeout = 10 * time.Second
	// maxSimulcastLayers is the length of a layers message's active list,
	// from the lowest layer up.
	maxSimulcastLayers = 3
)

// Deadlines against clients that hold a socket without using it (tests
// shorten them).
var (
	// joinTimeout ends a session that has not sent join this long after
	// connecting: an idle socket that answers pings would otherwise hold
	// a connection for nothing.
	joinTimeout = 20 * time.Second
	// messageTimeout bounds how long one message may take to arrive once
	// it has begun, so that a client trickling a message byte by byte
	// (while answering pings) cannot hold the session's reader.
	messageTimeout = 10 * time.Second
)

// session is one participant's WebSocket. Its read loop runs in the HTTP
// handler's goroutine; its write loop in a goroutine of its own, which
// ends with the session.
type session struct {
	srv     *Server
	conn    *websocket.Conn
	host    string     // the server's name as the client reached it
	addr    netip.Addr // the client's address, for bans
	log     *slog.Logger
	limiter *rate.Limiter // the socket's until a join or resume, then the participant's (read loop only)
	// ipMeter meters the messages of every session from the same
	// address, their count and their bytes.
	ipMeter ipMeter

	// inMessage is true while a message is arriving: pongs then do not
	// extend the read deadline (read loop only).
	inMessage bool

	queue chan []byte
	// out is conn's network connection, which the write loop holds
	// while it writes what is queued (batchwrite.go).
	out *batchConn
	// queued counts the bytes in queue and being written
	// (sendQueueBytes).
	queued atomic.Int64
	ctx    context.Context // cancelled when the session must end
	cancel context.CancelFunc

	mu          sync.Mutex
	room        string
	participant *sfu.Participant
	waiter      *sfu.Waiter // while (or since) waiting in the lobby
	final       *Error      // the error to send last, if any

	// line leads the participant's messages to its client's current
	// connection, this one or a later one (resume.go).
	line *line
	// lost is set when the connection broke rather than ended: the
	// participant is then kept for a resume.
	lost atomic.Bool
	// returning is set when the client left saying it returns at once
	// (a page that reloads): the participant is kept for the return
	// hold (sfu.Participant.ExpectReturn).
	returning atomic.Bool
}

func newSession(srv *Server, conn *websocket.Conn, host string, log *slog.Logger) *session {
	ctx, cancel := context.WithCancel(srv.ctx)
	return &session{
		srv:     srv,
		conn:    conn,
		host:    host,
		log:     log,
		limiter: rate.NewLimiter(messageRate, messageBurst),
		queue:   make(chan []byte, sendQueueLength),
		ctx:     ctx,
		cancel:  cancel,
	}
}

// run serves the session until the client leaves, the connection breaks,
// the client breaks the protocol or the server shuts down.
func (s *session) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop()
	}()

	joinBy := time.AfterFunc(s.srv.joinTimeout, func() {
		if s.roomOf() == "" && s.getParticipant() == nil {
			s.end(protocolError(CodeBadMessage, "no join within %v of connecting", s.srv.joinTimeout))
		}
	})
	err := s.readLoop()
	joinBy.Stop()
	var perr *Error
	if errors.As(err, &perr) {
		s.log.Info("session ended by protocol error", "code", perr.Code, "reason", perr.Reason)
		s.end(perr)
	}
	s.cancel()
	<-writerDone
	s.drain()
	_ = s.conn.Close()
	s.release()
}

func (s *session) readLoop() error {
	_ = s.conn.SetReadDeadline(time.Now().Add(readTimeout))
	s.conn.SetPongHandler(func(string) error {
		if s.inMessage || s.ctx.Err() != nil {
			return nil // an ending session keeps the deadline it was given
		}
		return s.conn.SetReadDeadline(time.Now().Add(readTimeout))
	})
	for {
		kind, data, err := s.readMessage()
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) && s.ctx.Err() == nil {
				s.lost.Store(true) // broken, not closed by us
			}
			return err
		}
		if s.ctx.Err() != nil {
			return nil
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(readTimeout))
		if !s.limiter.Allow() {
			return protocolError(CodeRateLimit, "more than %d messages per second", messageRate)
		}
		if err := s.ipMeter.charge(len(data)); err != nil {
			return err
		}
		if kind != websocket.TextMessage {
			return protocolError(CodeBadMessage, "binary messages are not part of the protocol")
		}
		msg, err := DecodeClientMessage(data)
		if err != nil {
			return err
		}
		done, err := s.handle(msg)
		if err != nil || done {
			return err
		}
	}
}

// readMessage reads one message of at most MaxMessageBytes. It does not
// use the socket's own read limit, which would close the socket before
// the client could be told why.
func (s *session) readMessage() (int, []byte, error) {
	kind, r, err := s.conn.NextReader()
	if err != nil {
		return 0, nil, err // closed or broken: nobody to tell
	}
	s.inMessage = true
	_ = s.conn.SetReadDeadline(time.Now().Add(s.srv.messageTimeout))
	data, err := io.ReadAll(io.LimitReader(r, MaxMessageBytes+1))
	s.inMessage = false
	if err != nil {
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return 0, nil, protocolError(CodeBadMessage, "message not complete within %v", s.srv.messageTimeout)
		}
		return 0, nil, err
	}
	if len(data) > MaxMessageBytes {
		return 0, nil, protocolError(CodeBadMessage, "message exceeds %d bytes", MaxMessageBytes)
	}
	return kind, data, nil
}

// drain reads and discards until the client closes or drainTimeout.
func (s *session) drain() {
	_ = s.conn.SetReadDeadline(time.Now().Add(drainTimeout))
	for {
		_, r, err := s.conn.NextReader()
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(r, MaxMessageBytes)); err != nil {
			return
		}
	}
}

// handle acts on one valid message; done is true when the session ends.
func (s *session) handle(m *ClientMessage) (done bool, err error) {
	p := s.getParticipant()
	if m.Type == TypeJoin || m.Type == TypeResume {
		if p != nil || s.roomOf() != "" {
			return false, protocolError(CodeBadMessage, "already joined")
		}
		if m.Type == TypeResume {
			return false, s.resume(m)
		}
		return false, s.join(m)
	}
	if p != nil && !s.getLine().owns(s) {
		// A connection a resume replaced, read before it was closed: its
		// client has moved on, and what it said may be out of date.
		return false, nil
	}
	if p == nil && m.Type != TypePing && m.Type != TypeLeave {
		if s.roomOf() != "" {
			return false, protocolError(CodeBadMessage, "%q while waiting in the lobby", m.Type)
		}
		return false, protocolError(CodeBadMessage, "%q before join", m.Type)
	}
	switch m.Type {
	case TypeOffer:
		err = p.HandleOffer(m.SDP, m.Screen...)
	case TypeAnswer:
		err = p.HandleAnswer(m.SDP)
	case TypeCandidate:
		err = p.HandleCandidate(m.PC, *m.Candidate)
	case TypeMute:
		p.SetMuted(*m.Audio, *m.Video)
	case TypeView:
		if m.Source == SourceScreen {
			p.SetScreenView(m.Participant, *m.Height, *m.Visible)
		} else {
			p.SetView(m.Participant, *m.Height, *m.Visible)
		}
	case TypeICERestart:
		p.RestartICE()
	case TypePing:
		s.sendJSON(bareMessage{Type: TypePong})
	case TypeLeave:
		if m.Returning && p != nil {
			// Now, not as the session ends: the page's peer connections
			// close as it unloads, which must not end the participant.
			// Not kept (it came back too often), it leaves as the
			// session ends.
			s.returning.Store(p.ExpectReturn())
		}
		return true, nil
	case TypeChat, TypeReact:
		err = s.chat(p, m)
	default:
		if assemblyTypes[m.Type] {
			err = s.assemble(p, m)
		} else {
			err = s.moderate(p, m)
		}
	}
	if err != nil {
		return false, classify(err)
	}
	return false, nil
}

func (s *session) join(m *ClientMessage) error {
	req, err := s.joinRequest(m)
	if err != nil {
		return err
	}
	if !s.srv.perIP.mayJoin(s.addr) {
		return protocolError(CodeRateLimit, "more than %d connections from your address, with those kept for a resume", s.srv.cfg.MaxConnectionsPerIP)
	}
	s.mu.Lock()
	s.room = m.Room // for the welcome, which Enter sends
	// The socket's message budget, the join included, becomes the
	// participant's.
	s.line = &line{current: s, room: m.Room, limits: newLimits(s.limiter), link: m.Token}
	s.mu.Unlock()
	p, w, err := s.srv.cfg.Manager.Enter(req)
	if err != nil {
		return classify(err)
	}
	s.mu.Lock()
	s.waiter = w
	s.mu.Unlock()
	var id string
	if p != nil {
		id = p.ID()
	} else {
		id = w.ID()
	}
	s.log = s.log.With("room", m.Room, "participant", id, "role", req.Role, "link", req.LinkID)
	if w != nil {
		s.log.Info("waiting in the lobby")
	}
	return nil
}

// limits are what one participant may send. They are the participant's,
// not its connection's: they go with it from connection to connection,
// so that cutting one's own socket and resuming, which any client may
// do at will, does not refill them. A rate.Limiter is safe to share:
// the connection a resume replaces may still be reading for a moment.
type limits struct {
	// messages limits every message (messageRate, messageBurst).
	messages *rate.Limiter
	// chat and react limit chat messages and reactions (chat.go).
	chat, react *rate.Limiter
	// passwordChanges limits room-settings messages that set a password
	// (moderation.go).
	passwordChanges *rate.Limiter
	// minutes limits requests for the minutes (assembly.go); export is
	// where the one under way stands (minutes.go).
	minutes *rate.Limiter
	export  minutesExport
	// askUnmute limits requests to unmute (moderation.go).
	askUnmute *rate.Limiter
}

// newLimits makes a participant's limits, its messages metered by the
// limiter its first connection had so far.
func newLimits(messages *rate.Limiter) *limits {
	return &limits{
		messages:        messages,
		chat:            rate.NewLimiter(chatRate, chatBurst),
		react:           rate.NewLimiter(reactRate, reactBurst),
		passwordChanges: rate.NewLimiter(passwordChangeRate, passwordChangeBurst),
		minutes:         rate.NewLimiter(rate.Every(minutesEvery), minutesBurst),
		askUnmute:       rate.NewLimiter(rate.Every(askUnmuteEvery), askUnmuteBurst),
	}
}

func (s *session) roomOf() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.room
}

func (s *session) getParticipant() *sfu.Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.participant
}

// classify turns an SFU error into the protocol error the client sees.
func classify(err error) *Error {
	var perr *Error
	switch {
	case errors.As(err, &perr):
		return perr
	case classifyAccess(err) != nil:
		return classifyAccess(err)
	case errors.Is(err, sfu.ErrRoomFull):
		return protocolError(CodeRoomFull, "%v", err)
	case errors.Is(err, sfu.ErrServerFull):
		return protocolError(CodeServerFull, "%v", err)
	case errors.Is(err, sfu.ErrClosed):
		return protocolError(CodeServerShutdown, "%v", err)
	case errors.Is(err, sfu.ErrMediaFailed), errors.Is(err, sfu.ErrMediaClosed):
		return protocolError(CodeMediaFailed, "%v", err)
	case errors.Is(err, sfu.ErrAnswerTimeout):
		return protocolError(CodeAnswerTimeout, "%v", err)
	default:
		// Everything else the SFU refuses comes from what the client sent.
		return protocolError(CodeBadMessage, "%v", err)
	}
}

// end records the error to send last and stops the session; the write
// loop sends it and closes the socket.
func (s *session) end(e *Error) {
	s.mu.Lock()
	if s.final == nil {
		s.final = e
	}
	s.mu.Unlock()
	s.cancel()
}

// sendJSON queues a message without blocking. A client whose queue is
// full, in messages or in bytes, is not reading and is dropped.
func (s *session) sendJSON(v any) {
	s.sendEncoded(func() ([]byte, error) { return json.Marshal(v) })
}

// sendShared queues a message that goes alike to several sessions (the
// room hands each the same sfu.Shared): only the first to send it
// encodes it, with encode, and every queue holds the same bytes, which
// nothing writes to. Each queue still counts them (sendQueueBytes):
// what one client leaves unread is what it holds.
func sendShared[T any](s *session, m *sfu.Shared[T], encode func(T) any) {
	s.sendEncoded(func() ([]byte, error) {
		return m.Encoded(func(v T) ([]byte, error) { return json.Marshal(encode(v)) })
	})
}

// sendEncoded queues what encode makes, without blocking; see sendJSON.
func (s *session) sendEncoded(encode func() ([]byte, error)) {
	// The participant's messages go to its current connection, if any:
	// while its client is away, they are not even encoded (a room's chat
	// history or assembly can take milliseconds).
	to := s.target()
	if to == nil || to.ending() {
		return
	}
	data, err := encode()
	if err != nil {
		s.log.Error("encode message", "err", err)
		return
	}
	n := int64(len(data))
	if to.queued.Add(n) <= sendQueueBytes {
		select {
		case to.queue <- data:
			return
		default:
		}
	}
	to.queued.Add(-n)
	// Not reading: a network that stalls, or a client that hangs.
	// Either may resume.
	to.lost.Store(true)
	to.cancel()
}

// ending reports whether the session is ending, for its own reason (a
// leave, an error, a break): what is sent to it then would never be
// read, and encoding the rest of a room's state for a client cut off
// in its midst (sendQueueBytes) costs as much again under the room's
// lock. Nor is it then marked lost for a queue that overflows because
// its writer has stopped: a participant that left would be kept for a
// resume. A session not started (tests) is not ending.
func (s *session) ending() bool { return s.ctx != nil && s.ctx.Err() != nil }

// sent frees the queue's room a message took, once written.
func (s *session) sent(data []byte) { s.queued.Add(-int64(len(data))) }

func (s *session) writeLoop() {
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case data := <-s.queue:
			if err := s.writeQueued(data); err != nil {
				s.writeFailed()
				return
			}
		case <-ping.C:
			if err := s.write(websocket.PingMessage, nil); err != nil {
				s.writeFailed()
				return
			}
		case <-s.ctx.Done():
			s.flush()
			// Ends a read loop still waiting for the client, soon but not
			// at once: see drainTimeout.
			_ = s.conn.SetReadDeadline(time.Now().Add(drainTimeout))
			return
		}
	}
}

// writeQueued writes data, taken from the queue, and what else the
// queue holds, in one write to the socket (batchwrite.go).
func (s *session) writeQueued(data []byte) error {
	s.out.hold()
	err := s.write(websocket.TextMessage, data)
	s.sent(data)
	for more := true; more && err == nil; {
		select {
		case data := <-s.queue:
			err = s.write(websocket.TextMessage, data)
			s.sent(data)
		default:
			more = false
		}
	}
	if rerr := s.out.release(); err == nil {
		err = rerr
	}
	return err
}

// writeFailed ends a session whose socket took no write: the connection
// is lost (the participant is kept for a resume), and the read loop,
// which could wait for the client up to readTimeout, ends at once, so
// that the resume grace starts now. Nothing can be sent on the socket
// any more, so there is nothing to drain for.
func (s *session) writeFailed() {
	s.lost.Store(true)
	s.cancel()
	_ = s.conn.SetReadDeadline(time.Now())
}

// flush sends what is queued, then the final error if any, then a close
// frame, so that a client learns why its session ended.
func (s *session) flush() {
	for {
		select {
		case data := <-s.queue:
			err := s.write(websocket.TextMessage, data)
			s.sent(data)
			if err != nil {
				return
			}
			continue
		default:
		}
		break
	}
	s.mu.Lock()
	final := s.final
	s.mu.Unlock()
	closeText := ""
	if final != nil {
		data, _ := json.Marshal(errorMessage{Type: TypeError, Code: final.Code, Reason: final.Reason})
		_ = s.write(websocket.TextMessage, data)
		closeText = final.Code
	}
	_ = s.write(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, closeText))
}

func (s *session) write(kind int, data []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return s.conn.WriteMessage(kind, data)
}

// The sfu.Signaler methods: each only queues a message.

func (s *session) Welcome(self sfu.ParticipantInfo, others []sfu.ParticipantInfo) {
	var servers []webrtc.ICEServer
	if f := s.srv.cfg.ICEServers; f != nil {
		servers = f(s.host, self.ID)
	}
	if servers == nil {
		servers = []webrtc.ICEServer{}
	}
	token, resumed := s.srv.issueResume(s.getLine(), s.getParticipant())
	s.sendJSON(welcomeMessage{
		Type: TypeWelcome, Version: ProtocolVersion, ID: self.ID, Role: self.Role, Room: s.roomOf(),
		Participants: others, ICEServers: servers, Media: s.srv.cfg.Media,
		Resume: token, ResumeGrace: s.srv.cfg.Manager.ResumeGrace().Milliseconds(), Resumed: resumed,
		ReturnHold: s.srv.cfg.Manager.ReturnHold().Milliseconds(),
	})
}

func (s *session) SendDescription(pc sfu.PeerRole, desc webrtc.SessionDescription) {
	s.sendJSON(descriptionMessage{Type: desc.Type.String(), PC: pc, SDP: desc.SDP})
}

func (s *session) ParticipantJoined(p *sfu.Shared[sfu.ParticipantInfo]) {
	sendShared(s, p, func(p sfu.ParticipantInfo) any {
		return participantMessage{Type: TypeParticipantJoined, Participant: p}
	})
}

func (s *session) ParticipantUpdated(p *sfu.Shared[sfu.ParticipantInfo]) {
	sendShared(s, p, func(p sfu.ParticipantInfo) any {
		return participantMessage{Type: TypeParticipantUpdated, Participant: p}
	})
}

func (s *session) ParticipantLeft(id *sfu.Shared[string]) {
	sendShared(s, id, func(id string) any { return leftMessage{Type: TypeParticipantLeft, ID: id} })
}

func (s *session) LayersWanted(mid string, highest int) {
	active := make([]bool, maxSimulcastLayers)
	for i := range active {
		active[i] = i <= highest
	}
	s.sendJSON(layersMessage{Type: TypeLayers, MID: mid, Active: active})
}

func (s *session) DominantSpeaker(id *sfu.Shared[string]) {
	sendShared(s, id, func(id string) any { return speakerMessage{Type: TypeSpeaker, ID: id} })
}

func (s *session) Fail(err error) {
	if t := s.target(); t != nil {
		t.end(classify(err))
	}
}
