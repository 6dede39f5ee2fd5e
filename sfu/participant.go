package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Errors that end a participant's session from the media side.
var (
	// ErrMediaFailed means a peer connection failed: the network between
	// client and server is gone or never worked.
	ErrMediaFailed = errors.New("the media connection failed")
	// ErrProtocol means the client broke the negotiation rules.
	ErrProtocol = errors.New("negotiation out of order")
	// ErrMediaClosed means the client closed a peer connection: it is
	// not coming back, and no resume can reopen it.
	ErrMediaClosed = errors.New("the client closed its media connection")
)

// Participant is one person in a room, with their two peer connections.
type Participant struct {
	id   string
	room *Room
	sig  Signaler
	log  *slog.Logger
	// linkID and addr say how the participant came in, for bans.
	linkID string
	addr   netip.Addr
	// ballot is what its ballots go by (assembly.Member.Ballot): its
	// personal link's, shared by the link's holders; "" for its own.
	ballot string
	// demoted is set, under mu, when a moderator made the participant a
	// viewer: its up offers are then ignored rather than refused.
	demoted bool
	// muteNews paces the broadcasts of the participant's own mute
	// changes (Room.broadcastMuteUpdate); guarded by the room's mu.
	muteNews paced

	mu     sync.Mutex // guards the fields below
	info   ParticipantInfo
	up     *webrtc.PeerConnection
	down   *webrtc.PeerConnection
	subs   map[*UpTrack]*DownTrack
	closed bool
	// published maps each up receiver to its track (simulcast layers
	// share a receiver).
	published map[*webrtc.RTPReceiver]*UpTrack
	// views holds, per publisher's camera or screen (viewKey), the height
	// the client shows that video at (see SetView), for tracks subscribed
	// later.
	views map[string]int
	// screenMids are the media ids of the up connection that carry a
	// screen share, as the client's offers named them.
	screenMids map[string]bool
	// loss is what the participant lost and awaits back (resume.go).
	loss lossState
	// candidates are those its client gave each peer connection in its
	// current ICE generation (candidates.go).
	candidates map[PeerRole]*remoteCandidates
	// returns are when its client's latest returns were kept
	// (returnlimit.go).
	returns returnLog
	// unmuteOwed says a moderator let the participant unmute while its
	// client was away: the message was lost, and is sent again when the
	// client resumes (Attach).
	unmuteOwed bool
	// answerBy ends the participant if the down offer in flight goes
	// unanswered, offers counting the offers it was started for, so that
	// one that fires as the next offer's starts knows it is outdated
	// (answerdeadline.go).
	answerBy *time.Timer
	offers   int

	// Negotiation of the down connection, which the server drives: one
	// offer at a time, and one more when tracks changed meanwhile.
	negMu          sync.Mutex
	awaitingAnswer bool
	renegotiate    bool
	iceRestart     bool // the next down offer restarts ICE

	// alloc shares the down connection's estimated bandwidth among the
	// tracks it carries.
	alloc *allocator

	closeOnce sync.Once
	done      chan struct{}
	// closeMu keeps a peer connection from being closed while a pion
	// call that may start its ICE agent runs (see whileOpen).
	closeMu sync.Mutex
}

func newParticipant(id, name string, r *Room, sig Signaler) (*Participant, error) {
	p := &Participant{
		id:   id,
		room: r,
		sig:  sig,
		log:  r.manager.log.With("room", r.name, "participant", id),
		info: ParticipantInfo{ID: id, Name: name},
		subs: map[*UpTrack]*DownTrack{},
		done: make(chan struct{}),

		published: map[*webrtc.RTPReceiver]*UpTrack{},
		views:     map[string]int{},
	}
	down, bwe, err := p.newPeerConnection(Down)
	if err != nil {
		return nil, err
	}
	p.down = down
	if bwe != nil {
		p.alloc = newAllocator(p, bwe, r.manager.engine.roomMax)
	}
	return p, nil
}

// ID is the participant's id, unique on the server.
func (p *Participant) ID() string { return p.id }

// Done is closed when the participant has left and its resources are freed.
func (p *Participant) Done() <-chan struct{} { return p.done }

// Info is what others see of the participant.
func (p *Participant) Info() ParticipantInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.info
}

