// Roles, the room's settings, the lobby and moderation, as one session
// sees them (signaling/PROTOCOL.md, "Roles, links, lobby and
// moderation"). UI-free: it keeps the state and reports changes as
// events on the session:
//   role            {role}            our role changed
//   room-state      {state}           locked, lobby, askToUnmute, password
//   muted           {audio, video, by} a moderator muted us (by: their id, '' when repeated)
//   unmute-allowed  {}                a moderator lets us unmute
//   lobby-changed   {waiting}         people waiting in the lobby (moderators)
//   unmute-requests {ids}             participants asking to unmute (moderators)
// The server enforces every rule; the checks here only keep the page
// from sending what would end its own session (`forbidden`).

/** Moderator messages and the fields each one carries. */
const MODERATOR_MESSAGES = new Set([
  'mute-participant', 'mute-all', 'allow-unmute', 'remove', 'set-role',
  'room-settings', 'admit', 'deny', 'end-meeting',
]);

const ROLES = ['moderator', 'participant', 'viewer'];

export class Access {
  /** @param {import('./session.js').Session} session */
  constructor(session) {
    this.session = session;
    this.role = '';
    this.state = { locked: false, lobby: false, askToUnmute: false, password: false };
    /** Kinds a moderator muted and we have not turned back on yet. */
    this.held = { audio: false, video: false };
    /** Whether we asked to unmute and wait for an answer. */
    this.asked = false;
    this.waiting = new Map(); // lobby id -> {id, name}
    this.known = new Set(); // lobby ids waiting before a resume, not announced again
    this.requests = new Set(); // participant ids asking to unmute
  }

  get moderator() {
    return this.role === 'moderator';
  }

  get viewer() {
    return this.role === 'viewer';
  }

  /** Called with the welcome message. */
  welcome(msg) {
    this.role = ROLES.includes(msg.role) ? msg.role : 'participant';
  }

  /** Handles one server message; returns whether it was one of ours. */
  handle(msg) {
    switch (msg.type) {
      case 'role':
        if (ROLES.includes(msg.role)) this.setRole(msg.role);
        return true;
      case 'room-state':
        this.state = {
          locked: msg.locked === true,
          lobby: msg.lobby === true,
          askToUnmute: msg.askToUnmute === true,
          password: msg.password === true,
        };
        this.emit('room-state', { state: { ...this.state } });
        return true;
      case 'muted':
        this.muted(msg.audio === true, msg.video === true, typeof msg.by === 'string' ? msg.by : '');
        return true;
      case 'unmute-allowed':
        this.held = { audio: false, video: false };
        this.asked = false;
        this.emit('unmute-allowed', {});
        return true;
      case 'lobby-joined': {
        const p = msg.participant;
        if (p && typeof p.id === 'string') {
          const entry = { id: p.id, name: String(p.name ?? '') };
          this.waiting.set(p.id, entry);
          const again = this.known.delete(p.id);
          this.emit('lobby-changed', { waiting: this.waitingList(), joined: again ? null : entry });
        }
        return true;
      }
      case 'lobby-left':
        if (this.waiting.delete(String(msg.id))) this.emit('lobby-changed', { waiting: this.waitingList() });
        return true;
      case 'unmute-requested':
        if (typeof msg.id === 'string') {
          this.requests.add(msg.id);
          this.emit('unmute-requests', { ids: [...this.requests], id: msg.id });
        }
        return true;
      default:
        return false;
    }
  }

  setRole(role) {
    if (role === this.role) return;
    this.role = role;
    this.session.role = role; // kept there too, for other modules
    // The lobby and unmute requests are moderators' news: told of it, the
    // UI takes down their panel and notices, whose buttons no longer work.
    if (role !== 'moderator') this.forgetRequests();
    this.emit('role', { role });
    // Made viewer, the up connection closes even with no device on (the
    // controls stop the devices, which would sync only if there were).
    if (role === 'viewer') this.session.syncMedia();
  }

  // A moderator muted us: the server already stopped forwarding; turn
  // the devices off so that what we show matches what others get. Also
  // when off already: a device still starting must stay off.
  muted(audio, video, by) {
    if (audio) this.held.audio = true;
    if (video) this.held.video = true;
    const media = this.session.media;
    if (audio) media.setMic(false);
    if (video) media.setCamera(false);
    this.emit('muted', { audio, video, by });
  }

  /**
   * Whether turning kind ('audio' | 'video') back on needs a moderator's
   * permission first (the room asks to unmute and a moderator muted it).
   */
  mustAsk(kind) {
    return this.state.askToUnmute && this.held[kind];
  }

  /** We turned kind back on ourselves: the hold is lifted. */
  unmuted(kind) {
    if (!this.mustAsk(kind)) this.held[kind] = false;
  }

  /** Asks the moderators to let us unmute. */
  askToUnmute() {
    if (this.asked) return false;
    this.asked = true;
    this.session.send({ type: 'ask-unmute' });
    return true;
  }

  /**
   * Called with the welcome of a resume, which a moderator's whole lobby
   * follows (a lobby-joined for each one waiting): the list starts again
   * from it, so that someone who stopped waiting while we were away is
   * no longer shown; those still waiting are not announced again.
   */
  resumed() {
    this.known = new Set(this.waiting.keys());
    if (this.waiting.size === 0) return;
    this.waiting.clear();
    this.emit('lobby-changed', { waiting: [] });
  }

  /**
   * Forgets what the server said of others (the lobby, unmute requests)
   * and of our own mutes: the session joins afresh, and a restarted
   * server knows none of it.
   */
  reset() {
    this.held = { audio: false, video: false };
    this.asked = false;
    this.forgetRequests();
  }

  /** Forgets who waits in the lobby and who asks to unmute, and says so. */
  forgetRequests() {
    this.known.clear();
    if (this.waiting.size > 0) {
      this.waiting.clear();
      this.emit('lobby-changed', { waiting: [] });
    }
    if (this.requests.size > 0) {
      this.requests.clear();
      this.emit('unmute-requests', { ids: [] });
    }
  }

  /** The people waiting in the lobby, in arrival order. */
  waitingList() {
    return [...this.waiting.values()];
  }

  /** Forgets a participant who left (their unmute request goes too). */
  forget(id) {
    if (this.requests.delete(id)) this.emit('unmute-requests', { ids: [...this.requests] });
  }

  /**
   * Sends a moderator message ({type, …}); does nothing unless we are a
   * moderator (anything else would end our session with `forbidden`).
   */
  act(msg) {
    if (!this.moderator || !MODERATOR_MESSAGES.has(msg.type)) return false;
    if (msg.type === 'allow-unmute') this.forget(msg.participant);
    if (msg.type === 'admit' || msg.type === 'deny') {
      // Shown as gone at once; lobby-left confirms.
      if (this.waiting.delete(msg.participant)) this.emit('lobby-changed', { waiting: this.waitingList() });
    }
    this.session.send(msg);
    return true;
  }

  emit(type, detail) {
    this.session.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
