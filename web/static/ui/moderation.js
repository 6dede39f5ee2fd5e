// Moderation in the meeting screen: a menu on each participant's tile
// (mute, allow to unmute, give the floor, roles, remove), the room menu
// in the toolbar (mute all, ask to unmute, lock, lobby, password, end
// for all), the lobby panel, role badges, and the notices a participant
// gets when a moderator acts on them. The server enforces every rule;
// here moderators get controls and everyone gets clear news.
import { h } from './dom.js';
import { icon } from './icons.js';
import { menuButton } from './menu.js';
import { confirmDialog, promptDialog } from './dialog.js';
import { LobbyPanel } from './lobby.js';
import { registerPersonActions } from './people.js';
import { toast, dismissToast, toastShown } from './toast.js';
import { announce } from './announcer.js';
import { keptFor } from './kept.js';
import { assemblyOf } from '../assembly.js';
import { t } from '../i18n.js';

const ROOM_FLAGS = ['locked', 'lobby', 'askToUnmute', 'password'];

/**
 * When a moderator muted kind ('audio' | 'video') and the room asks to
 * unmute, turning it back on needs their permission: offers to ask and
 * returns true (the caller must not turn the device on).
 */
export function guardUnmute(session, kind) {
  const access = session?.access;
  if (!access || session.phase !== 'joined') return false;
  if (access.viewer) return true;
  if (!access.mustAsk(kind)) return false;
  offerToAsk(access);
  return true;
}

function offerToAsk(access) {
  if (access.asked) {
    toast(t('moderation.askSent'), { key: 'ask-unmute', iconName: 'hand' });
    return;
  }
  toast(t('moderation.mustAsk'), {
    key: 'ask-unmute',
    kind: 'warn',
    timeout: 10000,
    dismissible: true,
    iconName: 'hand',
    action: {
      label: t('moderation.askToUnmute'),
      run: () => {
        if (access.askToUnmute()) {
          toast(t('moderation.askSent'), { key: 'ask-unmute', iconName: 'hand' });
          announce(t('moderation.askSent'));
        }
      },
    },
  });
}

export class ModerationUI {
  /** @param {import('./meeting.js').MeetingView} meeting */
  constructor(meeting) {
    this.meeting = meeting;
    this.session = meeting.session;
    this.access = this.session.access;
    this.decorations = new Map(); // participant id -> {menu, badge, hand}
    this.personMenus = new Map(); // participant id -> their menu in the participant list
    // The notices still up are kept across a redraw (a language change):
    // kept.muted, a moderator's mute {audio, video, by} whose notice
    // shows, and kept.requests, the participants whose unmute request
    // shows.
    this.kept = keptFor(this.session);
    this.kept.requests ??= new Set();
    this.requestToasts = this.kept.requests;
    this.cleanups = [];
    this.state = { ...this.access.state };

    this.lobby = new LobbyPanel(meeting.el.querySelector('.stage') || meeting.el, this.access, () => meeting.focusToolbar());
    this.roomMenu = menuButton({ label: t('moderation.roomMenu'), iconName: 'shield', className: 'ctl ctl-room', items: () => this.roomItems() });
    const toolbar = meeting.el.querySelector('.toolbar');
    toolbar?.insertBefore(this.roomMenu.el, toolbar.querySelector('.ctl-leave'));
    this.lockBadge = h('span', { class: 'room-flag', role: 'img', 'aria-label': t('moderation.lockedBadge'), title: t('moderation.lockedBadge'), hidden: true }, icon('lock'));
    meeting.el.querySelector('.room-title')?.after(this.lockBadge);
    this.localBadge = this.badge();
    meeting.local.el.querySelector('.tile-label')?.prepend(this.localBadge);

    const on = (type, fn) => {
      const handler = (e) => fn(e.detail);
      this.session.addEventListener(type, handler);
      this.cleanups.push(() => this.session.removeEventListener(type, handler));
    };
    // The meeting's own listeners ran first: the tiles exist.
    on('participant-joined', ({ participant }) => this.decorate(participant));
    on('participant-updated', ({ participant }) => this.decorate(participant));
    on('participant-left', ({ participant }) => this.forget(participant.id));
    on('role', ({ role }) => this.roleChanged(role));
    on('room-state', ({ state }) => this.roomChanged(state));
    on('muted', (m) => this.mutedByModerator(m));
    on('unmute-allowed', () => this.unmuteAllowed());
    on('lobby-changed', ({ waiting, joined }) => this.lobby.render(waiting, joined));
    on('unmute-requests', ({ ids, id }) => this.unmuteRequests(ids, id));
    // Joined afresh (a restarted server), no mute of before holds.
    on('reset', () => {
      this.mutedKinds = null;
      this.kept.muted = null;
      dismissToast('muted');
    });

    const onMedia = () => this.devicesChanged();
    this.meeting.media.addEventListener('change', onMedia);
    this.cleanups.push(() => this.meeting.media.removeEventListener('change', onMedia));
    this.mutedKinds = null; // what a moderator muted, while the notice shows

    // The same menu in each row of the participant list (people.js).
    this.cleanups.push(registerPersonActions((p, { self }) => (self || !this.access.moderator ? null : this.personMenu(p).el)));

    for (const p of this.session.participants.values()) this.decorate(p);
    this.applyRole();
    this.lobby.render(this.access.waitingList());
    this.lockBadge.hidden = !this.state.locked;
    // Drawn again: the notices that were up, in the new language, not
    // announced again.
    if (this.kept.muted) this.mutedByModerator(this.kept.muted, false);
    for (const id of this.requestToasts) this.showRequest(id, false);
  }

