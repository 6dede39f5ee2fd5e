// Package turn is Plenum's embedded TURN server (RFC 8656), built on
// github.com/pion/turn/v5.
//
// It listens for TURN over UDP and TCP on one port (and optionally TURN over
// TLS), relays UDP only, and authenticates clients with the time-limited
// credentials of the TURN REST API as implemented by coturn's
// use-auth-secret / static-auth-secret: the username is
// "<expiry-unix-seconds>:<id>" and the password is
// base64(HMAC-SHA1(secret, username)). Credentials are minted with
// [Credentials] or [Server.ICEServers]; the shared secret is usually kept
// with [LoadOrCreateSecret]. Because the scheme is coturn's, the same
// secret can be given to an external coturn (static-auth-secret=<secret>)
// and clients need no change.
//
// Abuse limits, all enforced by the server itself:
//
//   - allocations are capped per credential id (the part after the first
//     ':' of the username; the whole username when there is none) and in
//     total; the per-id cap is answered with 486 Allocation Quota Reached,
//     the total cap with 508 Insufficient Capacity;
//   - relayed traffic in both directions can be capped in bytes per second
//     for the whole server ([Config].RelayBytesPerSecond); excess datagrams
//     are dropped, as a congested link would. The cap is shared fairly:
//     each credential id relaying is sure of an equal part and may use
//     more only of what the others leave, so one flooding cannot starve
//     the others;
//   - peers in loopback, private (RFC 1918, fc00::/7), shared (RFC 6598),
//     link-local, multicast, unspecified, documentation, benchmarking and
//     other reserved or special-purpose ranges are refused (403 Forbidden for
//     CreatePermission), like coturn's recommended denied-peer-ip list and
//     LiveKit's embedded TURN. [Config].AllowPeers are exempt, and so are
//     the addresses of [Config].OwnAddrs (the SFU's own media sockets, which
//     an embedded TURN must always reach), but only at their ports: a
//     permission is by address, so datagrams to other ports of such an
//     address are dropped;
//   - TCP relaying (RFC 6062) is not offered: browsers never request it and
//     it would turn the server into a general TCP proxy.
//
// [Server.SelfCheck] proves end to end that relaying works by allocating
// against the running server and echoing a datagram through the relay.
package turn
