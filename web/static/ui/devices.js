// The meeting's settings dialog: switch camera, microphone and speaker
// output mid-call (the up connection replaces its tracks, no rejoin),
// and the audio-only mode, in which no video is received at all: every
// remote video is reported hidden, so the server sends none.
import { h } from './dom.js';
import { icon } from './icons.js';
import { announce } from './announcer.js';
import { loadPref, savePref } from '../prefs.js';
import { store } from '../store.js';
import { t } from '../i18n.js';

let serial = 0;

/**
 * Fills a device <select> with devices (MediaDeviceInfo), selecting
 * current; emptyText is the one option shown when there are none.
 * Rebuilt only when the list changed, so an open select is not reset.
 */
export function fillDeviceSelect(select, devices, current, emptyText) {
  const options = devices.length
    ? devices.map((d, i) => h('option', { value: d.deviceId, text: d.label || t('prejoin.deviceN', { n: i + 1 }) }))
    : [h('option', { value: '', text: emptyText })];
  const signature = options.map((o) => `${o.value}|${o.textContent}`).join('\n');
  if (select.dataset.signature !== signature) {
    select.replaceChildren(...options);
    select.dataset.signature = signature;
  }
  select.disabled = !devices.length;
  if (current && devices.some((d) => d.deviceId === current)) select.value = current;
}

/** Whether audio elements can be sent to another output (setSinkId). */
export function outputSelectable() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** The speaker output chosen before, '' for the system's default. */
export function savedOutput() {
  return loadPref('outputDevice');
}

export class SettingsDialog {
  /**
   * @param {object} o
   * @param {import('../media.js').LocalMedia} o.media
   * @param {import('./audio.js').AudioSink} o.audio
   * @param {(on: boolean) => void} o.onAudioOnly
   * @param {HTMLElement[]} [o.sections]  more sections (the statistics)
   */
  constructor({ media, audio, onAudioOnly, sections = [] }) {
    this.media = media;
    this.audio = audio;
    this.onAudioOnly = onAudioOnly;
    const n = ++serial;
    this.cam = h('select', { id: `set-cam-${n}`, class: 'select', onchange: (e) => media.selectDevice('video', e.target.value) });
    this.mic = h('select', { id: `set-mic-${n}`, class: 'select', onchange: (e) => media.selectDevice('audio', e.target.value) });
    this.out = h('select', { id: `set-out-${n}`, class: 'select', onchange: (e) => this.selectOutput(e.target.value) });
    this.audioOnly = h('input', { type: 'checkbox', id: `set-audio-only-${n}`, checked: !!store.audioOnly, onchange: (e) => this.setAudioOnly(e.target.checked) });
    const field = (id, iconName, label, control) => h('div', { class: 'field' },
      h('label', { class: 'label', for: id }, icon(iconName, 'label-icon'), h('span', { text: label })), control);
    const closeBtn = h('button', { type: 'button', class: 'icon-btn dialog-close', 'aria-label': t('settings.close'), title: t('settings.close'), onclick: () => this.close() }, icon('close'));
    const titleId = `set-title-${n}`;
    this.el = h('dialog', { class: 'dialog settings', 'aria-labelledby': titleId },
      h('div', { class: 'dialog-head' }, h('h2', { id: titleId, class: 'dialog-title', text: t('settings.title') }), closeBtn),
      field(this.mic.id, 'mic', t('prejoin.microphone'), this.mic),
      field(this.cam.id, 'cam', t('prejoin.camera'), this.cam),
      outputSelectable() ? field(this.out.id, 'volume', t('settings.speaker'), this.out) : null,
      h('div', { class: 'check' }, this.audioOnly,
        h('label', { for: this.audioOnly.id }, h('span', { class: 'check-title', text: t('settings.audioOnly') }),
          h('span', { class: 'check-hint', text: t('settings.audioOnlyHint') }))),
      sections);
    this.onMedia = () => this.render();
    media.addEventListener('change', this.onMedia);
    this.el.addEventListener('close', () => this.onClose?.());
  }

  /** Opens the dialog (modal: focus stays inside, Escape closes it). */
  async open() {
    if (!this.el.isConnected) document.body.append(this.el);
    await this.media.refreshDevices(); // labels appear once permission is given
    this.render();
    if (!this.el.open) this.el.showModal();
  }

  close() {
    if (this.el.open) this.el.close();
  }

  render() {
    const { media } = this;
    const none = t('prejoin.noDevice');
    fillDeviceSelect(this.mic, media.devices.audioinput, media.audioTrack?.getSettings?.().deviceId || media.deviceIds.audio, none);
    fillDeviceSelect(this.cam, media.devices.videoinput, media.videoTrack?.getSettings?.().deviceId || media.deviceIds.video, none);
    fillDeviceSelect(this.out, media.devices.audiooutput || [], savedOutput(), t('settings.defaultSpeaker'));
  }

  async selectOutput(id) {
    savePref('outputDevice', id);
    await this.audio.setSink(id);
  }

  setAudioOnly(on) {
    store.audioOnly = on;
    this.onAudioOnly(on);
    announce(t(on ? 'announce.audioOnlyOn' : 'announce.audioOnlyOff'));
  }

  destroy() {
    this.media.removeEventListener('change', this.onMedia);
    this.close();
    this.el.remove();
  }
}