  badge() {
    return h('span', { class: 'tile-role', role: 'img', 'aria-label': t('moderation.moderatorBadge'), title: t('moderation.moderatorBadge'), hidden: true }, icon('shield'));
  }

  /** Adds or updates the menu and badges on p's tile. */
  decorate(p) {
    const tile = this.meeting.tiles.get(p.id);
    if (!tile) return;
    let d = this.decorations.get(p.id);
    if (!d || !d.badge.isConnected) {
      d = {
        menu: menuButton({ label: t('moderation.menuFor', { name: p.name }), className: 'tile-btn tile-menu', items: () => this.participantItems(p.id) }),
        badge: this.badge(),
        hand: h('span', { class: 'tile-hand', role: 'img', 'aria-label': t('moderation.asksToUnmute'), title: t('moderation.asksToUnmute'), hidden: true }, icon('hand')),
      };
      // Beside the tile's own buttons (pin, full screen) when it has them.
      (tile.el.querySelector('.tile-actions') || tile.el).append(d.menu.el);
      tile.el.querySelector('.tile-label')?.prepend(d.badge, d.hand);
      this.decorations.set(p.id, d);
    }
    d.menu.setLabel(t('moderation.menuFor', { name: p.name }));
    d.menu.el.hidden = !this.access.moderator;
    d.badge.hidden = p.role !== 'moderator';
    d.hand.hidden = !this.access.requests.has(p.id);
    tile.el.classList.toggle('is-viewer', p.role === 'viewer');
  }

  /**
   * p's menu in the participant list. The list draws its rows anew at
   * every change (anyone's microphone, a hand raised), and each gets
   * this same menu: one open stays open, and Escape finds its button.
   */
  personMenu(p) {
    let menu = this.personMenus.get(p.id);
    if (!menu) {
      menu = menuButton({ label: '', className: 'icon-btn person-menu', items: () => this.participantItems(p.id) });
      this.personMenus.set(p.id, menu);
    }
    menu.setLabel(t('moderation.menuFor', { name: p.name }));
    return menu;
  }

  /**
   * id left: the menus of their tile and their row in the participant
   * list close, their actions acting on nobody now. Focus in the tile's
   * goes to the toolbar, as the lobby panel's does, focus in the row's
   * to the list's title.
   */
  forget(id) {
    const tileMenu = this.decorations.get(id)?.menu;
    const personMenu = this.personMenus.get(id);
    this.decorations.delete(id);
    this.personMenus.delete(id);
    if (tileMenu && closeMenu(tileMenu)) this.meeting.focusToolbar();
    if (personMenu && closeMenu(personMenu)) this.meeting.panels.peoplePanel.focus();
  }

