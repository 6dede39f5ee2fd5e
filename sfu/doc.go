// Package sfu is Plenum's selective forwarding unit: rooms of participants
// whose published tracks are forwarded, packet by packet, to every other
// participant of the same room.
//
// Words used throughout: an *up* track is a publisher's track arriving at
// the server; a *down* track is the copy of an up track leaving for one
// subscriber. Each participant holds two peer connections, one up (the
// client offers, the server receives) and one down (the server offers,
// the client receives), so that each connection has a single offerer and
// renegotiation can never collide.
//
// The package knows nothing of the wire protocol: a participant talks to
// its client through a [Signaler], which the signaling package implements.
package sfu
