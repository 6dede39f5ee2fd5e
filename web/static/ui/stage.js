// A screen share's tile, and the buttons every tile carries to pin it
// or show it full screen. A screen share is drawn whole (never cropped:
// text at its edges matters) on the stage, the large area the layout
// gives to what everybody looks at.
import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from '../i18n.js';

export class ScreenTile {
  /** @param {{id: string, name: string}} o  id is the publisher's */
  constructor({ id, name }) {
    this.id = id;
    this.track = null;
    this.videoMuted = false; // read by the ViewReporter, like a Tile's
    this.video = h('video', { class: 'tile-video', autoplay: true, playsInline: true, muted: true, disablePictureInPicture: true });
    this.nameEl = h('span', { class: 'tile-name' });
    this.el = h('div', { class: 'tile tile-screen has-video', 'data-screen': id, role: 'group' },
      this.video,
      h('div', { class: 'tile-label' }, icon('screen'), this.nameEl));
    this.setName(name);
  }

  setName(name) {
    this.name = name;
    const label = t('screen.of', { name });
    this.nameEl.textContent = label;
    this.el.setAttribute('aria-label', label);
  }

  setVideoTrack(track) {
    if (track === this.track) return;
    this.track = track;
    this.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) this.video.play().catch(() => { /* muted video: autoplay retries */ });
  }

  destroy() {
    this.setVideoTrack(null);
    this.el.remove();
  }
}

/** Whether the page may put an element in full screen. */
export function fullscreenSupported() {
  return !!document.fullscreenEnabled && !!Element.prototype.requestFullscreen;
}

/**
 * Adds pin and full-screen buttons to a tile's corner. onPin() toggles
 * the pin; isPinned() tells the current state. Returns {update} to
 * refresh the pin button's state and both buttons' labels (after a
 * rename too).
 */
export function tileActions(tile, { onPin, isPinned }) {
  const pin = h('button', { type: 'button', class: 'tile-btn', 'aria-pressed': 'false', onclick: (e) => {
    e.stopPropagation();
    onPin();
  } }, icon('pin'));
  const full = fullscreenSupported() ? h('button', { type: 'button', class: 'tile-btn', onclick: (e) => {
    e.stopPropagation();
    toggleFullscreen(tile.el);
  } }, icon('expand')) : null;
  tile.el.append(h('div', { class: 'tile-actions' }, pin, full));
  const name = (button, label) => {
    button.setAttribute('aria-label', label);
    button.title = label;
  };
  // A screen share's buttons say so: a screen reader tells them from
  // those on its sharer's camera tile.
  const screen = tile instanceof ScreenTile;
  const update = () => {
    const pinned = isPinned();
    pin.setAttribute('aria-pressed', pinned ? 'true' : 'false');
    const unpinKey = screen ? 'screen.unpin' : 'tile.unpin';
    const pinKey = screen ? 'screen.pin' : 'tile.pin';
    name(pin, t(pinned ? unpinKey : pinKey, { name: tile.name }));
    if (full) name(full, t(screen ? 'screen.fullscreen' : 'tile.fullscreen', { name: tile.name }));
    tile.el.classList.toggle('is-pinned', pinned);
  };
  update();
  return { update };
}

/** Shows el full screen, or leaves full screen if it is. */
export function toggleFullscreen(el) {
  if (document.fullscreenElement === el) {
    document.exitFullscreen().catch(() => {});
    return;
  }
  el.requestFullscreen?.().catch((err) => console.warn('plenum: full screen refused', err));
}
