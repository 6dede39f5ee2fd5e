# Turns `perf script -F ip,sym` of a Plenum server (perf record -g) into
# a table of where its CPU went: each sample goes to the first stage, in
# the order below, that one of its stack's frames belongs to, so stages
# do not overlap (the kernel's sends count as sends wherever they are
# made from). Each row gives the stage's share of the samples and that
# share of `us`, the server's µs of CPU per forwarded packet in the same
# scenario. Used by scripts/bench.
#
#   perf script -F ip,sym -i perf.data | awk -v us=9.4 -f scripts/bench-breakdown.awk
BEGIN {
	split("rx send pion fan rtcp recv gc sched", tmp, " ")
	for (i in tmp) rank[tmp[i]] = i
	n = split("rx send pion fan rtcp recv gc sched", order, " ")
	name["rx"] = "the receiving socket's delivery (loopback: in the sender's system call)"
	name["send"] = "the kernel's sends, without the receiver's delivery"
	name["pion"] = "pion's SRTP, mux and ICE below the SFU's writers"
	name["fan"] = "the SFU's own fan-out (rewrite, reports, numbering, resend log)"
	name["rtcp"] = "RTCP from subscribers and publishers"
	# A packet received crosses five goroutines: ICE's socket reader, the
	# candidate's, the DTLS/SRTP demultiplexer's, SRTP's and the track's.
	name["recv"] = "receiving: socket, ICE, SRTP decryption, five goroutines' hand-offs"
	name["gc"] = "garbage collection"
	name["sched"] = "Go's scheduler and network poller"
	name["rest"] = "everything else (timers, ICE and DTLS, signaling, metrics)"
}
function stage(sym) {
	if (sym == "net_rx_action") return "rx"
	if (sym ~ /^__sys_send(mmsg|to|msg)$/) return "send"
	if (sym ~ /pion\/webrtc\/v4\.\(\*srtpWriterFuture\)\.WriteRTP$/) return "pion"
	if (sym ~ /plenum\/sfu\.\(\*UpTrack\)\.fanOut$/) return "fan"
	if (sym ~ /plenum\/sfu\.\(\*DownTrack\)\.readRTCP$|plenum\/sfu\.\(\*UpTrack\)\.drainRTCP$|pion\/srtp\/v3\.\(\*SessionSRTCP\)\.decrypt$/) return "rtcp"
	if (sym ~ /UDPMuxDefault\)\.connWorker$|candidateBase\)\.start\.gowrap1$|mux\.\(\*Mux\)\.readLoop$|srtp\/v3\.\(\*session\)\.start\.func1$|plenum\/sfu\.\(\*UpTrack\)\.forward$/) return "recv"
	if (sym == "runtime.gcBgMarkWorker") return "gc"
	if (sym == "runtime.schedule" || sym == "runtime.sysmon") return "sched"
	return ""
}
# A sample is its frames, leaf first, between blank lines.
/^[ \t]+[0-9a-f]+ / {
	sym = $2; for (i = 3; i <= NF; i++) sym = sym " " $i
	sub(/ \(.*\)$/, "", sym)
	s = stage(sym)
	if (s != "" && (best == "" || rank[s] < rank[best])) best = s
	frames++
	next
}
{ done() }
function done() {
	if (frames) { total++; count[best == "" ? "rest" : best]++ }
	frames = 0; best = ""
}
END {
	done()
	for (i = 1; i <= n; i++) row(name[order[i]], count[order[i]])
	row(name["rest"], count["rest"])
}
function row(label, c) {
	share = total > 0 ? 100 * c / total : 0
	printf "| %s | %.0f %% | %.2f |\n", label, share, share * us / 100
}
