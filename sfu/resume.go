package sfu

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"
)

// Resuming a session: a participant whose signaling connection breaks,
// or whose media connection fails, is not removed at once. It is kept,
// with its peer connections, tracks, subscriptions and role, for the
// resume grace, during which its client may come back with a new
// signaling connection (Attach) and restart ICE. Others see it marked
// reconnecting while its signaling is lost (ParticipantInfo.Reconnecting,
// in participant-updated), and media that pauses. Only when the grace ends with the client
// still gone, or its media still failed, does it leave the room.
//
// Both losses share one deadline, counted from the first of them: a
// browser that vanishes (its socket and its media go silent together)
// is removed iceFailedTimeout + the grace after it went silent, whether
// the media or the socket notices first.

// DefaultResumeGrace is how long a participant whose connection was lost
// is kept for its client to resume. Long enough for a Wi-Fi hand-over or
// a restarted home router; short enough that others do not look at a
// frozen tile for long.
const DefaultResumeGrace = 20 * time.Second

// Errors of resuming.
var (
	// ErrConnectionLost ends a participant whose client did not come
	// back within the resume grace.
	ErrConnectionLost = errors.New("the connection was lost and not resumed in time")
	// ErrNotResumable means the participant has left: too late to resume.
	ErrNotResumable = errors.New("the participant has left")
)

// SetResumeGrace sets how long a participant whose connection was lost
// is kept (DefaultResumeGrace unless set; tests shorten it).
func (m *Manager) SetResumeGrace(d time.Duration) { m.resumeGrace.set(d) }

// ResumeGrace is how long a participant whose connection was lost is kept.
func (m *Manager) ResumeGrace() time.Duration { return m.resumeGrace.or(DefaultResumeGrace) }

// lossState is what a participant has lost, under Participant.mu.
type lossState struct {
	detached bool // no signaler: messages are dropped
	// returning says the client left saying it comes back at once, with
	// new peer connections (returning.go): the timer is the return hold.
	returning bool
	failed    map[PeerRole]struct{} // peer connections in state failed
	timer     *time.Timer           // ends the participant when the grace is over
}

func (l *lossState) lost() bool { return l.detached || l.returning || len(l.failed) > 0 }

// Detach starts the grace when the participant's signaling connection is
// lost. Its signaler is expected to drop messages until Attach. away,
// called with the room locked (as Attach's connect is), reports whether
// the client is still away: a resume that overtook the loss's report
// leaves nothing to do (the grace would end a participant that is back).
func (p *Participant) Detach(away func() bool) {
	// The room first, as everywhere: the others learn of the loss in the
	// order of the room's other events, and only while p is in the room
	// (an update for someone who left would read as a join).
	r := p.room
	r.mu.Lock()
	if !away() {
		r.mu.Unlock()
		return
	}
	p.mu.Lock()
	p.loss.detached = true
	p.startGraceLocked()
	// Not for a page that reloads (ExpectReturn): it is back in a
	// moment, and a closed tab leaves when the hold ends.
	changed := !p.closed && !p.info.Reconnecting && !p.loss.returning
	if changed {
		p.info.Reconnecting = true
	}
	p.mu.Unlock()
	if changed {
		r.broadcastUpdateLocked(p) // only while p is in the room
	}
	r.mu.Unlock()
	p.log.Info("signaling lost: kept for a resume", "grace", p.room.manager.ResumeGrace())
}

// Attach resumes the participant with a new signaling connection, after
// a loss or in place of one its client gave up on. connect, called with
// the room locked so that no room event passes it, must switch the
// participant's signaler over to the new connection, and not block.
// Attach then sends the welcome and the room's current state again,
// offers the down connection again if an offer was pending (the client
// may never have seen it), restarting ICE on it if it is not connected,
// and repeats what the client must obey (layers, a moderator's mute)
// or was allowed while away (to unmute). A participant back from the
// return hold (ExpectReturn) is offered the room's tracks on its new
// down connection instead.
// The grace ends, unless media is still failed: then it ends when media
// is back.
func (p *Participant) Attach(connect func()) error {
	// negMu first: no down offer is in flight while the signaler changes,
	// so none is lost or sent twice.
	p.negMu.Lock()
	defer p.negMu.Unlock()
	r := p.room
	r.mu.Lock()
	if p.isClosed() || !slices.Contains(r.participants, p) {
		r.mu.Unlock()
		return ErrNotResumable
	}
	connect()
	p.mu.Lock()
	p.loss.detached = false
	fresh := p.loss.returning // its client comes back with new peer connections
	p.loss.returning = false
	p.stopGraceUnlessLostLocked()
	back := p.info.Reconnecting
	p.info.Reconnecting = false
	unmuteOwed := p.unmuteOwed
	p.unmuteOwed = false
	p.mu.Unlock()
	if back {
		r.broadcastUpdateLocked(p)
	}
	r.greetLocked(p, r.participants)
	rs := roomSignals(p.sig)
	if unmuteOwed {
		// Else its client, still thinking itself held, would ask a
		// moderator for what it has, and its request would go nowhere.
		rs.UnmuteAllowed()
	}
	if held := r.holds.of(p.id); held != 0 {
		rs.ForcedMute("", held&holdAudio != 0, held&holdVideo != 0)
	}
	var tracks []*UpTrack
	if fresh {
		tracks = slices.Clone(r.tracks)
	}
	r.mu.Unlock()

	if fresh && p.subscribeFresh(tracks) {
		p.offerFreshLocked()
		return nil
	}
	p.repeatLayers()
	restart := p.downNeedsRestart()
	if p.awaitingAnswer || restart {
		if err := p.offerDownLocked(restart); err != nil {
			go p.fail(err) // not with negMu held (negotiate)
		}
	}
	p.log.Info("session resumed", "iceRestart", restart)
	return nil
}

