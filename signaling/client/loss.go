package client

import (
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// LossClaim makes a client's receiver reports claim a loss of their
// streams other than the true one, as a subscriber on a lossy downlink
// reports it: tests of what the server does with the loss subscribers
// report, without losing packets. Its zero value claims nothing.
type LossClaim struct {
	fraction atomic.Int32 // in 256ths; -1 or 0 before Set: the true loss
	set      atomic.Bool
}

// Set has every reception report the client sends from now on say
// fraction (in 256ths, RFC 3550) of the packets were lost.
func (l *LossClaim) Set(fraction uint8) {
	l.fraction.Store(int32(fraction))
	l.set.Store(true)
}

// Clear has the reports say the true loss again.
func (l *LossClaim) Clear() { l.set.Store(false) }

// lossClaimFactory makes the interceptor that rewrites a connection's
// reports, registered before pion's report interceptors so that it
// wraps the writer they send with.
type lossClaimFactory struct{ claim *LossClaim }

// NewInterceptor is called by pion for each new peer connection.
func (f lossClaimFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossClaimer{claim: f.claim}, nil
}

type lossClaimer struct {
	interceptor.NoOp
	claim *LossClaim
}

// BindRTCPWriter sets the fraction lost of the reports sent, if claimed.
func (l *lossClaimer) BindRTCPWriter(writer interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		if l.claim.set.Load() {
			fraction := uint8(l.claim.fraction.Load()) //nolint:gosec // set from a uint8
			for _, p := range pkts {
				if rr, ok := p.(*rtcp.ReceiverReport); ok {
					for i := range rr.Reports {
						rr.Reports[i].FractionLost = fraction
					}
				}
			}
		}
		return writer.Write(pkts, a)
	})
}

// reportedLoss is what the server's receiver reports said of the loss
// of one of the client's published streams.
type reportedLoss struct {
	fraction atomic.Uint32 // of the last report, in 256ths
	reports  atomic.Int64
}

// note keeps the fraction lost of each reception report in pkts.
func (r *reportedLoss) note(pkts []rtcp.Packet) {
	for _, p := range pkts {
		if rr, ok := p.(*rtcp.ReceiverReport); ok {
			for _, b := range rr.Reports {
				r.fraction.Store(uint32(b.FractionLost))
				r.reports.Add(1)
			}
		}
	}
}

// ReportedLoss is the fraction lost (in 256ths) that the server's last
// receiver report gave the client's published audio or video (of any
// of its layers), and how many reports came.
func (c *Client) ReportedLoss(kind webrtc.RTPCodecType) (fraction uint8, reports int64) {
	r := &c.videoLoss
	if kind == webrtc.RTPCodecTypeAudio {
		r = &c.audioLoss
	}
	return uint8(r.fraction.Load()), r.reports.Load() //nolint:gosec // stored from a uint8
}

// watchAudioReports notes the server's receiver reports of the audio
// sent by sender until it stops.
func (c *Client) watchAudioReports(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		c.audioLoss.note(pkts)
	}
}