  participantItems(id) {
    const p = this.session.participants.get(id);
    if (!p || !this.access.moderator) return [];
    const act = (msg) => this.access.act({ participant: id, ...msg });
    const items = [];
    if (p.role !== 'viewer') {
      if (!p.audioMuted) items.push({ label: t('moderation.muteMic'), action: 'mute-audio', run: () => act({ type: 'mute-participant', audio: true, video: false }) });
      if (!p.videoMuted) items.push({ label: t('moderation.muteCam'), action: 'mute-video', run: () => act({ type: 'mute-participant', audio: false, video: true }) });
    }
    if (this.access.requests.has(id)) items.push({ label: t('moderation.allowUnmute'), action: 'allow-unmute', run: () => act({ type: 'allow-unmute' }) });
    // The floor to anyone who may speak, hand raised or not ("Maria,
    // you wanted to add something?").
    const assembly = assemblyOf(this.session);
    if (p.role !== 'viewer' && assembly.queue.speaker?.id !== id) {
      items.push({ label: t('moderation.giveFloor'), action: 'give-floor', run: () => assembly.call(id) });
    }
    for (const role of ['moderator', 'participant', 'viewer']) {
      if (p.role !== role) items.push({ label: t(`moderation.make.${role}`), action: `make-${role}`, run: () => act({ type: 'set-role', role }) });
    }
    items.push({ label: t('moderation.remove'), action: 'remove', danger: true, run: () => this.confirmRemove(p) });
    return items;
  }

  async confirmRemove(p) {
    const answer = await confirmDialog({
      title: t('moderation.removeTitle', { name: p.name }),
      body: t('moderation.removeBody'),
      confirm: t('moderation.remove'),
      danger: true,
      extra: { label: t('moderation.ban') },
    });
    if (answer.ok) this.access.act({ type: 'remove', participant: p.id, ban: answer.extra });
  }

  roomItems() {
    if (!this.access.moderator) return [];
    const s = this.access.state;
    const set = (change) => this.access.act({ type: 'room-settings', ...change });
    return [
      { label: t('moderation.muteAll'), action: 'mute-all', run: () => this.access.act({ type: 'mute-all', audio: true, video: false }) },
      { label: t('moderation.camerasOff'), action: 'cameras-off', run: () => this.access.act({ type: 'mute-all', audio: false, video: true }) },
      { label: t('moderation.askToUnmuteSetting'), action: 'ask-to-unmute', checked: s.askToUnmute, run: () => set({ askToUnmute: !s.askToUnmute }) },
      { label: t('moderation.lock'), action: 'lock', checked: s.locked, run: () => set({ locked: !s.locked }) },
      { label: t('moderation.lobby'), action: 'lobby', checked: s.lobby, run: () => set({ lobby: !s.lobby }) },
      s.password
        ? { label: t('moderation.clearPassword'), action: 'clear-password', run: () => set({ password: '' }) }
        : { label: t('moderation.setPassword'), action: 'set-password', run: () => this.askPassword() },
      { label: t('moderation.endMeeting'), action: 'end-meeting', danger: true, run: () => this.confirmEnd() },
    ];
  }

  async askPassword() {
    const pw = await promptDialog({
      title: t('moderation.setPassword'),
      body: t('moderation.passwordBody'),
      label: t('password.label'),
      confirm: t('moderation.setPasswordConfirm'),
      type: 'password',
      maxLength: 128,
    });
    if (pw) this.access.act({ type: 'room-settings', password: pw });
  }

  async confirmEnd() {
    const ok = await confirmDialog({ title: t('moderation.endTitle'), body: t('moderation.endBody'), confirm: t('moderation.endMeeting'), danger: true });
    if (ok) this.access.act({ type: 'end-meeting' });
  }

  roleChanged(role) {
    this.applyRole();
    const text = t(`moderation.nowRole.${role}`);
    toast(text, { key: 'role', iconName: role === 'moderator' ? 'shield' : 'users', timeout: 6000 });
    announce(text);
  }

  /** Shows or hides what depends on our role. */
  applyRole() {
    const { moderator, viewer } = this.access;
    this.roomMenu.el.hidden = !moderator;
    this.localBadge.hidden = !moderator;
    for (const p of this.session.participants.values()) this.decorate(p);
    this.lobby.render(this.access.waitingList());
    // A viewer only receives: no microphone or camera controls, devices off.
    const { media } = this.meeting;
    const controls = [this.meeting.mic.el, this.meeting.cam.el, this.meeting.shares?.button].filter(Boolean);
    // Focus on one (or put there by the lobby panel, which hid first)
    // goes to a control shown, not nowhere.
    const focusLost = viewer && controls.some((control) => control.contains(document.activeElement));
    for (const control of controls) control.hidden = viewer;
    if (focusLost) this.meeting.focusToolbar();
    if (viewer && (media.audioTrack || media.videoTrack || media.screenTrack || media.pending > 0)) media.stop();
    // No longer a moderator: every menu of ours closes, its actions now
    // refused by the server; focus in one goes to the toolbar, shown as
    // it is for the new role.
    if (!moderator && this.menus().filter(closeMenu).length > 0) this.meeting.focusToolbar();
  }