// RestartICE restarts ICE on the down connection, at the client's
// request: its side of the connection failed. The restart goes with the
// next offer, at once unless one is waiting for its answer.
func (p *Participant) RestartICE() { p.offerDown(true) }

// downNeedsRestart reports whether the down connection has been
// negotiated and lost its connectivity.
func (p *Participant) downNeedsRestart() bool {
	if p.down.CurrentRemoteDescription() == nil {
		return false
	}
	switch p.down.ICEConnectionState() {
	case webrtc.ICEConnectionStateDisconnected, webrtc.ICEConnectionStateFailed:
		return true
	}
	return false
}

// offerDownLocked offers the down connection: a new offer, with an ICE
// restart if asked, or, while an offer waits for its answer (after a
// resume: the client may never have seen it), that offer again; pion can
// neither replace nor roll back a local offer, so a restart asked
// meanwhile follows the answer. p.negMu must be held; the caller fails
// the participant on an error, once it is released.
func (p *Participant) offerDownLocked(restart bool) error {
	if p.isClosed() || len(p.down.GetTransceivers()) == 0 {
		return nil // closed, or nothing to receive yet
	}
	if p.awaitingAnswer {
		if pending := p.down.PendingLocalDescription(); pending != nil {
			if restart {
				p.iceRestart, p.renegotiate = true, true
			}
			p.sig.SendDescription(Down, *pending)
			p.awaitAnswerLocked()
			return nil
		}
	}
	var offer webrtc.SessionDescription
	err := p.whileOpen(func() (err error) {
		offer, err = p.down.CreateOffer(&webrtc.OfferOptions{ICERestart: restart || p.iceRestart})
		return err
	})
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	if restart || p.iceRestart {
		p.mu.Lock()
		p.forgetCandidatesLocked(Down)
		p.mu.Unlock()
	}
	p.iceRestart = false
	p.awaitingAnswer = true
	p.awaitAnswerLocked()
	if err := p.setLocalAndSend(p.down, Down, offer); err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	return nil
}

// repeatLayers tells the client again which layers of its video tracks
// are wanted: the last announcement may have been lost.
func (p *Participant) repeatLayers() {
	p.mu.Lock()
	var demands []*layerDemand
	for _, t := range p.published {
		if t.demand != nil {
			demands = append(demands, t.demand)
		}
	}
	p.mu.Unlock()
	for _, d := range demands {
		d.repeat()
	}
}

// mediaFailed is called when pc, a peer connection of p's, failed: the
// grace starts for the client to restart ICE. An up connection a
// demotion took away is no loss (stopPublishing).
func (p *Participant) mediaFailed(role PeerRole, pc *webrtc.PeerConnection) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.replacedLocked(role, pc) {
		return
	}
	if p.loss.failed == nil {
		p.loss.failed = map[PeerRole]struct{}{}
	}
	p.loss.failed[role] = struct{}{}
	p.startGraceLocked()
	p.log.Info("media connection failed: kept for an ICE restart", "pc", role)
}

// mediaConnected is called when pc, a peer connection of p's, is
// connected, again after an ICE restart perhaps.
func (p *Participant) mediaConnected(role PeerRole, pc *webrtc.PeerConnection) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.replacedLocked(role, pc) {
		return
	}
	if _, ok := p.loss.failed[role]; !ok {
		return
	}
	delete(p.loss.failed, role)
	p.stopGraceUnlessLostLocked()
	p.log.Info("media connection back", "pc", role)
}

// startGraceLocked starts the grace unless it runs already. p.mu held.
func (p *Participant) startGraceLocked() {
	if p.loss.timer != nil || p.closed {
		return
	}
	p.loss.timer = time.AfterFunc(p.room.manager.ResumeGrace(), p.graceOver)
}

// stopGraceUnlessLostLocked ends the grace once nothing is lost. p.mu held.
func (p *Participant) stopGraceUnlessLostLocked() {
	if p.loss.lost() || p.loss.timer == nil {
		return
	}
	p.loss.timer.Stop()
	p.loss.timer = nil
}

// graceOver ends the participant if what it lost is still lost.
func (p *Participant) graceOver() {
	p.mu.Lock()
	p.loss.timer = nil
	detached, failed, returning := p.loss.detached, len(p.loss.failed) > 0, p.loss.returning
	p.mu.Unlock()
	switch {
	case returning:
		// It said it would come back and did not: it left, as it would
		// have said without the hold (the tab was closed).
		p.log.Info("did not return within the hold: leaving")
		p.Leave()
	case detached:
		p.fail(ErrConnectionLost)
	case failed:
		p.fail(ErrMediaFailed)
	}
}

// stopGrace cancels the grace of a participant that leaves.
func (p *Participant) stopGrace() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.loss.timer != nil {
		p.loss.timer.Stop()
		p.loss.timer = nil
	}
}
