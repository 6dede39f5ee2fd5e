// Screen sharing in the meeting: the toolbar button that starts and
// stops our own share, and the tiles of everybody else's shares, which
// the layout puts in the spotlight.
import { h } from './dom.js';
import { icon } from './icons.js';
import { ScreenTile, tileActions } from './stage.js';
import { toast } from './toast.js';
import { announce } from './announcer.js';
import { LocalMedia } from '../media.js';
import { SCREEN_SUFFIX } from '../peer.js';
import { t } from '../i18n.js';

export class ScreenShares {
  /**
   * @param {object} o
   * @param {import('../session.js').Session} o.session
   * @param {import('../media.js').LocalMedia} o.media
   * @param {import('./layout.js').Layout} o.layout
   * @param {import('./views.js').ViewReporter} o.views
   * @param {import('./audio.js').AudioSink} o.audio
   * @param {() => void} o.focusAway  moves focus off a screen tile going away
   */
  constructor({ session, media, layout, views, audio, focusAway }) {
    this.session = session;
    this.media = media;
    this.layout = layout;
    this.views = views;
    this.audio = audio;
    this.focusAway = focusAway;
    this.tiles = new Map(); // publisher id -> ScreenTile
    this.actions = new Map(); // publisher id -> tileActions
    this.button = null;
    if (LocalMedia.screenSupported()) {
      this.button = h('button', { type: 'button', class: 'ctl ctl-screen', 'aria-label': t('toolbar.share'), title: `${t('toolbar.shareHint')} (D)`, 'aria-pressed': 'false', 'aria-keyshortcuts': 'D', onclick: () => this.toggle() }, icon('screen'));
    }
    this.sharing = false;
    // Drawn again (a language change) while sharing, the new button
    // starts as it was, without announcing the share anew.
    this.syncButton(false);
    this.onMedia = () => this.syncButton();
    media.addEventListener('change', this.onMedia);
  }

  /** Starts or stops sharing our screen. */
  async toggle() {
    if (this.media.screenTrack) {
      this.media.stopScreen();
      return;
    }
    try {
      await this.media.startScreen();
    } catch (err) {
      console.warn('plenum: screen share failed', err);
      toast(t('screen.failed'), { key: 'screen', kind: 'error', timeout: 8000, dismissible: true, iconName: 'alert' });
    }
  }

  syncButton(say = true) {
    const on = !!this.media.screenTrack;
    if (on === this.sharing) return;
    this.sharing = on;
    if (this.button) {
      this.button.setAttribute('aria-pressed', on ? 'true' : 'false');
      this.button.classList.toggle('ctl-active', on);
      // The label stays; aria-pressed tells the state, the tooltip the action.
      this.button.title = `${t(on ? 'toolbar.stopShare' : 'toolbar.shareHint')} (D)`;
    }
    if (say) announce(t(on ? 'announce.shareStarted' : 'announce.shareStopped'));
  }

  /** A screen share's picture (kind 'screen') or sound ('screenAudio') arrived or left. */
  attach(id, kind, track) {
    if (kind === 'screenAudio') {
      if (track) this.audio.set(id + SCREEN_SUFFIX, track);
      else this.audio.remove(id + SCREEN_SUFFIX);
      return;
    }
    if (!track) {
      this.remove(id);
      return;
    }
    const name = this.session.participants.get(id)?.name ?? '';
    let tile = this.tiles.get(id);
    const isNew = !tile;
    if (isNew) {
      tile = new ScreenTile({ id, name });
      this.tiles.set(id, tile);
      const key = id + SCREEN_SUFFIX;
      this.actions.set(id, tileActions(tile, { onPin: () => this.layout.togglePin(key), isPinned: () => this.layout.isPinned(key) }));
      this.layout.add(key, tile, 'screen');
      this.views.add(key, tile);
      announce(t('announce.shareOf', { name }));
    }
    tile.setVideoTrack(track);
    this.views.now(id + SCREEN_SUFFIX);
  }

  /** The publisher's name changed. */
  rename(id, name) {
    const tile = this.tiles.get(id);
    if (!tile || tile.name === name) return;
    tile.setName(name);
    this.actions.get(id)?.update(); // the buttons' labels name them
  }

  /** Refreshes the pin buttons after the layout changed. */
  refresh() {
    for (const a of this.actions.values()) a.update();
  }

  /** Removes id's screen tile and sound (the share ended or they left). */
  remove(id) {
    this.audio.remove(id + SCREEN_SUFFIX);
    const tile = this.tiles.get(id);
    if (!tile) return;
    const focused = tile.el.contains(document.activeElement); // on its pin or full-screen button
    this.tiles.delete(id);
    this.actions.delete(id);
    this.views.remove(id + SCREEN_SUFFIX);
    this.layout.remove(id + SCREEN_SUFFIX);
    tile.destroy();
    if (focused) this.focusAway?.();
  }

  destroy() {
    this.media.removeEventListener('change', this.onMedia);
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }
}
