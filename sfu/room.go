package sfu

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/sfu/chat"
	"github.com/plenum-meet/plenum/sfu/speaker"
)

// speakerInterval is how often the room decides who the dominant
// speaker is: often enough that the highlight follows a conversation,
// rarely enough to cost nothing (Jitsi decides every 300 ms too).
const speakerInterval = 300 * time.Millisecond

// Room is one meeting: its participants and the tracks they publish.
type Room struct {
	name    string
	manager *Manager

	mu           sync.Mutex // guards participants, tracks, access, holds, chat and assembly
	participants []*Participant
	tracks       []*UpTrack
	access       roomAccess        // settings, lobby and bans (lobby.go)
	holds        holds             // media held by a moderator's mute (hold.go)
	chat         chat.History      // the meeting's recent messages (chatroom.go)
	assembly     assembly.Assembly // queue, proposals, minutes (deciding.go)
	// assemblyNews paces the broadcasts of the assembly's changes
	// (deciding.go).
	assemblyNews paced

	// ended, once set (by a moderator ending the meeting, or the
	// server closing), refuses newcomers with its reason.
	ended error
	// occupants is how many are in the room or its lobby, kept under mu
	// and read without it (empty), so that the manager need not wait
	// for a room busy greeting someone.
	occupants atomic.Int32
	// joining counts newcomers between the manager's look-up of the
	// room and their arrival in it or refusal; guarded by Manager.mu.
	joining int

	speakers speaker.Detector
	stop     chan struct{} // closed when the room is removed
	stopOnce sync.Once
}

func newRoom(name string, m *Manager, settings RoomSettings) *Room {
	r := &Room{name: name, manager: m, stop: make(chan struct{}), access: roomAccess{settings: settings}}
	go r.followSpeakers()
	return r
}

// close stops the room's goroutine; the room must be empty.
func (r *Room) close() { r.stopOnce.Do(func() { close(r.stop) }) }

// followSpeakers tells everybody who the dominant speaker is whenever
// that changes, until the room closes.
func (r *Room) followSpeakers() {
	tick := time.NewTicker(speakerInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-tick.C:
			id, changed := r.speakers.Decide(now)
			if !changed {
				continue
			}
			r.mu.Lock()
			told := Share(id)
			for _, p := range r.participants {
				p.sig.DominantSpeaker(told)
			}
			r.mu.Unlock()
		}
	}
}

// Name is the room's name, as in its URL.
func (r *Room) Name() string { return r.name }

// add admits p with the role req gives it, sends it the welcome and
// the room's state and tells the others, all under the room lock so that
// nobody sees events out of order.
func (r *Room) add(p *Participant, req *JoinRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended != nil {
		return r.ended
	}
	if r.access.banned(req) {
		// Banned while waiting in the lobby, or since screen let it by.
		return ErrBanned
	}
	max := r.access.settings.MaxParticipants
	if max <= 0 {
		max = r.manager.limits.MaxParticipantsPerRoom
	}
	if max > 0 && len(r.participants) >= max {
		return ErrRoomFull
	}
	p.setRole(r.roleForLocked(req))
	if req.Admitted != nil {
		req.Admitted(p)
	}
	r.greetLocked(p, r.participants)
	info := Share(p.Info())
	for _, o := range r.participants {
		o.sig.ParticipantJoined(info)
	}
	r.participants = append(r.participants, p)
	r.countLocked()
	r.speakers.Add(p.id)
	r.assembly.Arrived(p.person()) // whether they spoke before is kept while they stay
	return nil
}

// greetLocked sends p the welcome, with others, and what else the room
// tells a participant on arrival: its settings, who waits in the lobby
// (to a moderator) and who speaks. A resumed participant gets the same,
// so that its client can rebuild its view of the room.
func (r *Room) greetLocked(p *Participant, others []*Participant) {
	infos := make([]ParticipantInfo, 0, len(others))
	for _, o := range others {
		if o != p {
			infos = append(infos, o.Info())
		}
	}
	info := p.Info()
	p.sig.Welcome(info, infos)
	rs := roomSignals(p.sig)
	rs.RoomStateChanged(Share(r.stateLocked()))
	if info.Role == RoleModerator {
		for _, w := range r.access.lobby {
			rs.LobbyChanged(w.entry(), true)
		}
	}
	if id := r.speakers.Dominant(); id != "" {
		p.sig.DominantSpeaker(Share(id))
	}
	r.sendAssemblyLocked(p, time.Now())
	// Resumed, the client also gets what was said while it was away.
	r.sendChatHistoryLocked(p)
}