// SetMuted records the participant's microphone and camera state and
// tells the others. Unmuting what a moderator muted releases the hold,
// unless the room asks to unmute (see hold.go).
func (p *Participant) SetMuted(audio, video bool) {
	audio, video, released := p.releaseOnUnmute(audio, video)
	defer p.room.restore(p.id, released)
	p.mu.Lock()
	changed := p.info.AudioMuted != audio || p.info.VideoMuted != video
	p.info.AudioMuted, p.info.VideoMuted = audio, video
	p.mu.Unlock()
	if changed {
		p.room.broadcastMuteUpdate(p)
	}
}

func (p *Participant) newPeerConnection(role PeerRole) (*webrtc.PeerConnection, *estimator, error) {
	pc, bwe, err := p.room.manager.engine.newPeerConnection()
	if err != nil {
		return nil, nil, fmt.Errorf("new %s peer connection: %w", role, err)
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug("connection state", "pc", role, "state", s.String())
		switch s {
		case webrtc.PeerConnectionStateFailed:
			// Not removed at once: the client may restart ICE (resume.go).
			p.mediaFailed(role, pc)
		case webrtc.PeerConnectionStateConnected:
			p.mediaConnected(role, pc)
		case webrtc.PeerConnectionStateClosed:
			p.mediaClosed(role, pc)
		}
	})
	return pc, bwe, nil
}

// mediaClosed is called when one of p's peer connections is closed: by
// the server, as it ends p or takes its up connection away (a demotion),
// or by the client (DTLS close_notify), which then ends p within
// closedSettle rather than after the resume grace, or at its next offer.
func (p *Participant) mediaClosed(role PeerRole, pc *webrtc.PeerConnection) {
	if !p.closedByUs(role, pc) {
		// Not at once: a page that reloads closes its connections as it
		// unloads, just after its leave saying it returns, which may be
		// read after this; that leave replaces them (ExpectReturn). Not
		// from pion's callback either, which Close waits for.
		time.AfterFunc(closedSettle, func() {
			if !p.closedByUs(role, pc) {
				p.fail(ErrMediaClosed)
			}
		})
	}
}

// closedSettle is how long a client's close of a peer connection waits
// before it ends the participant: far longer than a leave sent just
// before it takes to be read, on any network the meeting works on.
const closedSettle = time.Second

// closedByUs reports whether pc, p's connection of role, was closed by
// the server: p ended, or pc is one p no longer has.
func (p *Participant) closedByUs(role PeerRole, pc *webrtc.PeerConnection) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed || p.replacedLocked(role, pc)
}

// replacedLocked reports whether pc, p's connection of role, is one p
// no longer has: an up connection a demotion closed, or either one a
// client that reloads left behind (ExpectReturn). p.mu held.
func (p *Participant) replacedLocked(role PeerRole, pc *webrtc.PeerConnection) bool {
	if role == Down {
		return p.down != pc
	}
	return p.up != pc
}

// HandleOffer applies the client's offer for its up connection and sends
// the answer. The first offer creates the up connection. screenMids
// names the offer's media ids that carry a screen share (its picture and
// sound); the others are the camera and microphone.
func (p *Participant) HandleOffer(sdp string, screenMids ...string) error {
	candidates, err := checkSDP(sdp, maxUpMediaSections)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.info.Role == RoleViewer {
		demoted := p.demoted
		p.mu.Unlock()
		if demoted {
			// Sent before the client learnt of its new role: dropped,
			// unanswered; the client closes its up connection anyway.
			p.log.Debug("up offer of a participant made viewer ignored")
			return nil
		}
		return fmt.Errorf("%w: a viewer receives only and may not publish", ErrForbidden)
	}
	// Recorded before the offer is applied: its tracks' first packets
	// may come as soon as it is.
	p.setScreenMidsLocked(screenMids)
	up := p.up
	if up == nil {
		var err error
		if up, _, err = p.newPeerConnection(Up); err != nil {
			p.mu.Unlock()
			return err
		}
		up.OnTrack(p.onUpTrack)
		p.up = up
	}
	p.mu.Unlock()

	sdp = withCheckableCandidates(sdp, p.room.manager.engine.mediaNets)
	if err := up.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return p.offerFailed(up, fmt.Errorf("apply offer: %w", err))
	}
	if err := p.countCandidates(Up, up, candidates...); err != nil {
		return err
	}
	var answer webrtc.SessionDescription
	err = p.whileOpen(func() (err error) {
		answer, err = up.CreateAnswer(nil)
		return err
	})
	if err != nil {
		return p.offerFailed(up, fmt.Errorf("create answer: %w", err))
	}
	return p.offerFailed(up, p.setLocalAndSend(up, Up, answer))
}

