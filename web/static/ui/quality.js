// Connection quality: a good/fair/poor badge on every tile and, for the
// curious, a statistics table in the settings dialog. A remote tile's
// quality is how that participant's media reaches us (their uplink and
// our downlink together: loss and jitter of their tracks, the round trip
// to the server); our own tile's is how our sending fares, as the
// server's receiver reports say, and the bandwidth the browser estimates.
import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from '../i18n.js';

// How often the figures are read: often enough to follow a network
// getting worse, rarely enough that getStats costs nothing noticeable.
const INTERVAL = 2000;

// Thresholds, from what people notice in a call (and what Jitsi and
// LiveKit use): some loss is hidden by FEC and NACK, beyond a few percent
// pictures freeze; a round trip over ~300 ms makes people talk over each
// other; jitter over ~50 ms needs a deep buffer, adding delay.
const FAIR = { loss: 0.03, rtt: 0.3, jitter: 0.05, bitrate: 300_000 };
const POOR = { loss: 0.1, rtt: 0.6, jitter: 0.1, bitrate: 120_000 };

/**
 * Rates {loss (0..1), rtt, jitter (seconds), bitrate (bits/s, 0 when
 * unknown)} as 'good', 'fair' or 'poor'.
 */
export function rateQuality({ loss = 0, rtt = 0, jitter = 0, bitrate = 0 }) {
  const over = (limit) => loss > limit.loss || rtt > limit.rtt || jitter > limit.jitter || (bitrate > 0 && bitrate < limit.bitrate);
  if (over(POOR)) return 'poor';
  if (over(FAIR)) return 'fair';
  return 'good';
}

/** Adds a quality badge to a tile's label; returns {set(level)}. */
export function qualityBadge(tile) {
  const badge = h('span', { class: 'tile-quality', role: 'img', hidden: true }, icon('signal'));
  tile.el.querySelector('.tile-label')?.prepend(badge);
  let current = '';
  return {
    set(level) {
      if (level === current) return;
      current = level;
      badge.hidden = !level;
      badge.dataset.level = level;
      const label = level ? t(`quality.${level}`) : '';
      badge.setAttribute('aria-label', label);
      badge.title = label;
    },
  };
}

export class QualityMonitor {
  /**
   * @param {import('../session.js').Session} session
   * @param {(id: string) => ({set: (level: string) => void} | undefined)} badgeOf  '' is our own tile
   */
  constructor(session, badgeOf) {
    this.session = session;
    this.badgeOf = badgeOf;
    this.previous = new Map(); // participant -> {received, lost}
    this.rows = []; // the last figures, for the statistics table
    this.onUpdate = null;
    this.timer = setInterval(() => this.poll(), INTERVAL);
  }

  async poll() {
    try {
      const stats = await this.session.stats();
      const up = await this.session.upQuality();
      this.rows = this.measure(stats, up);
      for (const row of this.rows) this.badgeOf(row.id)?.set(row.level);
      this.onUpdate?.(this.rows, stats);
    } catch {
      /* the session may be closing */
    }
  }

  /** One row per participant (ours first, id ''), with the figures rated. */
  measure(stats, up) {
    const rtt = stats.path?.rtt ?? 0;
    const rows = [];
    if (up) {
      rows.push({ id: '', loss: up.loss, rtt: up.rtt, jitter: up.jitter, bitrate: up.availableOutgoingBitrate, level: rateQuality({ ...up, bitrate: up.availableOutgoingBitrate }) });
    }
    const seen = new Set();
    for (const id of this.session.participants.keys()) {
      const tracks = [...stats.video, ...stats.audio].filter((s) => s.participant === id && !s.screen);
      if (tracks.length === 0) continue;
      seen.add(id);
      const received = tracks.reduce((n, s) => n + s.packetsReceived, 0);
      const lost = tracks.reduce((n, s) => n + s.packetsLost, 0);
      const before = this.previous.get(id) || { received: 0, lost: 0 };
      this.previous.set(id, { received, lost });
      const expected = received - before.received + lost - before.lost;
      const loss = expected > 0 ? Math.max(0, lost - before.lost) / expected : 0;
      const jitter = Math.max(0, ...tracks.map((s) => s.jitter));
      const video = stats.video.find((s) => s.participant === id && !s.screen);
      rows.push({
        id, loss, rtt, jitter, level: rateQuality({ loss, rtt, jitter }),
        width: video?.frameWidth ?? 0, height: video?.frameHeight ?? 0, fps: video?.framesPerSecond ?? 0,
      });
    }
    for (const id of this.previous.keys()) if (!seen.has(id)) this.previous.delete(id);
    return rows;
  }

  destroy() {
    clearInterval(this.timer);
  }
}

/**
 * The statistics section of the settings dialog: a table of the last
 * figures, with names from nameOf(id). Returns {el, update(rows, stats)}.
 */
export function statsPanel(nameOf) {
  const body = h('tbody');
  const path = h('p', { class: 'stats-path' });
  const head = h('tr', {}, ['stats.who', 'stats.quality', 'stats.loss', 'stats.jitter', 'stats.rtt', 'stats.video']
    .map((key) => h('th', { scope: 'col', text: t(key) })));
  const el = h('details', { class: 'stats' },
    h('summary', { text: t('stats.title') }),
    path,
    h('div', { class: 'stats-scroll' }, h('table', { class: 'stats-table' }, h('thead', {}, head), body)));
  const ms = (s) => `${Math.round(s * 1000)} ms`;
  return {
    el,
    update(rows, stats) {
      if (!el.open) return;
      const pair = stats.candidatePair;
      const parts = [];
      if (pair) parts.push(t(pair.relayed ? 'stats.relayed' : 'stats.direct', { protocol: pair.local?.protocol ?? '' }));
      const mine = rows.find((r) => r.id === '');
      if (mine?.bitrate) parts.push(t('stats.upload', { kbps: Math.round(mine.bitrate / 1000) }));
      path.textContent = parts.join(' · ');
      body.replaceChildren(...rows.map((r) => h('tr', {},
        h('th', { scope: 'row', text: r.id ? nameOf(r.id) : t('stats.you') }),
        h('td', { text: t(`quality.${r.level}`) }),
        h('td', { text: `${(r.loss * 100).toFixed(1)} %` }),
        h('td', { text: ms(r.jitter) }),
        h('td', { text: r.rtt ? ms(r.rtt) : '–' }),
        h('td', { text: r.width ? `${r.width}×${r.height} ${Math.round(r.fps)} fps` : '–' }))));
    },
  };
}