func (r *Room) remove(p *Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.Index(r.participants, p)
	if i < 0 {
		return
	}
	r.participants = slices.Delete(r.participants, i, i+1)
	defer r.countLocked()
	r.speakers.Remove(p.id)
	r.holds.remove(p.id, holdAudio|holdVideo)
	left := Share(p.id)
	for _, o := range r.participants {
		o.forgetViews(p.id)
		o.sig.ParticipantLeft(left)
	}
	r.assembly.Left(p.person(), r.ballotHeirLocked(p), r.personStaysLocked(p), time.Now())
	r.broadcastAssemblyLocked(time.Now())
	r.passOnModerationLocked(nil)
	if len(r.participants) == 0 && r.access.settings.Moderation != ModerationLinks {
		// Nobody is left to admit those who wait.
		for _, w := range r.access.lobby {
			w.req.Signaler.Fail(ErrMeetingEnded)
		}
		r.access.lobby = nil
	}
}

// ballotHeirLocked is who takes over the ballots of p, who is leaving
// or made viewer, and p's hand and turn in the speaking queue: another
// participant who is the same person (a personal link's holder on
// another device) and may vote, "" if none is in the room.
func (r *Room) ballotHeirLocked(p *Participant) string {
	if p.ballot == "" {
		return ""
	}
	for _, o := range r.participants {
		if o != p && o.ballot == p.ballot && o.Role() != RoleViewer {
			return o.id
		}
	}
	return ""
}

// personStaysLocked reports whether p's person, when p holds a personal
// link, is still in the room on another device, a viewer included:
// they are still known to have spoken (assembly.Left).
func (r *Room) personStaysLocked(p *Participant) bool {
	return p.ballot != "" && slices.ContainsFunc(r.participants, func(o *Participant) bool { return o != p && o.ballot == p.ballot })
}

// present reports whether the participant id is in the room.
func (r *Room) present(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.findLocked(id) != nil
}

// empty reports whether nobody is in the room or waits in its lobby.
func (r *Room) empty() bool { return r.occupants.Load() == 0 }

// countLocked updates occupants after the participants or the lobby
// changed.
func (r *Room) countLocked() {
	r.occupants.Store(int32(len(r.participants) + len(r.access.lobby)))
}

func (r *Room) snapshot() []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.participants)
}

// muteUpdateEvery is the least time between two broadcasts of one
// participant's own mute changes. A change after a quiet spell goes out
// at once; those of a burst go together, with the state as it is then,
// at most this late: a client flipping its microphone 50 times a second
// (as many messages as it may send) would else cost everyone in its
// room 50 messages a second, each encoded under the room's lock.
const muteUpdateEvery = 200 * time.Millisecond

// broadcastMuteUpdate tells everybody but p of p's new mute state, now
// or, in a burst, with the changes that follow (muteUpdateEvery).
func (r *Room) broadcastMuteUpdate(p *Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p.muteNews.sendLocked(r, muteUpdateEvery, time.Now(), func(time.Time) { r.broadcastUpdateLocked(p) })
}

// broadcastUpdateLocked tells everybody but p of p's new state, if p is
// still in the room: an update for someone who left would read as a
// join. r.mu must be held.
func (r *Room) broadcastUpdateLocked(p *Participant) {
	if !slices.Contains(r.participants, p) {
		return
	}
	r.tellOthersLocked(p, p.Info())
}

// tellOthersLocked tells everybody but p of p's new state, info, one
// encoding for all. r.mu must be held.
func (r *Room) tellOthersLocked(p *Participant, info ParticipantInfo) {
	shared := Share(info)
	for _, o := range r.participants {
		if o != p {
			o.sig.ParticipantUpdated(shared)
		}
	}
}

// subscribeToAll gives a newcomer every track already published.
func (r *Room) subscribeToAll(p *Participant) {
	r.mu.Lock()
	tracks := slices.Clone(r.tracks)
	r.mu.Unlock()
	for _, t := range tracks {
		p.subscribe(t)
	}
	p.negotiate()
}

// publish adds a new up track and subscribes everybody else to it.
func (r *Room) publish(t *UpTrack) {
	r.mu.Lock()
	r.tracks = append(r.tracks, t)
	var subscribers []*Participant
	for _, o := range r.participants {
		if o.id != t.publisherID {
			subscribers = append(subscribers, o)
		}
	}
	r.mu.Unlock()
	for _, s := range subscribers {
		s.subscribe(t)
		s.negotiate()
	}
}

// unpublish removes an ended up track from the room and its subscribers.
func (r *Room) unpublish(t *UpTrack) {
	r.mu.Lock()
	if i := slices.Index(r.tracks, t); i >= 0 {
		r.tracks = slices.Delete(r.tracks, i, i+1)
	}
	subscribers := slices.Clone(r.participants)
	r.mu.Unlock()
	for _, s := range subscribers {
		if s.unsubscribe(t) {
			s.negotiate()
		}
	}
}
