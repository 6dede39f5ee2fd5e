package sfu

import (
	"slices"
	"sync"

	"github.com/pion/webrtc/v4"
)

// A moderator's mute is enforced by the server, not left to the muted
// client: the muted participant's tracks of that kind are held, that is
// taken away from every subscriber (as if unpublished), until the hold
// is released. Nothing of a held track leaves the server, whatever the
// client keeps sending.

// heldKinds says which of a publisher's media are held.
type heldKinds uint8

const (
	holdAudio heldKinds = 1 << iota
	holdVideo
)

func kindBit(k webrtc.RTPCodecType) heldKinds {
	if k == webrtc.RTPCodecTypeAudio {
		return holdAudio
	}
	return holdVideo
}

// holds records the held media of a room's publishers. Its lock is taken
// last, after any room or participant lock.
type holds struct {
	mu sync.Mutex
	m  map[string]heldKinds
}

func (h *holds) add(id string, k heldKinds) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]heldKinds{}
	}
	h.m[id] |= k
}

// remove releases kinds k of publisher id and returns those that were held.
func (h *holds) remove(id string, k heldKinds) heldKinds {
	h.mu.Lock()
	defer h.mu.Unlock()
	was := h.m[id] & k
	if rest := h.m[id] &^ k; rest != 0 {
		h.m[id] = rest
	} else {
		delete(h.m, id)
	}
	return was
}

func (h *holds) of(id string) heldKinds {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[id]
}

// heldTrack reports whether t's publisher is held for t's kind.
func (h *holds) heldTrack(t *UpTrack) bool { return h.of(t.publisherID)&kindBit(t.kind) != 0 }

// publisherTracks lists the room's tracks of publisher of kinds k, and
// everybody else in the room.
func (r *Room) publisherTracks(publisher string, k heldKinds) (tracks []*UpTrack, others []*Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tracks {
		if t.publisherID == publisher && kindBit(t.kind)&k != 0 {
			tracks = append(tracks, t)
		}
	}
	for _, o := range r.participants {
		if o.id != publisher {
			others = append(others, o)
		}
	}
	return tracks, others
}

// cutOff takes publisher's held tracks of kinds k away from everybody.
// The hold is recorded first, so that no subscription made meanwhile
// escapes it (subscribe checks it under the subscriber's lock).
func (r *Room) cutOff(publisher string, k heldKinds) {
	r.resubscribe(publisher, k, (*Participant).unsubscribe)
}

// restore gives publisher's tracks of kinds k, no longer held, back to
// everybody.
func (r *Room) restore(publisher string, k heldKinds) {
	r.resubscribe(publisher, k, (*Participant).subscribe)
}

// resubscribe applies change to every other participant and each of
// publisher's tracks of kinds k, and renegotiates where it changed
// something.
func (r *Room) resubscribe(publisher string, k heldKinds, change func(*Participant, *UpTrack) bool) {
	if k == 0 {
		return
	}
	tracks, others := r.publisherTracks(publisher, k)
	for _, o := range others {
		changed := false
		for _, t := range tracks {
			changed = change(o, t) || changed
		}
		if changed {
			o.negotiate()
		}
	}
}

// releaseOnUnmute is called when p unmutes itself. Unless the room asks
// to unmute, the holds on what p unmutes are released; otherwise p stays
// muted for everybody and is told so again. It returns the mute state
// to record.
func (p *Participant) releaseOnUnmute(audio, video bool) (bool, bool, heldKinds) {
	r := p.room
	held := r.holds.of(p.id)
	var want heldKinds
	if !audio {
		want |= holdAudio
	}
	if !video {
		want |= holdVideo
	}
	if held&want == 0 {
		return audio, video, 0
	}
	r.mu.Lock()
	ask := r.access.settings.AskToUnmute && slices.Contains(r.participants, p)
	r.mu.Unlock()
	if ask {
		audio = audio || held&holdAudio != 0
		video = video || held&holdVideo != 0
		roomSignals(p.sig).ForcedMute("", held&holdAudio != 0, held&holdVideo != 0)
		return audio, video, 0
	}
	return audio, video, r.holds.remove(p.id, want)
}
