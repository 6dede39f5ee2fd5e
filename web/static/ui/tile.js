// One participant tile: video, or an initials avatar when there is none,
// a name label and a muted-microphone badge.
import { h } from './dom.js';
import { icon } from './icons.js';
import { hueFor, initials } from './avatar.js';
import { t } from '../i18n.js';

export class Tile {
  /** @param {{id: string, name: string, local?: boolean}} o */
  constructor({ id, name, local = false }) {
    this.id = id;
    this.local = local;
    this.track = null;
    this.videoMuted = false;
    this.trackMuted = false;
    this.frameReady = false;
    this.video = h('video', { class: 'tile-video', autoplay: true, playsInline: true, muted: true, disablePictureInPicture: true });
    this.avatarText = h('span', { class: 'avatar-text' });
    this.avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' }, this.avatarText);
    this.nameEl = h('span', { class: 'tile-name' });
    this.micBadge = h('span', { class: 'tile-mic-off', role: 'img', 'aria-label': t('meeting.mutedLabel'), title: t('meeting.mutedLabel'), hidden: true }, icon('micOff'));
    // Over the picture, which freezes while the server holds a
    // participant whose connection was lost for a resume.
    this.reconnectingBadge = h('div', { class: 'tile-reconnecting', hidden: true },
      icon('wifiOff'), h('span', { text: t('meeting.reconnecting') }));
    this.reconnecting = false;
    this.el = h('div', { class: `tile${local ? ' tile-local' : ''}`, 'data-participant': id, role: 'group' },
      this.video,
      h('div', { class: 'tile-placeholder' }, this.avatar),
      this.reconnectingBadge,
      h('div', { class: 'tile-label' }, this.micBadge, this.nameEl));
    this.el.style.setProperty('--hue', hueFor(id));
    // Keep the avatar until a first frame is decoded, not a black box.
    const onFrame = () => {
      if (this.video.videoWidth > 0 && !this.frameReady) {
        this.frameReady = true;
        this.update();
      }
    };
    this.video.addEventListener('loadeddata', onFrame);
    this.video.addEventListener('resize', onFrame);
    this.onTrackMute = () => this.setTrackMuted(true);
    this.onTrackUnmute = () => this.setTrackMuted(false);
    this.setName(name);
    this.update();
  }

  setName(name) {
    this.name = name;
    const label = this.local ? t('meeting.you', { name }) : name;
    this.nameEl.textContent = label;
    this.el.setAttribute('aria-label', label);
    this.avatarText.textContent = initials(name);
  }

  setAudioMuted(muted) {
    this.micBadge.hidden = !muted;
    this.el.classList.toggle('is-muted', muted);
  }

  /** Whether the participant is reconnecting (its signaling was lost). */
  setReconnecting(on) {
    this.reconnecting = !!on;
    this.reconnectingBadge.hidden = !this.reconnecting;
    this.el.classList.toggle('is-reconnecting', this.reconnecting);
  }

  /** Camera off as announced by signaling (or our own camera state). */
  setVideoMuted(muted) {
    this.videoMuted = muted;
    this.update();
  }

  setVideoTrack(track) {
    if (track === this.track) return;
    if (this.track) {
      this.track.removeEventListener('mute', this.onTrackMute);
      this.track.removeEventListener('unmute', this.onTrackUnmute);
    }
    this.track = track;
    this.frameReady = false;
    if (track) {
      // A remote track is "muted" while no frames arrive: show the
      // avatar then rather than a frozen or black picture.
      this.trackMuted = !this.local && track.muted;
      if (!this.local) {
        track.addEventListener('mute', this.onTrackMute);
        track.addEventListener('unmute', this.onTrackUnmute);
      }
      this.video.srcObject = new MediaStream([track]);
      this.video.play().catch(() => { /* muted video: retried on the next update */ });
    } else {
      this.video.srcObject = null;
    }
    this.update();
  }

  setTrackMuted(muted) {
    this.trackMuted = muted;
    this.update();
  }

  setSpeaking(on) {
    this.el.classList.toggle('is-speaking', on);
  }

  update() {
    const wanted = !!this.track && !this.videoMuted && !this.trackMuted;
    this.el.classList.toggle('has-video', wanted && this.frameReady);
    if (wanted && this.video.paused && this.video.srcObject) this.video.play().catch(() => {});
  }

  destroy() {
    this.setVideoTrack(null);
    this.el.remove();
  }
}
