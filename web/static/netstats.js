// Connection figures from getStats() for the quality indicators and the
// statistics panel: what is lost, how late and how much arrives, and
// what the browser estimates the path can carry.

/** Loss and delay counters of an inbound-rtp report (cumulative). */
export function inboundCounters(s) {
  return {
    packetsReceived: s.packetsReceived ?? 0,
    packetsLost: Math.max(0, s.packetsLost ?? 0),
    jitter: s.jitter ?? 0, // seconds
    framesPerSecond: s.framesPerSecond ?? 0,
  };
}

/**
 * Round-trip time (seconds) and the browser's bandwidth estimates
 * (bits/s, 0 if unknown) of the selected candidate pair.
 */
export function pairFigures(report) {
  for (const s of report.values()) {
    if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
    const pair = report.get(s.selectedCandidatePairId);
    if (pair) return figures(pair);
  }
  for (const s of report.values()) {
    if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) return figures(s);
  }
  return { rtt: 0, availableOutgoingBitrate: 0, availableIncomingBitrate: 0 };
}

function figures(pair) {
  return {
    rtt: pair.currentRoundTripTime ?? 0,
    availableOutgoingBitrate: pair.availableOutgoingBitrate ?? 0,
    availableIncomingBitrate: pair.availableIncomingBitrate ?? 0,
  };
}

/**
 * What the server reports of our own sending (remote-inbound-rtp): the
 * share of the packets sent since `before` that its reports count lost,
 * the longest round trip and jitter (seconds), with the selected pair's
 * figures, and the `counts` to give as `before` next time. The loss is
 * taken from the reports' cumulative counts, not from their fraction
 * lost: the server raises that of our audio to the worst loss its
 * listeners report, so that Opus adds FEC for them (README), and a
 * listener's bad Wi-Fi is not our connection's loss.
 */
export function upFigures(report, before = { lost: 0, sent: 0 }) {
  let lost = 0;
  let sent = 0;
  let rtt = 0;
  let jitter = 0;
  for (const s of report.values()) {
    if (s.type !== 'remote-inbound-rtp') continue;
    lost += Math.max(0, s.packetsLost ?? 0);
    sent += report.get(s.localId)?.packetsSent ?? 0;
    rtt = Math.max(rtt, s.roundTripTime ?? 0);
    jitter = Math.max(jitter, s.jitter ?? 0);
  }
  const newlySent = sent - before.sent;
  const loss = newlySent > 0 ? Math.min(1, Math.max(0, lost - before.lost) / newlySent) : 0;
  const pair = pairFigures(report);
  return { loss, rtt: rtt || pair.rtt, jitter, availableOutgoingBitrate: pair.availableOutgoingBitrate, counts: { lost, sent } };
}
