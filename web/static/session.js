// One meeting session: the signaling socket, the two peer connections and
// the list of other participants. UI-free: it reports through events
//   welcome, participant-joined, participant-updated, participant-left,
//   track, track-removed, local (our mute state), unstable, fatal, ended,
//   speaker (the dominant speaker's id, '' for nobody),
//   message (any other server message, for feature modules),
//   reconnecting, reconnected ({resumed}), reset (we join afresh: what
//   the server said of the meeting is void) (see reconnect.js),
//   lobby (we wait to be admitted); and access.js's events (role,
//   room-state, muted, lobby-changed…).
// A track's kind is audio, video, screen or screenAudio (a screen share).
// The UI tells it how it shows each remote video with view(); the
// server's `layers` messages are obeyed here.

import { Signaling } from './signaling.js';
import { Reconnector } from './reconnect.js';
import { UpConnection, DownConnection, selectedPair, mediaSettings, SCREEN_SUFFIX } from './peer.js';
import { Access } from './access.js';
import { Chat } from './chat.js';

const JOIN_TIMEOUT = 20_000;
// How long a peer connection may take to connect once negotiated.
const CONNECT_TIMEOUT = 30_000;
// `view` messages per second (and burst): well within the server's
// 50 per second, however many tiles change at once.
const VIEW_RATE = 20;
const VIEW_BURST = 40;
// How long the server may take to answer an up offer before the next
// renegotiation goes ahead anyway.
const ANSWER_TIMEOUT = 10_000;

export class Session extends EventTarget {
  /**
   * @param {object} o
   * @param {string} o.room
   * @param {string} o.name
   * @param {import('./media.js').LocalMedia} o.media
   * @param {boolean} o.relay  force TURN relay (iceTransportPolicy "relay")
   * @param {string} [o.token]  a signed link's token
   * @param {string} [o.password]  the room's password
   * @param {{id: string, token: string}} [o.resume]  the participant this
   *   tab was before it reloaded: resumed first, joined afresh if refused
   *   (returning.js)
   */
  constructor({ room, name, media, relay, token = '', password = '', resume = null }) {
    super();
    this.room = room;
    this.name = name;
    this.media = media;
    this.relay = relay;
    this.token = token;
    this.password = password;
    this.resume = resume;
    this.returnHold = 0; // ms the server holds us after leave({returning}) (welcome)
    this.access = new Access(this);
    this.id = null;
    this.iceServers = [];
    this.participants = new Map(); // id -> {id, name, audioMuted, videoMuted}
    this.tracks = new Map(); // id -> {audio, video} (MediaStreamTrack)
    this.phase = 'idle'; // idle, joining, lobby, joined, ended
    this.up = null;
    this.down = null;
    this.sentMute = null;
    this.encoding = mediaSettings(null); // encoding settings (welcome's media)
    this.speaker = '';
    this.upAnswered = null; // resolves the up offer in flight
    this.answersDue = 0; // up offers sent on this socket and not answered yet
    this.sentViews = new Map(); // participant id (+ SCREEN_SUFFIX) -> {height, visible} last sent
    this.pendingViews = new Map(); // the same, waiting for the rate limit
    this.viewTokens = VIEW_BURST;
    this.viewRefill = 0;
    this.viewTimer = false;
    this.syncing = Promise.resolve();
    this.unstable = new Set();
    this.timers = new Set();
    this.onMediaChange = () => this.syncMedia();
    this.reconnector = new Reconnector(this);
    this.role = 'participant'; // ours, from welcome
    this.chat = new Chat({ send: (msg) => this.send(msg), self: () => this.id });
  }

  /** Connects and sends join. Failures are reported as a fatal event. */
  async join() {
    if (!window.RTCPeerConnection || !window.WebSocket) {
      this.fail('unsupported', 'WebRTC or WebSocket missing');
      return;
    }
    this.phase = 'joining';
    const sig = new Signaling({
      onMessage: (msg) => this.handle(msg),
      // One a refused resume left behind is no longer ours.
      onClose: (info) => {
        if (this.sig === sig) this.socketClosed(info);
      },
      onFailure: (err) => this.fail('media-failed', err?.message || String(err)),
    });
    this.sig = sig;
    this.later(JOIN_TIMEOUT, () => {
      if (this.phase === 'joining' && !this.reconnector.active) this.fail('connect-failed', 'no welcome from the server');
    });
    try {
      await this.sig.connect();
    } catch {
      return; // socketClosed reports it
    }
    if (this.sig !== sig) return;
    if (this.resume) {
      const { id, token } = this.resume;
      sig.send({ type: 'resume', version: 1, room: this.room, participant: id, token });
    } else {
      sig.send(this.joinMessage());
    }
  }