// offerFailed is err, an up offer's failure, unless a moderator made
// the participant a viewer while it was applied, which closed the up
// connection under it: the offer is then dropped like those that come
// after the demotion, rather than ending the session.
func (p *Participant) offerFailed(up *webrtc.PeerConnection, err error) error {
	if err == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.demoted && p.up != up {
		p.log.Debug("up offer overtaken by the participant's demotion", "err", err)
		return nil
	}
	return err
}

// HandleAnswer applies the client's answer to the server's last offer on
// the down connection, then offers again if tracks changed meanwhile.
func (p *Participant) HandleAnswer(sdp string) error {
	candidates, err := checkSDP(sdp, maxDownMediaSections)
	if err != nil {
		return err
	}
	p.negMu.Lock()
	if !p.awaitingAnswer {
		p.negMu.Unlock()
		return fmt.Errorf("answer without an offer: %w", ErrProtocol)
	}
	sdp = withCheckableCandidates(sdp, p.room.manager.engine.mediaNets)
	err = p.down.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
	if err != nil {
		// The offer is still pending: pion kept its state.
		p.negMu.Unlock()
		return fmt.Errorf("apply answer: %w", err)
	}
	p.awaitingAnswer = false
	p.mu.Lock()
	p.stopAnswerDeadlineLocked()
	p.mu.Unlock()
	again := p.renegotiate
	p.renegotiate = false
	p.negMu.Unlock()
	if err := p.countCandidates(Down, p.down, candidates...); err != nil {
		return err
	}
	if again {
		p.negotiate()
	}
	return nil
}

// HandleCandidate adds one of the client's ICE candidates.
func (p *Participant) HandleCandidate(role PeerRole, c webrtc.ICECandidateInit) error {
	p.mu.Lock()
	pc := p.down
	if role == Up {
		pc = p.up
	}
	p.mu.Unlock()
	if pc == nil {
		if p.Role() == RoleViewer {
			return nil // late candidates of an up connection closed by a demotion
		}
		return fmt.Errorf("candidate for an up connection not offered yet: %w", ErrProtocol)
	}
	if c.Candidate == "" {
		return nil // end of candidates: pion needs no notice
	}
	if err := p.countCandidates(role, pc, c.Candidate); err != nil {
		return err
	}
	if !checkableCandidate(c.Candidate, p.room.manager.engine.mediaNets) {
		p.log.Debug("client candidate not checked: not an address the server reaches", "candidate", c.Candidate)
		return nil
	}
	if err := pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("add candidate: %w", err)
	}
	return nil
}

// setLocalAndSend applies a local description and sends it once ICE
// gathering is done, so that it carries the server's candidates: with
// one multiplexed port that takes no time, and it spares clients the
// race of candidates that arrive before their description.
func (p *Participant) setLocalAndSend(pc *webrtc.PeerConnection, role PeerRole, desc webrtc.SessionDescription) error {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := p.whileOpen(func() error { return pc.SetLocalDescription(desc) }); err != nil {
		return fmt.Errorf("apply local %s: %w", desc.Type, err)
	}
	select {
	case <-gathered:
	case <-p.done:
		return ErrClosed
	}
	p.sig.SendDescription(role, *pc.LocalDescription())
	return nil
}

// negotiate offers the current set of down tracks, or remembers to do so
// once the offer in flight is answered.
func (p *Participant) negotiate() { p.offerDown(false) }

// offerDown makes a new down offer, with an ICE restart if asked, or
// remembers to once the offer in flight is answered.
func (p *Participant) offerDown(restart bool) {
	p.negMu.Lock()
	var err error
	if p.awaitingAnswer {
		p.renegotiate = true
		p.iceRestart = p.iceRestart || restart
	} else {
		err = p.offerDownLocked(restart)
	}
	p.negMu.Unlock()
	// Failing leaves the room, which takes other participants' negMu
	// (their down tracks of ours go): never with ours held.
	if err != nil {
		p.fail(err)
	}
}

