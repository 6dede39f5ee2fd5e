package sfu

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// audioLosses finds, by its connection and SSRC, the up track of an
// audio stream a publisher sends, whose subscribers' loss goes into the
// receiver reports of that stream (downloss.go). A connection is known
// by its pion id, which pion gives its interceptors and keeps unique
// for its own statistics.
type audioLosses struct {
	mu     sync.Mutex
	tracks map[audioStream]*UpTrack
}

// audioStream is one audio stream of a publisher's connection.
type audioStream struct {
	conn string
	ssrc uint32
}

func newAudioLosses() *audioLosses { return &audioLosses{tracks: map[audioStream]*UpTrack{}} }

// add has the reports of conn's stream ssrc carry t's subscribers' loss.
func (a *audioLosses) add(conn string, ssrc uint32, t *UpTrack) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tracks[audioStream{conn, ssrc}] = t
}

// remove forgets the stream, if it is still t's.
func (a *audioLosses) remove(conn string, ssrc uint32, t *UpTrack) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if k := (audioStream{conn, ssrc}); a.tracks[k] == t {
		delete(a.tracks, k)
	}
}

func (a *audioLosses) lookup(conn string, ssrc uint32) *UpTrack {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tracks[audioStream{conn, ssrc}]
}

// lossFeedbackFactory makes a lossFeedback per connection.
type lossFeedbackFactory struct{ losses *audioLosses }

// NewInterceptor is called by pion for each new peer connection, with
// its id.
func (f lossFeedbackFactory) NewInterceptor(conn string) (interceptor.Interceptor, error) {
	return &lossFeedback{conn: conn, losses: f.losses}, nil
}

// lossFeedback raises the fraction lost of the receiver reports that
// pion's report interceptor sends for a publisher's audio stream to the
// worst its subscribers recently reported, when that is more. Only the
// fraction changes: the cumulative count of packets lost stays the
// uplink's, which is what a browser's bandwidth estimate reads (libwebrtc
// counts the packets lost between reports), so that downlink loss makes
// the speaker add FEC and does not slow its sending. Registered before
// pion's report interceptor, it wraps the writer that one sends with.
type lossFeedback struct {
	interceptor.NoOp
	conn   string
	losses *audioLosses
}

// BindRTCPWriter looks at each RTCP packet the connection sends; only
// receiver reports, one a stream a second, cost more than a type check.
func (l *lossFeedback) BindRTCPWriter(writer interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			if rr, ok := p.(*rtcp.ReceiverReport); ok {
				l.raise(rr.Reports, time.Now())
			}
		}
		return writer.Write(pkts, a)
	})
}

// raise sets each report's fraction lost to its audio stream's
// subscribers' loss where that is larger.
func (l *lossFeedback) raise(reports []rtcp.ReceptionReport, now time.Time) {
	for i := range reports {
		if t := l.losses.lookup(l.conn, reports[i].SSRC); t != nil {
			reports[i].FractionLost = max(reports[i].FractionLost, t.downlinkLoss(now))
		}
	}
}