  /**
   * The server refused to take back the participant this tab was before
   * it reloaded (too late, or it restarted): join afresh on a new socket,
   * as the same name with the same devices.
   */
  joinAfterRefusedResume(reason) {
    console.warn('plenum: resume after the reload refused, joining again:', reason);
    this.resume = null;
    const old = this.sig;
    this.sig = null;
    old?.close();
    void this.join();
  }

  /** The join message; joining again after a lost session sends the same. */
  joinMessage() {
    const join = { type: 'join', version: 1, room: this.room, name: this.name };
    if (this.token) join.token = this.token;
    if (this.password) join.password = this.password;
    return join;
  }

  async handle(msg) {
    if (this.phase === 'ended' || this.reconnector.handle(msg)) return;
    if (msg.type === 'error' && msg.code === 'resume-failed' && this.resume && this.phase === 'joining') {
      this.joinAfterRefusedResume(String(msg.reason || ''));
      return;
    }
    if (msg.type === 'error') {
      this.fail(String(msg.code || 'unknown'), String(msg.reason || ''), true);
      return;
    }
    if (this.phase === 'joining' || this.phase === 'lobby') {
      if (msg.type === 'welcome') this.welcome(msg);
      else if (msg.type === 'lobby' && this.phase === 'joining') {
        // No media and no participants until a moderator admits us.
        this.phase = 'lobby';
        this.emit('lobby', {});
      }
      return;
    }
    switch (msg.type) {
      case 'answer':
        if (msg.pc !== 'up' || !this.up) break;
        // The server answers every offer, in order. One that comes while
        // a newer offer waits (we stopped waiting for it) belongs to an
        // older offer and would not fit the newer one; one that comes
        // with no offer waiting is late, and would end the session.
        if (this.answersDue > 1) {
          this.answersDue -= 1;
          console.warn('plenum: dropping the answer to an earlier up offer');
          break;
        }
        this.answersDue = 0;
        if (this.up.pc.signalingState !== 'have-local-offer') break;
        await this.up.applyAnswer(msg.sdp);
        this.watchConnect(this.up);
        this.upAnswered?.();
        this.upAnswered = null;
        break;
      case 'speaker':
        if (typeof msg.id === 'string' && msg.id !== this.speaker) {
          this.speaker = msg.id;
          this.emit('speaker', { id: msg.id });
        }
        break;
      case 'offer':
        if (msg.pc === 'down') {
          const sdp = await this.down.answer(msg.sdp);
          this.sig.send({ type: 'answer', pc: 'down', sdp });
          this.down.descriptionSent();
          this.watchConnect(this.down);
        }
        break;
      case 'candidate': {
        const peer = msg.pc === 'up' ? this.up : msg.pc === 'down' ? this.down : null;
        if (peer && msg.candidate) await peer.addRemoteCandidate(msg.candidate);
        break;
      }
      case 'participant-joined':
      case 'participant-updated':
        this.upsert(msg.participant, msg.type);
        break;
      case 'participant-left':
        this.remove(msg.id);
        break;
      case 'layers':
        if (this.up && typeof msg.mid === 'string' && Array.isArray(msg.active)) {
          this.up.setLayers(msg.mid, msg.active.map((a) => a === true));
        }
        break;
      default:
        // Roles, lobby and moderation are kept in access.js; others (the
        // assembly…) listen to what they know; unknown types are for
        // newer clients.
        this.access.handle(msg);
        this.emit('message', msg);
        this.chat.receive(msg); // chat and reactions
        break;
    }
  }

  /**
   * Sends a message on the signaling socket once joined (false
   * otherwise); for chat, moderation, the assembly and the like.
   */
  send(msg) {
    if (this.phase !== 'joined') return false;
    this.sig.send(msg);
    return true;
  }