// onUpTrack runs, in a goroutine of its own, when a published stream
// starts arriving: a track, or one simulcast layer of a track. Layers
// of one track share their receiver.
func (p *Participant) onUpTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	p.mu.Lock()
	up := p.up
	t := p.published[receiver]
	isNew := t == nil
	if isNew {
		t = newUpTrack(p.id, remote)
		t.mid = midOf(up, receiver)
		if p.isScreenMidUnlocked(t.mid) {
			t.screen = true
			t.budget = p.room.manager.engine.screenBudget
		}
		t.metrics = p.room.manager.metrics
		t.latency = &t.metrics.latency
		t.sends = p.room.manager.engine
		if t.kind == webrtc.RTPCodecTypeVideo {
			t.demand = newLayerDemand(func(highest int) { p.sig.LayersWanted(t.mid, highest) })
		} else {
			t.audioLevelID = extensionID(receiver, sdp.AudioLevelURI)
			t.observeLevel = func(level uint8, voice bool, now time.Time) {
				if p.room.holds.of(p.id)&holdAudio != 0 {
					// Muted by a moderator: nobody hears it, so it does
					// not take the floor, whatever its client sends.
					return
				}
				p.room.speakers.Observe(p.id, level, voice, now)
			}
		}
		p.published[receiver] = t
	}
	p.mu.Unlock()

	l, ok := t.addLayer(remote, receiver, up.WriteRTCP)
	if !ok {
		return
	}
	p.log.Debug("publishing", "kind", remote.Kind().String(), "rid", remote.RID(), "codec", remote.Codec().MimeType, "screen", t.screen)
	if isNew {
		p.room.publish(t)
		go p.unpublishWhenEnded(t, receiver)
	}
	if t.kind == webrtc.RTPCodecTypeAudio {
		// The receiver reports of the stream carry its subscribers'
		// loss, so that the publisher adds FEC for them (downloss.go).
		losses := p.room.manager.engine.losses
		losses.add(up.ID(), l.ssrc, t)
		defer losses.remove(up.ID(), l.ssrc, t)
	}
	t.forward(l) // returns when the layer or the connection ends
}

// unpublishWhenEnded removes t from the room once all its layers ended.
func (p *Participant) unpublishWhenEnded(t *UpTrack, receiver *webrtc.RTPReceiver) {
	<-t.done
	if t.demand != nil {
		t.demand.stop()
	}
	p.mu.Lock()
	delete(p.published, receiver)
	p.mu.Unlock()
	p.room.unpublish(t)
}

// extensionID is the id negotiated for a header extension, 0 if none.
func extensionID(receiver *webrtc.RTPReceiver, uri string) uint8 {
	for _, e := range receiver.GetParameters().HeaderExtensions {
		if e.URI == uri {
			return uint8(e.ID)
		}
	}
	return 0
}

// midOf finds the media id of the transceiver of receiver: the name the
// client knows its track by.
func midOf(pc *webrtc.PeerConnection, receiver *webrtc.RTPReceiver) string {
	for _, tr := range pc.GetTransceivers() {
		if tr.Receiver() == receiver {
			return tr.Mid()
		}
	}
	return ""
}

// videoDowns lists the video tracks the participant receives.
func (p *Participant) videoDowns() []*DownTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*DownTrack, 0, len(p.subs))
	for t, d := range p.subs {
		if t.kind == webrtc.RTPCodecTypeVideo {
			out = append(out, d)
		}
	}
	return out
}

// audioDownBitrate is what the audio tracks the participant receives
// take at now, bits/s: as measured, or audioReserve for a track not
// measured yet; nothing for one that sends nothing (a microphone
// unplugged or refused: the track stays, silent), as for video.
func (p *Participant) audioDownBitrate(now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	bps := 0
	for t := range p.subs {
		if t.kind == webrtc.RTPCodecTypeAudio && t.sending(now) {
			bps += t.layerBitrate(0)
		}
	}
	return bps
}

// flushDown sends what is queued on the media sockets (probe padding).
func (p *Participant) flushDown() {
	p.room.manager.engine.flush()
}

// SetView records how a participant shows publisher's camera: at most
// height device pixels high, or not at all when hidden, so that the SFU
// sends the smallest layer that fills the tile and nothing for a hidden
// one.
func (p *Participant) SetView(publisher string, height int, visible bool) {
	p.setView(publisher, false, height, visible)
}

// SetScreenView is SetView for publisher's screen share.
func (p *Participant) SetScreenView(publisher string, height int, visible bool) {
	p.setView(publisher, true, height, visible)
}

