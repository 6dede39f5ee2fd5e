// Package bench is Plenum's load generator: it fills rooms of a running
// server (or one it starts itself) with synthetic participants that are
// real pion peers, publishers sending VP8-shaped video and Opus-sized
// audio with their send time in every packet, and subscribers counting
// what arrives. It measures what the server forwards, what is lost, how
// late packets arrive, and what the server spends on them: CPU time per
// forwarded packet and memory per participant.
//
// Run measures one scenario; Report turns saved results into a table.
// Every loop of a run is bounded in count and in time.
package bench

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Limits that keep a run bounded whatever the flags say.
const (
	// MaxDuration caps the measured part of a run.
	MaxDuration = 10 * time.Minute
	// MaxParticipants caps the participants of a run, all rooms together.
	MaxParticipants = 2000
	// joinTimeout bounds one participant's join, welcome included.
	joinTimeout = 15 * time.Second
	// settleBase and settlePerJoin bound the wait for every track to
	// reach every subscriber once all have joined.
	settleBase    = 10 * time.Second
	settlePerJoin = 50 * time.Millisecond
	settleMax     = 90 * time.Second
	// leaveTimeout bounds closing the participants at the end.
	leaveTimeout = 30 * time.Second
)

// Defaults of Config's zero fields.
const (
	DefaultDuration = 20 * time.Second
	DefaultWarmup   = 2 * time.Second
	DefaultRamp     = 20 // joins per second
	DefaultProgress = time.Second
)

// Config is one scenario.
type Config struct {
	// URL is the server: its page (http://host:port/) or its signaling
	// WebSocket (ws://host:port/_/ws).
	URL string
	// MetricsURL is where the server's Prometheus metrics are; empty
	// means /metrics at URL's host.
	MetricsURL string
	// ServerPID, if not zero, is the server's process, whose CPU time and
	// resident memory are read from /proc when the metrics cannot be.
	ServerPID int
	// InProcess says the server runs in this process, so that its CPU
	// and memory figures include the load generator's.
	InProcess bool

	// Rooms, and per room Publishers and Subscribers. Publishers also
	// receive each other; subscribers publish nothing.
	Rooms, Publishers, Subscribers int
	// Duration is how long to measure, after everybody has joined and
	// media flows (default DefaultDuration, at most MaxDuration).
	Duration time.Duration
	// Warmup is how long to let media flow before measuring (default
	// DefaultWarmup).
	Warmup time.Duration
	// Bitrate is each publisher's video bitrate in bits per second (of
	// the full layer with Simulcast); zero is the client's default,
	// about 720 kbit/s.
	Bitrate int
	// Simulcast makes publishers send three layers.
	Simulcast bool
	// Relay makes every participant send and receive through the
	// server's TURN relays only, as behind a firewall that lets nothing
	// else through: each packet then crosses the TURN server both ways.
	Relay bool
	// TCP makes every participant use ICE over TCP only, as behind a
	// firewall that blocks UDP (the server must listen: --tcp-port).
	TCP bool
	// ViewHeight, if not zero, is the height at which every receiver
	// shows every publisher's video; with Simulcast it chooses the layer
	// (180 gets the quarter layer, as a gallery of small tiles would).
	ViewHeight int
	// Ramp is how many participants join per second (default DefaultRamp).
	Ramp float64
	// Interfaces restricts the clients' ICE candidates (default "lo").
	Interfaces []string

	// Progress, if set, receives a line of live figures every
	// ProgressEvery (default DefaultProgress).
	Progress      io.Writer
	ProgressEvery time.Duration
}

func (c *Config) setDefaults() error {
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Ramp == 0 {
		c.Ramp = DefaultRamp
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = DefaultProgress
	}
	if len(c.Interfaces) == 0 {
		c.Interfaces = []string{"lo"}
	}
	switch {
	case c.URL == "":
		return errors.New("no server URL")
	case c.Rooms < 1:
		return errors.New("at least one room")
	case c.Publishers < 1:
		return errors.New("at least one publisher per room")
	case c.Subscribers < 0:
		return errors.New("subscribers cannot be negative")
	case c.Rooms*(c.Publishers+c.Subscribers) > MaxParticipants:
		return fmt.Errorf("%d participants: at most %d", c.Rooms*(c.Publishers+c.Subscribers), MaxParticipants)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("duration %v: between 0 and %v", c.Duration, MaxDuration)
	case c.Warmup < 0 || c.Warmup > time.Minute:
		return fmt.Errorf("warm-up %v: between 0 and 1m", c.Warmup)
	case c.Ramp < 0.1 || c.Ramp > 1000:
		return fmt.Errorf("ramp %v joins/s: between 0.1 and 1000", c.Ramp)
	case c.Bitrate < 0 || c.Bitrate > 50_000_000:
		return fmt.Errorf("bitrate %d: between 0 and 50 Mbit/s", c.Bitrate)
	case c.ProgressEvery < 100*time.Millisecond:
		return errors.New("progress interval under 100ms")
	}
	return nil
}

// participants is the number of participants of the whole run.
func (c *Config) participants() int { return c.Rooms * (c.Publishers + c.Subscribers) }

// tracksExpected is the number of (receiver, publisher, kind) streams:
// everybody receives the audio and video of every publisher but itself.
func (c *Config) tracksExpected() int {
	perRoom := c.Publishers*(c.Publishers-1) + c.Subscribers*c.Publishers
	return 2 * perRoom * c.Rooms
}