  welcome(msg) {
    this.phase = 'joined';
    // Resumed after a reload, we start afresh all the same: the server
    // replaced our peer connections, and the welcome says all there is.
    this.resume = null;
    this.reconnector.welcomed(msg);
    this.id = msg.id;
    this.role = typeof msg.role === 'string' ? msg.role : 'participant';
    this.iceServers = Array.isArray(msg.iceServers) ? msg.iceServers : [];
    if (Number.isFinite(msg.returnHold) && msg.returnHold > 0) this.returnHold = msg.returnHold;
    this.encoding = mediaSettings(msg.media);
    this.access.welcome(msg);
    for (const p of msg.participants || []) this.upsert(p, null);
    this.down = new DownConnection({
      ...this.peerOptions('down'),
      onTrack: ({ participant, kind, track }) => this.addTrack(participant, kind, track),
      onTrackRemoved: ({ participant, kind, track }) => this.removeTrack(participant, kind, track),
    });
    this.emit('welcome', { id: this.id });
    this.media.addEventListener('change', this.onMediaChange);
    // Not awaited: our up offer waits for its answer, which comes through
    // this same queue of messages, so the answer and all that follows it
    // (the down offer, chat history, queue…) would wait ANSWER_TIMEOUT.
    void this.syncMedia();
  }

  peerOptions(name) {
    return {
      iceServers: this.iceServers,
      relay: this.relay,
      onCandidate: (candidate) => this.sig.send({ type: 'candidate', pc: name, candidate }),
      onState: (state) => this.peerState(name, state),
    };
  }

  /**
   * Brings the up connection and the announced mute state in line with
   * the local devices. Serialized: device toggles can come quickly.
   */
  syncMedia() {
    this.syncing = this.syncing.then(() => this.doSync()).catch((err) => {
      console.warn('plenum: media sync failed', err);
      this.fail('media-failed', err?.message || String(err));
    });
    return this.syncing;
  }

  async doSync() {
    if (this.phase !== 'joined') return;
    const { audioTrack, videoTrack, screenTrack, screenAudioTrack } = this.media;
    let offer = false;
    if (this.access.viewer) {
      // A viewer may not publish: the server ends a session that offers.
      this.closeUp();
    } else if (!this.up && (audioTrack || videoTrack || screenTrack)) {
      // The up connection is created once there is something to send;
      // a participant without devices only receives.
      this.up = new UpConnection({ ...this.peerOptions('up'), media: this.encoding });
      offer = true;
    }
    if (this.up && !this.access.viewer) {
      await this.up.setTracks(audioTrack, videoTrack);
      // A screen share comes and goes with its own transceivers.
      if ((this.up.screen?.video.sender.track ?? null) !== screenTrack) {
        if (screenTrack) this.up.addScreen(screenTrack, screenAudioTrack);
        else this.up.removeScreen();
        offer = true;
      }
    }
    if (offer) await this.offerUp();
    const mute = { audio: !this.media.micOn, video: !this.media.camOn };
    if (!this.sentMute || this.sentMute.audio !== mute.audio || this.sentMute.video !== mute.video) {
      this.sentMute = mute;
      this.sig.send({ type: 'mute', ...mute });
      this.emit('local', mute);
    }
  }

  /**
   * Offers the up connection's current tracks, naming the screen
   * share's media ids, and waits for the answer so that offers never
   * overlap.
   */
  async offerUp() {
    const sdp = await this.up.createOffer();
    if (this.phase !== 'joined') return;
    const msg = { type: 'offer', pc: 'up', sdp };
    const screen = this.up.screenMids();
    if (screen.length > 0) msg.screen = screen;
    const answered = new Promise((resolve) => {
      this.upAnswered = resolve;
      this.later(ANSWER_TIMEOUT, resolve);
    });
    this.answersDue += 1;
    this.sig.send(msg);
    this.up.descriptionSent();
    await answered;
  }

  /** Whether we share our screen. */
  get sharing() {
    return !!this.up?.screen;
  }

