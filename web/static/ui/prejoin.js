// The pre-join screen: name, camera preview, device choice, toggles.
import { h, mount } from './dom.js';
import { icon } from './icons.js';
import { brandBar } from './screens.js';
import { micToggle, camToggle } from './controls.js';
import { hueFor, initials } from './avatar.js';
import { fillDeviceSelect } from './devices.js';
import { t, has } from '../i18n.js';
import { isBlank } from '../looks.js';

export class PrejoinView {
  /**
   * @param {HTMLElement} root
   * @param {object} o
   * @param {string} o.room
   * @param {string} o.name  initial display name
   * @param {import('../media.js').LocalMedia} o.media
   * @param {(name: string) => void} o.onJoin
   * @param {() => void} o.onToggleMic
   * @param {() => void} o.onToggleCam
   * @param {boolean} [o.viewer]  joining to watch only: no devices asked for
   */
  constructor(root, { room, name, media, onJoin, onToggleMic, onToggleCam, viewer = false }) {
    this.media = media;
    this.viewer = viewer;
    this.starting = true;

    this.video = h('video', { class: 'preview-video', autoplay: true, playsInline: true, muted: true, disablePictureInPicture: true });
    this.avatarText = h('span', { class: 'avatar-text' });
    this.offText = h('p', { class: 'preview-off-text', text: t('prejoin.cameraStarting') });
    this.mic = micToggle(onToggleMic);
    this.cam = camToggle(onToggleCam);
    this.preview = h('div', { class: 'preview' },
      this.video,
      h('div', { class: 'preview-off' }, h('div', { class: 'avatar avatar-large', 'aria-hidden': 'true' }, this.avatarText), this.offText),
      h('div', { class: 'preview-controls', hidden: viewer }, this.mic.el, this.cam.el));
    this.notes = h('div', { class: 'media-notes', role: 'status' });

    this.nameInput = h('input', {
      id: 'display-name',
      class: 'input',
      type: 'text',
      value: name,
      maxLength: 64,
      autocomplete: 'name',
      placeholder: t('prejoin.namePlaceholder'),
      required: true,
      oninput: () => this.nameChanged(),
    });
    this.nameError = h('p', { id: 'name-error', class: 'field-error', hidden: true, text: t('prejoin.nameRequired') });
    this.micSelect = this.deviceSelect('mic-select', 'audio');
    this.camSelect = this.deviceSelect('cam-select', 'video');
    this.joinLabel = h('span', { text: t('prejoin.join') });
    this.joinButton = h('button', { type: 'submit', class: 'btn btn-primary btn-large btn-block' }, this.joinLabel);

    const form = h('form', {
      class: 'join-form',
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const value = this.nameInput.value.trim();
        if (isBlank(value)) {
          this.nameError.hidden = false;
          this.nameInput.setAttribute('aria-invalid', 'true');
          this.nameInput.focus();
          return;
        }
        onJoin(value);
      },
    },
    h('div', { class: 'field' },
      h('label', { class: 'label', for: 'display-name', text: t('prejoin.nameLabel') }),
      this.nameInput,
      this.nameError),
    h('div', { class: 'field-row', hidden: viewer },
      h('div', { class: 'field' },
        h('label', { class: 'label', for: 'mic-select' }, icon('mic', 'label-icon'), h('span', { text: t('prejoin.microphone') })),
        this.micSelect),
      h('div', { class: 'field' },
        h('label', { class: 'label', for: 'cam-select' }, icon('cam', 'label-icon'), h('span', { text: t('prejoin.camera') })),
        this.camSelect)),
    this.joinButton);

    mount(root, brandBar(), h('main', { class: 'prejoin' },
      h('section', { class: 'prejoin-media' }, this.preview, this.notes),
      h('section', { class: 'card prejoin-card' },
        h('h1', { class: 'prejoin-title', text: t('prejoin.title') }),
        h('p', { class: 'prejoin-room', text: t('prejoin.room', { room }) }),
        form)));
    document.title = `${room} · ${t('app.name')}`;
    this.preview.style.setProperty('--hue', hueFor(name || room));

    this.onMedia = () => this.render();
    media.addEventListener('change', this.onMedia);
    this.nameChanged();
    this.render();
    if (!name) this.nameInput.focus();
    else this.joinButton.focus();
  }

  deviceSelect(id, kind) {
    return h('select', {
      id,
      class: 'select',
      onchange: (event) => this.media.selectDevice(kind, event.target.value),
    });
  }

  nameChanged() {
    const value = this.nameInput.value.trim();
    this.avatarText.textContent = initials(isBlank(value) ? '?' : value);
    if (!isBlank(value)) {
      this.nameError.hidden = true;
      this.nameInput.removeAttribute('aria-invalid');
    }
  }

  /** Called once the first device request has finished. */
  ready() {
    this.starting = false;
    this.render();
  }

  render() {
    const { media } = this;
    if (this.video.srcObject?.getVideoTracks()[0] !== media.videoTrack) {
      this.video.srcObject = media.videoTrack ? new MediaStream([media.videoTrack]) : null;
    }
    this.preview.classList.toggle('has-video', media.camOn);
    this.offText.textContent = this.starting ? t('prejoin.cameraStarting') : t('prejoin.cameraOff');
    // While the devices start, show neutral (not red) disabled toggles.
    this.mic.set(!this.starting && !media.micOn, this.starting);
    this.cam.set(!this.starting && !media.camOn, this.starting);
    this.fillSelect(this.micSelect, media.devices.audioinput, media.audioTrack, media.deviceIds.audio, media.errors.audio);
    this.fillSelect(this.camSelect, media.devices.videoinput, media.videoTrack, media.deviceIds.video, media.errors.video);
    this.renderNotes();
  }

  fillSelect(select, devices, track, preferred, error) {
    // Without permission the browser lists no usable devices.
    const empty = error === 'denied' || error === 'insecure' ? t('prejoin.noAccess') : t('prejoin.noDevice');
    fillDeviceSelect(select, devices, track?.getSettings?.().deviceId || preferred, empty);
  }

  renderNotes() {
    const { errors } = this.media;
    const lines = [];
    if (this.viewer) {
      lines.push(t('prejoin.viewer'));
    } else if (errors.audio === 'insecure' || errors.video === 'insecure') {
      lines.push(t('media.insecure'));
    } else if (errors.audio && errors.audio === errors.video && has(`media.both.${errors.audio}`)) {
      lines.push(t(`media.both.${errors.audio}`), t('prejoin.receiveOnly'));
    } else {
      if (errors.video) lines.push(t(`media.video.${errors.video}`));
      if (errors.audio) lines.push(t(`media.audio.${errors.audio}`));
      if (lines.length) lines.push(this.media.audioTrack || this.media.videoTrack ? t('media.stillJoin') : t('prejoin.receiveOnly'));
    }
    const text = lines.join(' ');
    if (this.notes.dataset.text === text) return;
    this.notes.dataset.text = text;
    mount(this.notes, text ? h('div', { class: 'notice notice-warn' }, icon('alert'), h('p', { text })) : null);
  }

  setJoining(joining) {
    this.joinButton.disabled = joining;
    this.joinButton.setAttribute('aria-busy', joining ? 'true' : 'false');
    this.joinLabel.textContent = joining ? t('prejoin.joining') : t('prejoin.join');
    this.joinButton.classList.toggle('is-busy', joining);
  }

  destroy() {
    this.media.removeEventListener('change', this.onMedia);
    this.video.srcObject = null;
  }
}
