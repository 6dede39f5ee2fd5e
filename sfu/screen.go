package sfu

// Screen shares are published like a camera, as tracks of the up
// connection, but the client names their media ids in its offer (see
// HandleOffer). The SFU then treats them apart: their down tracks carry
// the stream id "<publisher>~screen", so that clients show them on a
// stage rather than on the publisher's tile; subscribers say how they
// show them with their own views (SetScreenView); and each subscriber's
// allocator serves them right after audio, before any camera.

// ScreenStreamSuffix ends the stream id of a screen share's down tracks:
// the stream id is the publisher's id followed by it. "~" is allowed in
// an SDP msid and never appears in a participant id.
const ScreenStreamSuffix = "~screen"

// maxScreenMids bounds the media ids an offer may name as screen share:
// a picture and its sound, twice over for a renegotiation that replaces
// one share by another.
const maxScreenMids = 4

// defaultScreenBudget is what a screen share is assumed to cost a
// subscriber before its bitrate has been measured: the web client's
// default cap (the admin's --screen-bitrate-max replaces it).
const defaultScreenBudget = 2_500_000

// viewKey names a publisher's camera or screen in a participant's views.
func viewKey(publisher string, screen bool) string {
	if screen {
		return publisher + ScreenStreamSuffix
	}
	return publisher
}

// setScreenMidsLocked records which media ids of p's up connection
// carry a screen share, from its latest offer, which names every share
// still on: those of earlier offers are forgotten (each offer would
// otherwise add to the set). Tracks already published keep what they
// were.
func (p *Participant) setScreenMidsLocked(mids []string) {
	if len(mids) > maxScreenMids {
		mids = mids[:maxScreenMids]
	}
	clear(p.screenMids)
	for _, m := range mids {
		if p.screenMids == nil {
			p.screenMids = map[string]bool{}
		}
		p.screenMids[m] = true
	}
}

// isScreenMidUnlocked reports whether mid was named as a screen share.
func (p *Participant) isScreenMidUnlocked(mid string) bool { return p.screenMids[mid] }
