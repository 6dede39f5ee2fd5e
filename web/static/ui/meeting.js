// The meeting screen: header (room, people, copy link), the tiles (laid
// out by ui/layout.js), the toolbar, remote audio and speaking indicators.
import { h, mount } from './dom.js';
import { icon, logo } from './icons.js';
import { Tile } from './tile.js';
import { Layout } from './layout.js';
import { ScreenShares } from './sharing.js';
import { tileActions } from './stage.js';
import { layoutToggle } from './layoutmenu.js';
import { SettingsDialog, savedOutput } from './devices.js';
import { QualityMonitor, qualityBadge, statsPanel } from './quality.js';
import { parseStreamId } from '../peer.js';
import { AudioSink } from './audio.js';
import { ViewReporter } from './views.js';
import { ModerationUI } from './moderation.js';
import { micToggle, camToggle } from './controls.js';
import { toast, dismissToast } from './toast.js';
import { announce } from './announcer.js';
import { languageSelect } from './language.js';
import { store } from '../store.js';
import { shortcutHelpButton, registerShortcut } from './shortcuts.js';
import { Panels } from './panels.js';
import { t } from '../i18n.js';
import { AssemblyUI } from './assembly.js';
import { keptFor } from './kept.js';

const LEVEL_INTERVAL = 400;
const SPEAKING_LEVEL = 0.03;
const SPEAKING_HOLD = 900;

/** The meeting link without our private query (name, autojoin…). */
export function meetingURL(room) {
  return `${location.origin}/${encodeURIComponent(room)}`;
}

/**
 * Whether the page is on this computer's own address (localhost,
 * 127.x, ::1), as after a first "plenum serve": its link opens nowhere
 * else, and elsewhere a browser gives camera and microphone only to
 * HTTPS, so sharing it as it is would leave the others out.
 */
