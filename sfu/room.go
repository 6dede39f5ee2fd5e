package sfu

import (
	"slices"
	"sync"
)

// Room is one meeting: its participants and the tracks they publish.
type Room struct {
	name    string
	manager *Manager

	mu           sync.Mutex // guards participants and tracks
	participants []*Participant
	tracks       []*UpTrack
}

func newRoom(name string, m *Manager) *Room {
	return &Room{name: name, manager: m}
}

// Name is the room's name, as in its URL.
func (r *Room) Name() string { return r.name }

// add admits p, sends it the welcome and tells the others, all under the
// room lock so that nobody sees events out of order.
func (r *Room) add(p *Participant, max int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if max > 0 && len(r.participants) >= max {
		return ErrRoomFull
	}
	others := make([]ParticipantInfo, 0, len(r.participants))
	for _, o := range r.participants {
		others = append(others, o.Info())
	}
	info := p.Info()
	p.sig.Welcome(info, others)
	for _, o := range r.participants {
		o.sig.ParticipantJoined(info)
	}
	r.participants = append(r.participants, p)
	return nil
}

func (r *Room) remove(p *Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.Index(r.participants, p)
	if i < 0 {
		return
	}
	r.participants = slices.Delete(r.participants, i, i+1)
	for _, o := range r.participants {
		o.sig.ParticipantLeft(p.id)
	}
}

func (r *Room) empty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.participants) == 0
}

func (r *Room) snapshot() []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.participants)
}

// broadcastUpdate tells everybody but p of p's new state.
func (r *Room) broadcastUpdate(p *Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := p.Info()
	for _, o := range r.participants {
		if o != p {
			o.sig.ParticipantUpdated(info)
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
