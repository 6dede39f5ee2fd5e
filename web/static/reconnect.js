// Automatic reconnection (signaling/PROTOCOL.md, "Resuming a session").
//
// When the signaling socket breaks in a meeting, the session keeps its
// peer connections and opens new sockets, backing off, until the server
// takes it back with `resume` and the welcome's token: same id, same
// media, the room resynced, ICE restarted where connectivity was lost.
// When the server refuses (too late, or it restarted and knows no token)
// the session joins afresh on its own, with the same room and name.
// A peer connection that fails while signaling works is restarted too,
// and, still failed when the grace is over (the server removes us then),
// the session joins afresh as well rather than ending the meeting.
//
// The session reports `reconnecting` when it starts and `reconnected`
// ({resumed: bool}) when it is back; meanwhile its phase is
// 'reconnecting' (nothing is sent, what the UI asks is resent after).

import { Signaling } from './signaling.js';
import { SCREEN_SUFFIX } from './peer.js';

// Delays before each attempt, then the last one again: quick for a blip,
// gentle on a server that is restarting.
const BACKOFF = [0, 500, 1000, 2000, 4000, 5000];
// After this long without getting back in, the session ends.
const GIVE_UP = 120_000;
// A socket that opened but got no welcome this long after is abandoned.
const ATTEMPT_TIMEOUT = 10_000;
// The server's resume grace until a welcome tells it (resumeGrace).
const DEFAULT_GRACE = 20_000;

// A failed peer connection is restarted only if still failed this long
// after: Chromium reports the up connection failed for an instant when
// it applies the answer to our own ICE restart's offer (the old
// generation's pairs have failed, the new one has no remote candidate
// yet), and that must not restart it once more.
const FAILURE_SETTLE = 500;

// Media lost past the grace is rejoined at most this often: a meeting
// whose media keeps failing soon after joining (a network that lets the
// connection up and then drops it) ends with the error, for the user to
// see, rather than joining over and over.
const MEDIA_REJOIN_EVERY = 120_000;

const lostICE = (pc) => ['disconnected', 'failed'].includes(pc.iceConnectionState)
  || ['disconnected', 'failed'].includes(pc.connectionState);

export class Reconnector {
  /** @param {import('./session.js').Session} session */
  constructor(session) {
    this.session = session;
    this.token = '';
    this.grace = DEFAULT_GRACE;
    this.active = false;
    this.mode = 'resume'; // or 'join'
    this.attempt = 0;
    this.since = 0;
    this.timer = 0;
    this.counts = { lost: 0, resumed: 0, rejoined: 0, iceRestarts: 0 };
    this.mediaRejoinedAt = -Infinity;
    this.onOnline = () => this.retryNow();
  }

  /** Remembers the resume token of every welcome. */
  welcomed(msg) {
    if (typeof msg.resume === 'string') this.token = msg.resume;
    if (Number.isFinite(msg.resumeGrace) && msg.resumeGrace > 0) this.grace = msg.resumeGrace;
    if (this.active && !msg.resumed) this.finish(false); // a fresh join got in
  }

  /**
   * The current socket closed. Returns true when reconnecting takes it
   * in hand (in a meeting, or already reconnecting).
   */
  socketClosed() {
    if (this.active) {
      this.schedule();
      return true;
    }
    if (this.session.phase !== 'joined') return false;
    this.begin();
    this.schedule();
    return true;
  }

  /** Starts reconnecting (the caller schedules the first attempt). */
  begin() {
    const s = this.session;
    this.active = true;
    this.counts.lost += 1;
    this.since = Date.now();
    this.attempt = 0;
    this.mode = this.token ? 'resume' : 'join';
    s.phase = 'reconnecting';
    window.addEventListener('online', this.onOnline);
    console.warn('plenum: signaling lost, reconnecting');
    s.emit('reconnecting', {});
  }