export function onLoopback(hostname = location.hostname) {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Copies the meeting link, with a fallback where the Clipboard API is missing. */
export async function copyLink(room) {
  const url = meetingURL(room);
  try {
    await navigator.clipboard.writeText(url);
    toast(t('meeting.linkCopied'), { key: 'copy', iconName: 'check' });
  } catch {
    const field = h('textarea', { class: 'offscreen', value: url, readOnly: true });
    document.body.append(field);
    field.select();
    const ok = document.execCommand?.('copy');
    field.remove();
    if (ok) toast(t('meeting.linkCopied'), { key: 'copy', iconName: 'check' });
    else toast(t('meeting.copyFailed', { url }), { key: 'copy', timeout: 0, dismissible: true });
  }
}

export class MeetingView {
  /**
   * @param {HTMLElement} root
   * @param {object} o
   * @param {import('../session.js').Session} o.session
   * @param {import('../media.js').LocalMedia} o.media
   * @param {() => void} o.onLeave
   * @param {() => void} o.onToggleMic
   * @param {() => void} o.onToggleCam
   */
  constructor(root, { session, media, onLeave, onToggleMic, onToggleCam }) {
    this.session = session;
    this.media = media;
    this.tiles = new Map();
    // Adaptive stream: the server learns how large each remote video is shown.
    // Screen shares are reported under "<id>~screen".
    this.views = new ViewReporter((key, height, visible, force) => {
      const { participant, screen } = parseStreamId(key);
      session.view(participant, height, visible, force, screen ? 'screen' : 'camera');
    });
    this.actions = new Map(); // tile key -> its buttons' updater (tileActions)
    this.kept = keptFor(session);
    this.layout = new Layout({ onChange: () => this.layoutChanged(), pinned: this.kept.pinned });
    store.layout = this.layout;
    this.lastLoud = new Map();
    this.cleanups = [];

    this.count = h('span', { class: 'people-count' });
    const header = h('header', { class: 'meeting-header' },
      h('a', { class: 'brand brand-compact', href: '/', 'aria-label': t('app.name'), title: t('app.name'), target: '_blank', rel: 'noopener' }, logo()),
      h('h1', { class: 'room-title', title: session.room, text: session.room }),
      h('span', { class: 'people', role: 'img', 'aria-label': '' }, icon('users'), this.count),
      // Named by its text (only visually hidden on phones), so that what
      // voice-control users read is what the button is called.
      h('button', { type: 'button', class: 'btn btn-secondary btn-small copy-link', title: t('meeting.copyLinkLabel'), onclick: () => copyLink(session.room) },
        icon('link'), h('span', { class: 'label-narrow', text: t('meeting.copyLink') })),
      shortcutHelpButton('icon-btn hide-narrow'),
      languageSelect());
    this.peopleEl = header.querySelector('.people');

    this.mic = micToggle(onToggleMic);
    this.cam = camToggle(onToggleCam);
    const leave = h('button', { type: 'button', class: 'ctl ctl-leave', 'aria-label': t('toolbar.leave'), title: t('toolbar.leave'), onclick: onLeave }, icon('leave'));
    // Speaking queue, votes and minutes (ui/assembly.js).
    this.assembly = new AssemblyUI({ session, grid: this.layout.el });
    // Chat, participant list and reactions (panels.js).
    this.panels = new Panels({ session, media, tileOf: (id) => (id === session.id ? this.local : this.tiles.get(id))?.el || null });
    this.audio = new AudioSink(document.body, {
      onBlocked: () => this.soundBlocked(),
      onUnblocked: () => dismissToast('autoplay'),
    });
    this.shares = new ScreenShares({ session, media, layout: this.layout, views: this.views, audio: this.audio, focusAway: () => this.focusToolbar() });
    this.audio.setSink(savedOutput());
    this.layoutButton = layoutToggle(this.layout);
    this.badges = new Map(); // participant id ('' for us) -> quality badge
    const stats = statsPanel((id) => session.participants.get(id)?.name ?? id);
    this.settings = new SettingsDialog({ media, audio: this.audio, onAudioOnly: (on) => this.setAudioOnly(on), sections: [stats.el] });
    const settingsButton = h('button', { type: 'button', class: 'ctl ctl-settings', 'aria-label': t('toolbar.settings'), title: t('toolbar.settings'), 'aria-haspopup': 'dialog', onclick: () => this.settings.open() }, icon('settings'));
    this.settings.onClose = () => settingsButton.focus();
    const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('meeting.toolbar') },
      this.mic.el, this.cam.el, this.shares.button, ...this.panels.buttons, this.layoutButton.el, ...this.assembly.buttons, settingsButton, leave);

    // The toolbar sits in a footer landmark (a role on the footer itself
    // would take the landmark away).
    this.el = h('div', { class: 'meeting' }, header, h('main', { class: 'stage' }, this.layout.el, this.panels.el, this.assembly.panel), h('footer', { class: 'meeting-footer' }, toolbar));
    mount(root, this.el);
    this.el.append(this.audio.el);
    if (this.shares.button) this.cleanups.push(registerShortcut({ key: 's', label: 'shortcuts.screen', button: this.shares.button }));
    this.cleanups.push(registerShortcut({ key: 'l', label: 'shortcuts.layout', button: this.layoutButton.el }));

    this.local = new Tile({ id: session.id || 'local', name: session.name, local: true });
    this.addActions('local', this.local);
    this.badges.set('', qualityBadge(this.local));
    this.layout.add('local', this.local, 'local');
    this.invite = { el: this.inviteCard() };

    const on = (type, fn) => {
      const handler = (e) => fn(e.detail);
      session.addEventListener(type, handler);
      this.cleanups.push(() => session.removeEventListener(type, handler));
    };
    on('participant-joined', ({ participant, announce: say }) => {
      this.addTile(participant);
      if (say) announce(t('announce.joined', { name: participant.name }));
    });
    on('participant-updated', ({ participant: p }) => {
      const was = this.tiles.get(p.id)?.reconnecting ?? false;
      this.updateTile(p);
      if (p.reconnecting !== was) announce(t(p.reconnecting ? 'announce.reconnecting' : 'announce.reconnected', { name: p.name }));
    });
    on('participant-left', ({ participant }) => {
      this.removeTile(participant.id);
      announce(t('announce.left', { name: participant.name }));
    });
    on('track', ({ participant, kind, track }) => this.attach(participant, kind, track));
    on('track-removed', ({ participant, kind }) => this.attach(participant, kind, null));
    on('speaker', ({ id }) => this.layout.setSpeaker(id === session.id ? '' : id));
    const showUnstable = (unstable) => {
      if (unstable) toast(t('banner.reconnecting'), { key: 'unstable', kind: 'warn', timeout: 0, iconName: 'wifiOff' });
      else dismissToast('unstable');
    };
    on('unstable', ({ unstable }) => showUnstable(unstable));
    // Drawn again (a language change) while a connection is unstable.
    showUnstable(session.unstable.size > 0);

    const onMedia = () => this.syncLocal();
    media.addEventListener('change', onMedia);
    this.cleanups.push(() => media.removeEventListener('change', onMedia));

    // D shares the screen (as in Jitsi Meet), W switches the layout.
    if (this.shares.button) this.cleanups.push(registerShortcut({ key: 'd', label: 'shortcuts.screen', button: this.shares.button }));
    this.cleanups.push(registerShortcut({ key: 'w', label: 'shortcuts.layout', button: this.layoutButton.el }));
    for (const p of session.participants.values()) this.addTile(p);
    // Drawn again (a language change): the speaker named before.
    this.layout.setSpeaker(session.speaker === session.id ? '' : session.speaker);
    if (store.audioOnly) this.setAudioOnly(true);
    this.syncLocal();
    this.refresh();
    // Roles, lobby and moderator controls (after the tiles it decorates).
    this.moderation = new ModerationUI(this);
    this.levelTimer = setInterval(() => this.pollLevels(), LEVEL_INTERVAL);
    this.quality = new QualityMonitor(session, (id) => this.badges.get(id));
    this.quality.onUpdate = (rows, s) => stats.update(rows, s);
    document.title = `${session.room} · ${t('app.name')}`;
    this.mic.el.focus();
  }

  inviteCard() {
    const url = meetingURL(this.session.room);
    return h('div', { class: 'tile tile-invite', role: 'listitem' },
      h('div', { class: 'invite' },
        h('h2', { class: 'invite-title', text: t('meeting.alone.title') }),
        h('p', { class: 'invite-body', text: t('meeting.alone.body') }),
        h('p', { class: 'invite-url', text: url }),
        // The button goes with the link it copies, before the long note.
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => copyLink(this.session.room) },
          icon('link'), h('span', { text: t('meeting.copyLink') })),
        onLoopback() ? h('p', { class: 'invite-note', text: t('meeting.alone.thisComputerOnly') }) : null));
  }

  addTile(p) {
    if (this.tiles.has(p.id)) {
      this.updateTile(p);
      return;
    }
    const tile = new Tile({ id: p.id, name: p.name });
    this.tiles.set(p.id, tile);
    this.addActions(p.id, tile);
    this.badges.set(p.id, qualityBadge(tile));
    this.layout.add(p.id, tile, 'remote');
    this.updateTile(p);
    const tracks = this.session.tracksOf(p.id);
    if (tracks.video) tile.setVideoTrack(tracks.video);
    if (tracks.audio) this.audio.set(p.id, tracks.audio);
    this.refresh();
    this.views.add(p.id, tile);
    if (tracks.video) this.views.now(p.id);
    // Shares that arrived before the tile (or before a redraw).
    if (tracks.screen) this.shares.attach(p.id, 'screen', tracks.screen);
    if (tracks.screenAudio) this.shares.attach(p.id, 'screenAudio', tracks.screenAudio);
  }

  /** Pin and full-screen buttons on a tile. */
  addActions(key, tile) {
    const actions = tileActions(tile, { onPin: () => this.layout.togglePin(key), isPinned: () => this.layout.isPinned(key) });
    this.actions.set(key, actions);
  }

  /** Audio-only mode: no remote video is received or shown. */
  setAudioOnly(on) {
    this.el.classList.toggle('audio-only', on);
    this.views.setAudioOnly(on);
  }

  layoutChanged() {
    this.kept.pinned = this.layout?.pinned ?? null;
    for (const a of this.actions?.values() || []) a.update();
    this.shares?.refresh();
  }

  updateTile(p) {
    const tile = this.tiles.get(p.id);
    if (!tile) return;
    if (tile.name !== p.name) {
      tile.setName(p.name);
      this.actions.get(p.id)?.update(); // the buttons' labels name them
    }
    this.shares.rename(p.id, p.name);
    tile.setAudioMuted(p.audioMuted);
    tile.setReconnecting(p.reconnecting);
    const cameraOn = tile.videoMuted && !p.videoMuted;
    tile.setVideoMuted(p.videoMuted);
    // A camera turned off is not worth receiving; one turned on is wanted at once.
    if (cameraOn) this.views.now(p.id, false);
    else this.views.touch(p.id);
  }

  removeTile(id) {
    const focused = this.tiles.get(id)?.el.contains(document.activeElement); // on its pin, full-screen or menu button
    this.views.remove(id);
    this.shares.remove(id);
    this.layout.remove(id);
    this.actions.delete(id);
    this.badges.delete(id);
    this.tiles.get(id)?.destroy();
    this.tiles.delete(id);
    this.audio.remove(id);
    this.lastLoud.delete(id);
    this.refresh();
    if (focused) this.focusToolbar();
  }

  /**
   * Focuses the toolbar's first control shown: where focus goes when
   * what held it went (a tile, a menu), rather than nowhere.
   */
  focusToolbar() {
    [...this.el.querySelectorAll('.toolbar .ctl')].find((el) => el.getClientRects().length > 0)?.focus();
  }

  /** Connects a received track to its participant's tile or audio. */
  attach(id, kind, track) {
    const tile = this.tiles.get(id);
    if (!tile) return; // attached when the participant becomes known
    if (kind === 'screen' || kind === 'screenAudio') {
      this.shares.attach(id, kind, track);
    } else if (kind === 'video') {
      tile.setVideoTrack(track);
      // Tell the server at once which layer fits, before it sends the top one.
      if (track) this.views.now(id);
    } else if (track) this.audio.set(id, track);
    else this.audio.remove(id);
  }

  /** Participant count and the invite card shown when alone. */
  refresh() {
    const n = this.tiles.size + 1;
    this.count.textContent = String(n);
    this.peopleEl.setAttribute('aria-label', t('meeting.count', { count: n }));
    this.peopleEl.title = t('meeting.count', { count: n });
    if (n === 1 && !this.layout.has('invite')) this.layout.add('invite', this.invite, 'invite');
    if (n > 1) this.layout.remove('invite');
  }

  syncLocal() {
    const { media } = this;
    this.local.setVideoTrack(media.videoTrack);
    this.local.setVideoMuted(!media.camOn);
    this.local.setAudioMuted(!media.micOn);
    this.mic.set(!media.micOn);
    this.cam.set(!media.camOn);
  }

  soundBlocked() {
    toast(t('banner.autoplay'), {
      key: 'autoplay',
      kind: 'warn',
      timeout: 0,
      iconName: 'volume',
      action: { label: t('banner.enableSound'), run: () => this.audio.unlock() },
    });
  }

  // Speaking indicators from the audio levels WebRTC already measures:
  // no Web Audio graph (and no autoplay restrictions) needed.
  async pollLevels() {
    try {
      const now = Date.now();
      const { audio } = await this.session.stats();
      for (const { participant, audioLevel, screen } of audio) {
        // A shared tab's sound is not its sharer speaking.
        if (!screen && audioLevel > SPEAKING_LEVEL) this.lastLoud.set(participant, now);
      }
      if ((await this.session.localAudioLevel()) > SPEAKING_LEVEL) this.lastLoud.set('', now);
      for (const [id, tile] of this.tiles) {
        const p = this.session.participants.get(id);
        tile.setSpeaking(!p?.audioMuted && now - (this.lastLoud.get(id) || 0) < SPEAKING_HOLD);
      }
      this.local.setSpeaking(this.media.micOn && now - (this.lastLoud.get('') || 0) < SPEAKING_HOLD);
    } catch {
      /* the session may be closing */
    }
  }

  destroy() {
    this.assembly.destroy();
    clearInterval(this.levelTimer);
    this.quality.destroy();
    this.moderation.destroy();
    this.views.destroy();
    this.shares.destroy();
    this.settings.destroy();
    this.layout.destroy();
    if (store.layout === this.layout) store.layout = null;
    this.panels.destroy();
    for (const fn of this.cleanups) fn();
    for (const tile of this.tiles.values()) tile.destroy();
    this.local.destroy();
    this.audio.destroy();
    dismissToast('unstable');
    dismissToast('autoplay');
  }
}
