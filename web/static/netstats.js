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
 * worst fraction lost (0..1), the longest round trip and jitter
 * (seconds), with the selected pair's figures.
 */
export function upFigures(report) {
  let loss = 0;
  let rtt = 0;
  let jitter = 0;
  for (const s of report.values()) {
    if (s.type !== 'remote-inbound-rtp') continue;
    loss = Math.max(loss, s.fractionLost ?? 0);
    rtt = Math.max(rtt, s.roundTripTime ?? 0);
    jitter = Math.max(jitter, s.jitter ?? 0);
  }
  const pair = pairFigures(report);
  return { loss, rtt: rtt || pair.rtt, jitter, availableOutgoingBitrate: pair.availableOutgoingBitrate };
}
