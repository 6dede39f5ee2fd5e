# Turns `perf report --children --sort sym -g none --stdio` of a Plenum
# server into a table of where its CPU went: one row per stage, its share
# of the samples (children of the stage's entry point, so a stage's
# callees count in it) and that share of `us`, the server's µs of CPU per
# forwarded packet in the same scenario. Used by scripts/bench.
#
#   perf report ... | awk -v us=9.4 -f scripts/bench-breakdown.awk
function pct(sym) { return (sym in c) ? c[sym] : 0 }
/%/ && $3 ~ /^\[[.k]\]$/ {
	v = $1; sub(/%/, "", v)
	s = $4; for (i = 5; i <= NF; i++) s = s " " $i
	if (!(s in c)) c[s] = v + 0
}
END {
	send = pct("__sys_sendmmsg") + pct("__sys_sendto") + pct("__sys_sendmsg")
	rx = pct("net_rx_action")
	pion = pct("github.com/pion/webrtc/v4.(*srtpWriterFuture).WriteRTP")
	fan = pct("github.com/plenum-meet/plenum/sfu.(*UpTrack).fanOut")
	rel = pct("github.com/plenum-meet/plenum/sfu.(*Engine).release")
	fwd = pct("github.com/plenum-meet/plenum/sfu.(*UpTrack).forward")
	# A packet received crosses five goroutines: ICE's socket reader, the
	# candidate's, the DTLS/SRTP demultiplexer's, SRTP's and the track's.
	recv = pct("github.com/pion/ice/v4.(*UDPMuxDefault).connWorker") + pct("github.com/pion/ice/v4.(*candidateBase).start.gowrap1") \
		+ pct("github.com/pion/webrtc/v4/internal/mux.(*Mux).readLoop") + pct("github.com/pion/srtp/v3.(*session).start.func1") + (fwd - fan)
	rtcp = pct("github.com/plenum-meet/plenum/sfu.(*DownTrack).readRTCP") + pct("github.com/plenum-meet/plenum/sfu.(*UpTrack).drainRTCP") + pct("github.com/pion/srtp/v3.(*SessionSRTCP).decrypt")
	sched = pct("runtime.schedule") + pct("runtime.sysmon")
	gc = pct("runtime.gcBgMarkWorker")
	row("the kernel's sends, without the receiver's delivery", send - rx)
	row("the receiving socket's delivery (loopback: in the sender's system call)", rx)
	row("pion's SRTP, mux and ICE below the SFU's writers", pion)
	row("the SFU's own fan-out (rewrite, reports, numbering, resend log)", fan - rel - pion)
	row("receiving: socket, ICE, SRTP decryption, five goroutines' hand-offs", recv)
	row("RTCP from subscribers and publishers", rtcp)
	row("Go's scheduler and network poller", sched)
	row("garbage collection", gc)
	row("everything else (timers, ICE and DTLS, signaling, metrics)", 100 - (send + pion + (fan - rel - pion) + recv + rtcp + sched + gc))
}
function row(name, share) {
	if (share < 0) share = 0
	printf "| %s | %.0f %% | %.2f |\n", name, share, share * us / 100
}
