// Remote audio: one hidden <audio> element per participant. Browsers may
// refuse to start sound without a user gesture; then `onBlocked` is
// called and unlock() (from a click) starts everything.

export class AudioSink {
  constructor(parent, onBlocked) {
    this.el = document.createElement('div');
    this.el.className = 'audio-sink';
    this.el.hidden = true;
    parent.append(this.el);
    this.players = new Map();
    this.onBlocked = onBlocked;
    this.blocked = false;
  }

  set(id, track) {
    let audio = this.players.get(id);
    if (!audio) {
      audio = document.createElement('audio');
      audio.autoplay = true;
      this.players.set(id, audio);
      this.el.append(audio);
    }
    if (audio.srcObject?.getAudioTracks()[0] === track) return;
    audio.srcObject = new MediaStream([track]);
    this.play(audio);
  }

  play(audio) {
    audio.play().catch((err) => {
      if (err?.name !== 'NotAllowedError') return;
      if (!this.blocked) {
        this.blocked = true;
        this.onBlocked();
      }
    });
  }

  /** Retries playback; call from a user gesture. */
  unlock() {
    this.blocked = false;
    for (const audio of this.players.values()) this.play(audio);
  }

  remove(id) {
    const audio = this.players.get(id);
    if (!audio) return;
    audio.srcObject = null;
    audio.remove();
    this.players.delete(id);
  }

  destroy() {
    for (const id of [...this.players.keys()]) this.remove(id);
    this.el.remove();
  }
}
