// window.plenum: a small, stable hook for automated tests and debugging.
import { store } from './store.js';
import { recentAnnouncements } from './ui/announcer.js';

const EMPTY_STATS = { video: [], audio: [], candidatePair: null };

export function installHook() {
  window.plenum = {
    /** landing, prejoin, joining, lobby, password, joined, left or error. */
    get state() {
      return store.state;
    },
    /** Our participant id once joined (kept after leaving), else null. */
    get id() {
      return store.session?.id ?? null;
    },
    /** Reconnections so far: {lost, resumed, rejoined, iceRestarts} (reconnect.js). */
    get reconnects() {
      const counts = store.session?.reconnector?.counts;
      return counts ? { ...counts } : null;
    },
    /** {code, reason} of the last fatal error, or null. */
    get lastError() {
      return store.lastError ? { ...store.lastError } : null;
    },
    /** The other participants currently in the meeting. */
    participants() {
      const s = store.session;
      if (!s || s.phase !== 'joined') return [];
      return [...s.participants.values()].map(({ id, name, audioMuted, videoMuted, role, reconnecting }) => ({ id, name, audioMuted, videoMuted, role, reconnecting }));
    },
    /** Our role once joined (moderator, participant, viewer), else ''. */
    get role() {
      return store.session?.access.role ?? '';
    },
    /** Whether our microphone and camera are off: {audio, video}. */
    get muted() {
      const m = store.session?.media;
      return m ? { audio: !m.micOn, video: !m.camOn } : { audio: true, video: true };
    },
    /** The room's settings as the server last sent them (room-state). */
    get room() {
      return store.session ? { ...store.session.access.state } : null;
    },
    /** People waiting in the lobby, for moderators: [{id, name}]. */
    lobby() {
      return store.session ? store.session.access.waitingList() : [];
    },
    /** The Markdown of the last minutes exported, or null. */
    get minutes() {
      return store.lastMinutes ?? null;
    },
    /**
     * The chat as this page holds it: {messages: [{id, from, name, to,
     * text}], unread}; empty before joining.
     */
    chat() {
      const c = store.session?.chat;
      if (!c) return { messages: [], unread: 0 };
      return { messages: c.messages.map(({ id, from, name, to, text }) => ({ id, from, name, to, text })), unread: c.unread };
    },
    /** The last screen-reader announcements (at most 20), oldest first. */
    announcements() {
      return [...recentAnnouncements];
    },
    /** Receive statistics of the down connection (see peer.js). */
    async stats() {
      const s = store.session;
      if (!s) return { ...EMPTY_STATS };
      const { video, audio, candidatePair } = await s.stats();
      return {
        video,
        audio: audio.map(({ participant, packetsReceived }) => ({ participant, packetsReceived })),
        candidatePair,
      };
    },
    /**
     * What our camera sends, one entry per simulcast encoding (low to
     * high): [{rid, frameWidth, frameHeight, bytesSent, active}] from the
     * up connection's outbound-rtp reports; active is whether the encoding
     * is enabled (the server's `layers`). [] when not sending.
     */
    async sentLayers() {
      const s = store.session;
      if (!s) return [];
      return s.sentLayers();
    },
    /**
     * The session descriptions in effect, for tests of what was
     * negotiated: {up: {local, remote}, down: {local, remote}}, '' where
     * there is none.
     */
    descriptions() {
      const s = store.session;
      const of = (peer) => ({
        local: peer?.pc.currentLocalDescription?.sdp ?? '',
        remote: peer?.pc.currentRemoteDescription?.sdp ?? '',
      });
      return { up: of(s?.up), down: of(s?.down) };
    },
    /**
     * What our microphone sends, {packetsSent, bytesSent, fractionLost}
     * (the server's last report), or null when not sending.
     */
    async audioSent() {
      const s = store.session;
      return s ? s.audioSent() : null;
    },
    /** How our sending fares, as our own tile's badge rates it: {loss, rtt, jitter, availableOutgoingBitrate}, or null. */
    async upQuality() {
      const s = store.session;
      return s ? s.upQuality() : null;
    },
    /** What our screen share sends ({frameWidth, frameHeight, bytesSent}), or null when not sharing. */
    async screenSent() {
      const s = store.session;
      if (!s) return null;
      return s.screenSent();
    },
    /** The layout: {mode, featured: [keys in the spotlight], pinned}; a screen's key is "<id>~screen". */
    layout() {
      const l = store.layout;
      if (!l) return null;
      return { mode: l.mode, featured: l.featured(), pinned: l.pinned };
    },
  };
}