  /** The moderation menus: the room's, each tile's, each list row's. */
  menus() {
    return [this.roomMenu, ...[...this.decorations.values()].map((d) => d.menu), ...this.personMenus.values()];
  }

  roomChanged(state) {
    const before = this.state;
    this.state = { ...state };
    this.lockBadge.hidden = !state.locked;
    for (const flag of ROOM_FLAGS) {
      if (before[flag] === state[flag]) continue;
      const text = t(`moderation.state.${flag}.${state[flag] ? 'on' : 'off'}`);
      toast(text, { key: `room-${flag}`, iconName: flag === 'locked' || flag === 'password' ? 'lock' : 'shield' });
      announce(text);
    }
  }

  mutedByModerator({ audio, video, by }, say = true) {
    const who = this.session.participants.get(by)?.name;
    const what = audio && video ? 'both' : audio ? 'mic' : 'cam';
    const text = who ? t(`moderation.mutedBy.${what}`, { name: who }) : t(`moderation.muted.${what}`);
    if (say) announce(text);
    // Shown until dismissed or the devices are back on: someone away
    // from the screen should still find out why they are muted.
    toast(text, {
      key: 'muted',
      kind: 'warn',
      timeout: 0,
      dismissible: true,
      iconName: audio ? 'micOff' : 'camOff',
      action: this.access.state.askToUnmute ? { label: t('moderation.askToUnmute'), run: () => offerToAskNow(this.access) } : null,
    });
    this.mutedKinds = { audio, video };
    this.kept.muted = { audio, video, by };
  }

  /** Our devices changed: the muted notice goes once they are back on. */
  devicesChanged() {
    const { media } = this.meeting;
    const back = this.mutedKinds && (!this.mutedKinds.audio || media.micOn) && (!this.mutedKinds.video || media.camOn);
    if (back) {
      this.mutedKinds = null;
      this.kept.muted = null;
      dismissToast('muted');
    }
  }

  unmuteAllowed() {
    this.kept.muted = null;
    dismissToast('muted');
    dismissToast('ask-unmute');
    const text = t('moderation.unmuteAllowed');
    announce(text);
    toast(text, {
      key: 'muted',
      timeout: 10000,
      dismissible: true,
      iconName: 'mic',
      action: this.meeting.media.micOn ? null : { label: t('moderation.unmute'), run: () => this.meeting.mic.el.click() },
    });
  }

  unmuteRequests(ids, id) {
    for (const p of this.session.participants.values()) this.decorate(p);
    // Requests answered (or gone with their participant) lose their notice.
    for (const shown of this.requestToasts) {
      if (!ids.includes(shown)) {
        dismissToast(`request-${shown}`);
        this.requestToasts.delete(shown);
      }
    }
    if (id) this.showRequest(id, true);
  }

  /** Shows (and when say, announces) participant id's request to unmute. */
  showRequest(id, say) {
    const p = this.session.participants.get(id);
    if (!p || !this.access.requests.has(id)) {
      this.requestToasts.delete(id);
      return;
    }
    const text = t('moderation.requested', { name: p.name });
    if (say) announce(text);
    toast(text, {
      key: `request-${id}`,
      timeout: 0,
      dismissible: true,
      iconName: 'hand',
      action: { label: t('moderation.allowUnmute'), run: () => this.access.act({ type: 'allow-unmute', participant: id }) },
    });
    this.requestToasts.add(id);
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    // Open menus live in <body>, outside the view drawn anew.
    for (const menu of this.menus()) menu.close();
    this.lobby.destroy();
    // Notices dismissed meanwhile (their close button, their own action)
    // are not shown again.
    if (!toastShown('muted')) this.kept.muted = null;
    for (const id of this.requestToasts) {
      if (!toastShown(`request-${id}`)) this.requestToasts.delete(id);
      dismissToast(`request-${id}`);
    }
    dismissToast('muted');
    dismissToast('ask-unmute');
  }
}

/** Closes menu; returns whether focus was in it. */
function closeMenu(menu) {
  const focused = menu.hasFocus();
  menu.close();
  return focused;
}

function offerToAskNow(access) {
  if (access.askToUnmute()) {
    toast(t('moderation.askSent'), { key: 'ask-unmute', iconName: 'hand' });
    announce(t('moderation.askSent'));
  }
}