  /**
   * Handles a message while reconnecting; returns true if it did. Only
   * a welcome or an error can come before the session is back.
   */
  handle(msg) {
    const s = this.session;
    if (msg.type === 'error' && msg.code === 'server-shutdown' && (this.active || s.phase === 'joined')) {
      // The server is restarting: it will know no token, so join again
      // once it is back. The socket closes next, and that schedules.
      console.warn('plenum: the server is restarting, joining again when it is back');
      if (!this.active) this.begin();
      this.token = '';
      this.mode = 'join';
      return true;
    }
    if (msg.type === 'error' && msg.code === 'media-failed' && !this.active && s.phase === 'joined') {
      // The server gave up on our media after its grace: we are no
      // longer in the meeting, but may join it again.
      return this.rejoinForMedia(msg.reason);
    }
    if (!this.active) return false;
    if (msg.type === 'error' && msg.code === 'resume-failed') {
      console.warn('plenum: resume refused, joining again:', msg.reason);
      this.mode = 'join';
      this.attempt = 0;
      return true; // the server closes the socket: the next attempt joins
    }
    if (s.phase === 'reconnecting') {
      if (msg.type === 'welcome' && msg.resumed) this.resumed(msg);
      return msg.type !== 'error';
    }
    return false;
  }

  schedule() {
    const s = this.session;
    clearTimeout(this.timer);
    if (Date.now() - this.since > GIVE_UP) {
      this.stop();
      s.fail('connection-lost', 'could not reconnect to the server');
      return;
    }
    const delay = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  retryNow() {
    if (!this.active) return;
    this.attempt = 0;
    this.schedule();
  }

  async connect() {
    const s = this.session;
    if (!this.active || s.phase === 'ended') return;
    // Resuming is tried however long we have been away, until the server
    // refuses (resume-failed): its grace runs from when it noticed the
    // loss, which may be long after we did (a path that died without a
    // word, noticed at its read timeout). Joining afresh while it still
    // holds us would put us in the meeting twice, our ballots with us.
    const sig = new Signaling({
      onMessage: (msg) => s.handle(msg),
      onClose: (info) => {
        if (s.sig === sig) s.socketClosed(info);
      },
      onFailure: (err) => s.fail('media-failed', err?.message || String(err)),
    });
    sig.only = new Set(['resume', 'join', 'ping']);
    s.sig?.close();
    s.sig = sig;
    try {
      await sig.connect();
    } catch {
      return; // onClose schedules the next attempt
    }
    if (s.sig !== sig || !this.active) return;
    // A socket that opens but never answers is given up for a new one
    // (waiting in the lobby after joining again is an answer).
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (s.sig === sig && this.active && s.phase !== 'lobby') {
        sig.close();
        this.schedule();
      }
    }, ATTEMPT_TIMEOUT);
    if (this.mode === 'resume') {
      sig.send({ type: 'resume', version: 1, room: s.room, participant: s.id, token: this.token });
    } else {
      this.resetForJoin();
      sig.send(s.joinMessage());
    }
  }

  /** The server took us back: same id, same peer connections. */
  resumed(msg) {
    const s = this.session;
    s.phase = 'joined';
    s.sig.only = null;
    s.answersDue = 0; // what was due on the old socket is lost with it
    this.welcomed(msg);
    s.access.resumed();
    // A moderator may have changed our role while we were away: the
    // welcome says so, and no role message follows. Taken as one, so that
    // every module (the controls, the assembly) catches up; a viewer's up
    // connection closes rather than being restarted below.
    if (typeof msg.role === 'string' && msg.role !== s.access.role) void s.handle({ type: 'role', role: msg.role });
    const now = new Map((Array.isArray(msg.participants) ? msg.participants : []).map((p) => [p?.id, p]));
    for (const id of [...s.participants.keys()]) if (!now.has(id)) s.remove(id);
    for (const p of now.values()) s.upsert(p, 'participant-joined');
    this.restartLostMedia();
    // What we sent into the dead socket may be lost: send it again.
    s.sentMute = null;
    s.syncMedia();
    for (const [key, view] of s.sentViews) {
      if (s.pendingViews.has(key)) continue;
      const screen = key.endsWith(SCREEN_SUFFIX);
      const participant = screen ? key.slice(0, -SCREEN_SUFFIX.length) : key;
      s.pendingViews.set(key, { participant, screen, ...view });
    }
    s.flushViews();
    this.finish(true);
  }

  /** Restarts ICE where connectivity was lost, and redoes an unanswered up offer. */
  restartLostMedia() {
    const s = this.session;
    if (s.down && lostICE(s.down.pc)) this.restartDown();
    // A viewer's up connection is closed, not restarted: the server
    // ignores a viewer's offers.
    if (s.up && !s.access.viewer && (lostICE(s.up.pc) || s.up.pc.signalingState !== 'stable')) this.restartUp(lostICE(s.up.pc));
  }

  restartDown() {
    this.counts.iceRestarts += 1;
    this.session.sig.send({ type: 'ice-restart', pc: 'down' });
  }

  restartUp(ice) {
    const s = this.session;
    if (ice) {
      this.counts.iceRestarts += 1;
      s.up.pc.restartIce();
    }
    // An answer lost with the old socket will not come.
    s.upAnswered?.();
    s.upAnswered = null;
    s.syncing = s.syncing.then(() => s.phase === 'joined' && s.up && s.offerUp())
      .catch((err) => console.warn('plenum: ICE restart failed', err));
  }

  /**
   * A peer connection failed while signaling works: restart its ICE if
   * it is still failed a moment later, and join afresh if it is still
   * failed after the server's grace (rejoinForMedia). Returns true when
   * it takes the failure in hand.
   */
  mediaFailed(name) {
    const s = this.session;
    if (this.active) return true; // restarted once the session is back
    if (s.phase !== 'joined') return false;
    const current = () => (name === 'down' ? s.down : s.up);
    // Only this connection counts: one a rejoin made since is not ours.
    const peer = current();
    const failed = () => s.phase === 'joined' && peer && peer === current() && peer.pc.connectionState === 'failed';
    s.later(FAILURE_SETTLE, () => {
      if (this.active || !failed()) return;
      if (name === 'down') this.restartDown();
      else if (!s.access.viewer) this.restartUp(true);
    });
    s.later(this.grace, () => {
      if (!failed()) return;
      const reason = `${name} connection failed`;
      // The server removes us now too; tell it, so others see us go at once.
      s.sig?.send({ type: 'leave' });
      if (!this.rejoinForMedia(reason)) s.fail('media-failed', reason, true);
    });
    return true;
  }

  /**
   * Media stayed lost past the grace, so the server has removed us (or
   * is about to): join afresh, as after a refused resume, unless that
   * was done for the same reason lately. Returns true when it rejoins.
   */
  rejoinForMedia(reason) {
    if (Date.now() - this.mediaRejoinedAt < MEDIA_REJOIN_EVERY) return false;
    this.mediaRejoinedAt = Date.now();
    console.warn('plenum: media lost past the grace, joining again:', reason);
    this.begin();
    this.token = '';
    this.mode = 'join';
    this.schedule();
    return true;
  }

  /**
   * Forgets the connections of a session the server no longer knows:
   * the next welcome builds everything again.
   */
  resetForJoin() {
    const s = this.session;
    s.phase = 'joining';
    s.up?.close();
    s.down?.close();
    s.up = null;
    s.down = null;
    s.upAnswered?.();
    s.upAnswered = null;
    s.answersDue = 0;
    s.participants.clear();
    s.tracks.clear();
    s.sentMute = null;
    s.sentViews.clear();
    s.pendingViews.clear();
    s.unstable.clear();
    s.speaker = '';
    // What the old session was told of the meeting goes too (the
    // assembly listens to `reset`): the welcome and what follows it say
    // all there is. The chat stays, as a record of what was said.
    s.access.reset();
    s.emit('reset', {});
  }

  finish(resumed) {
    clearTimeout(this.timer);
    if (this.session.sig) this.session.sig.only = null;
    this.active = false;
    window.removeEventListener('online', this.onOnline);
    if (resumed) this.counts.resumed += 1;
    else this.counts.rejoined += 1;
    console.warn(`plenum: reconnected (${resumed ? 'resumed' : 'joined again'})`);
    this.session.emit('reconnected', { resumed });
  }

  /** Stops trying (the session ends). */
  stop() {
    clearTimeout(this.timer);
    this.active = false;
    window.removeEventListener('online', this.onOnline);
  }
}