  upsert(p, type) {
    if (!p || typeof p.id !== 'string' || p.id === this.id) return;
    const before = this.participants.get(p.id);
    const entry = {
      id: p.id,
      name: String(p.name ?? ''),
      audioMuted: !!p.audioMuted,
      videoMuted: !!p.videoMuted,
      role: ['moderator', 'participant', 'viewer'].includes(p.role) ? p.role : 'participant',
      // Their signaling is lost and the server holds them for a resume.
      reconnecting: p.reconnecting === true,
    };
    this.participants.set(p.id, entry);
    // Unmuted, they were let (by another moderator, whom we do not hear
    // from): their request to unmute is answered.
    if ((before?.audioMuted && !entry.audioMuted) || (before?.videoMuted && !entry.videoMuted)) this.access.forget(p.id);
    // "updated" for someone unknown is treated as a join, and vice versa.
    this.emit(before ? 'participant-updated' : 'participant-joined', { participant: { ...entry }, announce: type === 'participant-joined' });
  }

  remove(id) {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.tracks.delete(id);
    for (const key of [id, id + SCREEN_SUFFIX]) {
      this.sentViews.delete(key);
      this.pendingViews.delete(key);
    }
    this.access.forget(id);
    this.emit('participant-left', { participant: { ...p } });
  }

  addTrack(participant, kind, track) {
    const entry = this.tracks.get(participant) || {};
    entry[kind] = track;
    this.tracks.set(participant, entry);
    this.emit('track', { participant, kind, track });
  }

  removeTrack(participant, kind, track) {
    const entry = this.tracks.get(participant);
    if (entry?.[kind] !== track) return;
    delete entry[kind];
    this.emit('track-removed', { participant, kind, track });
  }

  /**
   * Tells the server how we show participant's video: at most height
   * device pixels high (0: unknown), or not at all. Sent only when it
   * changed, unless force (a new track: the server may not know yet).
   */
  view(participant, height, visible, force = false, source = 'camera') {
    if (this.phase !== 'joined' || !this.participants.has(participant)) return;
    const screen = source === 'screen';
    const key = screen ? participant + SCREEN_SUFFIX : participant;
    const next = { height: Math.max(0, Math.min(8192, Math.round(height) || 0)), visible: !!visible };
    const last = this.sentViews.get(key);
    if (!force && last && last.height === next.height && last.visible === next.visible) {
      this.pendingViews.delete(key); // back to what the server knows
      return;
    }
    this.pendingViews.set(key, { participant, screen, ...next });
    this.flushViews();
  }

  /** Sends pending views as fast as the rate limit allows (token bucket). */
  flushViews() {
    if (this.phase !== 'joined') return;
    const now = performance.now();
    this.viewTokens = Math.min(VIEW_BURST, this.viewTokens + ((now - this.viewRefill) * VIEW_RATE) / 1000);
    this.viewRefill = now;
    for (const [key, { participant, screen, height, visible }] of this.pendingViews) {
      if (this.viewTokens < 1) break;
      this.viewTokens -= 1;
      this.pendingViews.delete(key);
      this.sentViews.set(key, { height, visible });
      const msg = { type: 'view', participant, height, visible };
      if (screen) msg.source = 'screen';
      this.sig.send(msg);
    }
    if (this.pendingViews.size > 0 && !this.viewTimer) {
      this.viewTimer = true;
      this.later(1000 / VIEW_RATE, () => {
        this.viewTimer = false;
        this.flushViews();
      });
    }
  }

  /** What our camera encodes, per simulcast layer (see UpConnection.sentLayers). */
  async sentLayers() {
    if (this.phase !== 'joined' || !this.up) return [];
    return this.up.sentLayers();
  }

  /** What our screen share sends ({frameWidth, frameHeight, bytesSent}), or null. */
  async screenSent() {
    if (this.phase !== 'joined' || !this.up) return null;
    return this.up.screenSent();
  }

  /** The tracks received so far for participant: {audio?, video?, screen?, screenAudio?}. */
  tracksOf(id) {
    return { ...(this.tracks.get(id) || {}) };
  }