func (p *Participant) setView(publisher string, screen bool, height int, visible bool) {
	if !visible {
		height = -1
	}
	// A view is kept only for someone in the room, and forgotten when
	// they leave (forgetViews): views of made-up names would grow the
	// map for as long as the participant stays. One who leaves between
	// this check and the store below leaves an entry behind, hence the
	// bound as well.
	if !p.room.present(publisher) {
		return
	}
	p.mu.Lock()
	var downs []*DownTrack
	for t, d := range p.subs {
		if t.publisherID == publisher && t.screen == screen && t.kind == webrtc.RTPCodecTypeVideo {
			downs = append(downs, d)
		}
	}
	key := viewKey(publisher, screen)
	if _, ok := p.views[key]; ok || len(p.views) < maxViews {
		p.views[key] = height
	}
	p.mu.Unlock()
	for _, d := range downs {
		d.SetMaxHeight(height)
	}
	if p.alloc != nil && len(downs) > 0 {
		p.alloc.viewChanged()
	}
}

// maxViews bounds the views one participant keeps (setView).
const maxViews = 1024

// forgetViews drops p's views of publisher, who has left the room.
func (p *Participant) forgetViews(publisher string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.views, viewKey(publisher, false))
	delete(p.views, viewKey(publisher, true))
}

// subscribe adds a down track for t unless there is one already or t
// is held by a moderator's mute, and reports whether it added one.
func (p *Participant) subscribe(t *UpTrack) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.subs[t] != nil || p.room.holds.heldTrack(t) {
		return false
	}
	select {
	case <-t.done:
		return false // ended meanwhile: unpublish has run or will not find us
	default:
	}
	d := newDownTrack(t)
	d.sources = p.room.manager.engine.sources
	if h, ok := p.views[viewKey(t.publisherID, t.screen)]; ok && t.kind == webrtc.RTPCodecTypeVideo {
		d.maxHeight.Store(int32(h))
	}
	sender, err := p.down.AddTrack(d)
	if err != nil {
		p.log.Warn("cannot add down track", "err", err)
		return false
	}
	d.sender = sender
	p.subs[t] = d
	t.addDown(d)
	go d.readRTCP() // ends when the sender stops
	return true
}

// unsubscribe removes the down track for t, and reports whether there was one.
func (p *Participant) unsubscribe(t *UpTrack) bool {
	p.mu.Lock()
	d := p.subs[t]
	delete(p.subs, t)
	closed := p.closed
	p.mu.Unlock()
	if d == nil {
		return false
	}
	t.removeDown(d)
	if closed {
		return false
	}
	// Not while an answer is being applied: pion starts the senders the
	// answer negotiated, and one whose track goes meanwhile fails the
	// answer (seen in the churn soak), which ended the subscriber.
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if err := p.down.RemoveTrack(d.sender); err != nil {
		p.log.Debug("remove down track", "err", err)
	}
	return true
}

// Leave ends the participant's session cleanly.
func (p *Participant) Leave() { p.fail(nil) }

// fail removes the participant from its room and frees everything it
// holds. A non-nil reason is passed to the signaler.
func (p *Participant) fail(reason error) {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		subs := p.subs
		p.subs = map[*UpTrack]*DownTrack{}
		p.stopAnswerDeadlineLocked()
		p.mu.Unlock()
		p.stopGrace()

		p.room.manager.leave(p)
		for t, d := range subs {
			t.removeDown(d)
		}
		if reason != nil {
			p.log.Info("session ended", "reason", reason)
			p.sig.Fail(reason)
		}
		p.closePeers()
		close(p.done)
	})
}

// whileOpen runs call, a pion call that may start a peer connection's
// ICE agent (creating an offer or an answer, applying a local
// description), while neither peer connection can be closed. pion's ICE
// gatherer, closed before its agent exists, still lets such a call that
// passed the connection's closed check create one afterwards, and
// nothing closes that agent (webrtc v4.2.26, ICEGatherer.close): its
// goroutines would outlive the participant.
func (p *Participant) whileOpen(call func() error) error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	return call()
}

func (p *Participant) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// closePeers closes both peer connections; the up tracks' forwarding
// loops end with them and unpublish the tracks.
func (p *Participant) closePeers() {
	p.mu.Lock()
	p.closed = true // so that mediaClosed knows who closed them
	up, down := p.up, p.down
	p.mu.Unlock()
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if up != nil {
		_ = up.Close()
	}
	if down != nil {
		_ = down.Close()
	}
}
