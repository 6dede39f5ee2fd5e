package sfu

import (
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Opus's in-band FEC (LBRR) adds to each packet a low-bitrate copy of
// the previous frame, from which a receiver conceals one lost packet. A
// browser's encoder turns it on, and spends more on it, from the loss
// that the receiver reports of its audio stream (RTCP RR, fraction
// lost) tell it. The receiver of a publisher's audio is the server, and
// what it sees is the uplink's loss alone: a subscriber on a lossy
// downlink never had the speaker add FEC, and heard gaps. So the
// reports the server sends a publisher for an audio stream carry the
// larger of the uplink's loss and the worst its subscribers recently
// reported (lossfeedback.go), as LiveKit does. Video is left alone: its
// loss is repaired by retransmissions and layers.

// downLossAge is how long a subscriber's report of loss counts: longer
// than the longest a browser waits between reports of an audio stream
// (libwebrtc: 5 s on average, at most 7.5 s). A subscriber that
// reports no more (gone quiet, or its stream paused) counts for
// nothing after it; one that left counts no more at once, its down
// track gone from the up track's.
const downLossAge = 10 * time.Second

// maxRelayedLoss bounds the subscribers' loss passed on to a publisher,
// in 256ths: 20 %, the most that Chrome's Opus encoder plans for (its
// loss rate goes in steps of 0, 1, 5, 10 and 20 %), so that a subscriber
// losing more loses nothing by the bound, while one that claims 100 %
// does no more than make the speaker add all the FEC a real 20 % would;
// other encoders, and the publisher's statistics, are spared a loss
// that no one may have had. The uplink's own loss is passed on whole.
const maxRelayedLoss = 51

// reportedLoss is the fraction lost (in 256ths) that a subscriber last
// reported for a down track, with when: Unix milliseconds << 8 | fraction,
// in one word so that a reader never pairs one report's fraction with
// another's time; 0 before any.
type reportedLoss struct{ v atomic.Uint64 }

func (r *reportedLoss) store(fraction uint8, now time.Time) {
	r.v.Store(uint64(now.UnixMilli())<<8 | uint64(fraction)) //nolint:gosec // after 1970
}

// recent is the fraction last reported, or 0 if none came within
// downLossAge of now.
func (r *reportedLoss) recent(now time.Time) uint8 {
	v := r.v.Load()
	if v == 0 || now.Sub(time.UnixMilli(int64(v>>8))) > downLossAge { //nolint:gosec // 56 bits of milliseconds
		return 0
	}
	return uint8(v) //nolint:gosec // the low byte
}

// noteReceiverLoss keeps the fraction lost that the subscriber reports
// for this audio track, from the reception reports of its RTCP; the
// reports of other streams, and a video track's, are ignored.
func (d *DownTrack) noteReceiverLoss(reports []rtcp.ReceptionReport, now time.Time) {
	b := d.binding.Load()
	if b == nil || d.up.kind != webrtc.RTPCodecTypeAudio {
		return
	}
	for i := range reports {
		if reports[i].SSRC == b.ssrc {
			d.loss.store(reports[i].FractionLost, now)
			return
		}
	}
}

// downlinkLoss is the worst fraction lost (in 256ths) that the track's
// subscribers reported within downLossAge of now, at most
// maxRelayedLoss; 0 for video.
func (t *UpTrack) downlinkLoss(now time.Time) uint8 {
	if t.kind != webrtc.RTPCodecTypeAudio {
		return 0
	}
	var worst uint8
	for _, d := range *t.downs.Load() {
		worst = max(worst, d.loss.recent(now))
	}
	return min(worst, maxRelayedLoss)
}