  peerState(name, state) {
    if (this.phase === 'ended') return;
    if (state === 'failed' && !this.reconnector.mediaFailed(name)) {
      this.fail('media-failed', `${name} connection failed`);
      return;
    }
    const before = this.unstable.size > 0;
    if (state === 'disconnected' || state === 'failed') this.unstable.add(name);
    else this.unstable.delete(name);
    if (before !== this.unstable.size > 0) this.emit('unstable', { unstable: this.unstable.size > 0 });
  }

  // A negotiated connection that never connects (blocked UDP, no TURN)
  // would otherwise hang in "connecting" forever. One replaced meanwhile
  // (a rejoin closes both) is no longer ours to judge.
  watchConnect(peer) {
    if (peer.watched) return;
    peer.watched = true;
    this.later(CONNECT_TIMEOUT, () => {
      const s = peer.pc.connectionState;
      const current = peer === this.up || peer === this.down;
      if (this.phase === 'joined' && current && s !== 'connected' && s !== 'disconnected') {
        this.fail('media-failed', `${peer.name} connection timed out (${s})`);
      }
    });
  }

  socketClosed({ opened }) {
    if (this.phase === 'ended' || this.reconnector.socketClosed()) return;
    if (!opened || this.phase === 'joining') this.fail('connect-failed', 'could not open the signaling connection');
    else this.fail('connection-lost', 'signaling connection closed');
  }

  /** Statistics for the test hook and speaking indicators. */
  async stats() {
    const empty = { video: [], audio: [], candidatePair: null };
    if (this.phase !== 'joined') return empty;
    const out = this.down ? await this.down.stats((id) => this.participants.has(id)) : empty;
    if (!out.candidatePair && this.up) {
      // Alone in the room there may be no down connection yet.
      out.candidatePair = selectedPair(await this.up.pc.getStats());
    }
    return out;
  }

  /** How our sending fares ({loss, rtt, jitter, availableOutgoingBitrate}), or null. */
  async upQuality() {
    if (this.phase !== 'joined' || !this.up) return null;
    return this.up.quality();
  }

  /** What our microphone sends (see peer.js audioSent), or null. */
  async audioSent() {
    if (this.phase !== 'joined' || !this.up) return null;
    return this.up.audioSent();
  }

  /** Our own microphone level (0..1), 0 when muted or not sending. */
  async localAudioLevel() {
    if (this.phase !== 'joined' || !this.up || !this.media.micOn) return 0;
    return this.up.audioLevel();
  }

  /**
   * Closes our up connection (made viewer: the server closed its end and
   * took our tracks away). Made publisher again, syncMedia offers anew.
   */
  closeUp() {
    if (!this.up) return;
    this.up.close();
    this.up = null;
    this.answersDue = 0; // the server drops a viewer's offers unanswered
    // Gone, it is unstable no more (a closed connection reports nothing).
    if (this.unstable.delete('up') && this.unstable.size === 0) this.emit('unstable', { unstable: false });
  }

  /**
   * What the page needs to come back as this participant after a reload
   * ({id, token, hold}), or null when not in the meeting.
   */
  returnTicket() {
    if (this.phase !== 'joined' || !this.id || !this.reconnector.token) return null;
    return { id: this.id, token: this.reconnector.token, hold: this.returnHold };
  }

  /**
   * Leaves cleanly: tells the server, then closes everything. returning
   * (the page unloads, maybe to reload) asks the server to hold our seat
   * for a moment (returning.js).
   */
  leave({ returning = false } = {}) {
    if (this.phase === 'ended') return;
    this.sig?.send(returning ? { type: 'leave', returning: true } : { type: 'leave' });
    this.teardown();
    this.emit('ended', {});
  }

  /** Ends the session because of code (a protocol error code or ours). */
  fail(code, reason = '', byServer = false) {
    if (this.phase === 'ended') return;
    console.warn(`plenum: session failed: ${code} ${reason}`);
    // When we give up on our own, tell the server so others see us go.
    if (!byServer && this.phase === 'joined') this.sig?.send({ type: 'leave' });
    this.teardown();
    this.emit('fatal', { code, reason });
  }

  teardown() {
    this.phase = 'ended';
    this.reconnector.stop();
    this.media.removeEventListener('change', this.onMediaChange);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sig?.close();
    this.up?.close();
    this.down?.close();
  }

  later(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
