// Remote audio: one hidden <audio> element per participant. Browsers may
// refuse to start sound without a user gesture; then `onBlocked` is
// called, and the next click or key press anywhere (or unlock()) starts
// everything, after which `onUnblocked` is called.

export class AudioSink {
  constructor(parent, { onBlocked, onUnblocked }) {
    this.el = document.createElement('div');
    this.el.className = 'audio-sink';
    this.el.hidden = true;
    parent.append(this.el);
    this.players = new Map();
    this.onBlocked = onBlocked;
    this.onUnblocked = onUnblocked;
    this.blocked = false;
    this.sinkId = '';
    this.unlockOnGesture = () => this.unlock();
  }

  /**
   * Plays every participant through the output device id ('' for the
   * system's default), where the browser can choose (setSinkId).
   */
  async setSink(id) {
    this.sinkId = id || '';
    await Promise.all([...this.players.values()].map((audio) => this.route(audio)));
  }

  async route(audio) {
    if (!audio.setSinkId || audio.sinkId === this.sinkId) return;
    try {
      await audio.setSinkId(this.sinkId);
    } catch (err) {
      // The device went away or is not allowed: the default plays on.
      console.warn('plenum: cannot switch the speaker output', err);
    }
  }

  set(id, track) {
    let audio = this.players.get(id);
    if (!audio) {
      audio = document.createElement('audio');
      audio.autoplay = true;
      this.players.set(id, audio);
      this.el.append(audio);
      if (this.sinkId) this.route(audio);
    }
    if (audio.srcObject?.getAudioTracks()[0] === track) return;
    audio.srcObject = new MediaStream([track]);
    this.play(audio);
  }

  play(audio) {
    audio.play().then(() => {
      if (!this.blocked) return;
      this.blocked = false;
      this.stopListening();
      this.onUnblocked();
    }, (err) => {
      if (err?.name !== 'NotAllowedError' || this.blocked) return;
      this.blocked = true;
      document.addEventListener('pointerdown', this.unlockOnGesture, true);
      document.addEventListener('keydown', this.unlockOnGesture, true);
      this.onBlocked();
    });
  }

  /** Retries playback; works when called from a user gesture. */
  unlock() {
    for (const audio of this.players.values()) this.play(audio);
  }

  stopListening() {
    document.removeEventListener('pointerdown', this.unlockOnGesture, true);
    document.removeEventListener('keydown', this.unlockOnGesture, true);
  }

  remove(id) {
    const audio = this.players.get(id);
    if (!audio) return;
    audio.srcObject = null;
    audio.remove();
    this.players.delete(id);
  }

  destroy() {
    this.stopListening();
    for (const id of [...this.players.keys()]) this.remove(id);
    this.el.remove();
  }
}
