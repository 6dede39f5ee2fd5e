// The participant list: everybody in the meeting, ourselves first, with
// microphone, camera and raised-hand state (from the speaking queue,
// whose order the list follows). Each row has an actions slot
// that other modules fill (moderator actions) through
// registerPersonActions, so this file needs no knowledge of them.
import { h } from './dom.js';
import { icon } from './icons.js';
import { hueFor, initials } from './avatar.js';
import { assemblyOf } from '../assembly.js';
import { t } from '../i18n.js';

const actionProviders = new Set();
const livePanels = new Set(); // redrawn when providers come or go

/**
 * Adds a provider of per-row actions. fn(person, {session, self}) returns
 * a Node (buttons, a menu) for the row's actions slot, or null; person is
 * {id, name, audioMuted, videoMuted, role, reconnecting, hand
 * ({position, direct} or null)}, self whether it is us.
 * Rows are rebuilt on every change: a node that keeps state (a menu
 * that may be open) must be the same node each time, which moves into
 * the new row, focus staying on it.
 * Returns a function that removes the provider.
 */
export function registerPersonActions(fn) {
  actionProviders.add(fn);
  for (const panel of livePanels) panel.refresh();
  return () => {
    actionProviders.delete(fn);
    for (const panel of livePanels) panel.refresh();
  };
}


export class PeoplePanel {
  /**
   * @param {object} o
   * @param {import('../session.js').Session} o.session
   * @param {import('../media.js').LocalMedia} o.media
   * @param {() => void} o.onClose
   */
  constructor({ session, media, onClose }) {
    this.session = session;
    this.media = media;
    this.cleanups = [];
    this.title = h('h2', { id: 'people-title', class: 'panel-title', tabindex: '-1' });
    this.list = h('ul', { class: 'people-list', 'aria-labelledby': 'people-title' });
    this.el = h('section', { id: 'people-panel', class: 'panel people-panel', 'aria-labelledby': 'people-title' },
      h('header', { class: 'panel-header' },
        this.title,
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('people.close'), title: t('people.close'), onclick: onClose }, icon('close'))),
      this.list);
    const refresh = () => this.refresh();
    for (const type of ['participant-joined', 'participant-updated', 'participant-left', 'local', 'role']) {
      session.addEventListener(type, refresh);
      this.cleanups.push(() => session.removeEventListener(type, refresh));
    }
    // Raised hands are the speaking queue's (assembly.js).
    this.assembly = assemblyOf(session);
    for (const type of ['queue', 'role']) {
      this.assembly.addEventListener(type, refresh);
      this.cleanups.push(() => this.assembly.removeEventListener(type, refresh));
    }
    media.addEventListener('change', refresh);
    this.cleanups.push(() => media.removeEventListener('change', refresh));
    livePanels.add(this);
    this.cleanups.push(() => livePanels.delete(this));
    this.refresh();
  }

  /**
   * Everybody as the session knows them: ourselves first, then raised
   * hands in the queue's order, then the others in order of arrival.
   * hand is {position, direct} or null.
   */
  people() {
    const entries = this.assembly.queue.entries;
    const hands = new Map(entries.map((e, position) => [e.id, { position, direct: e.direct === true }]));
    // Our hand, raised on this device or another of ours.
    const own = this.assembly.myHand();
    if (own && this.session.id) hands.set(this.session.id, { position: entries.indexOf(own), direct: own.direct === true });
    const self = {
      id: this.session.id || 'local',
      name: this.session.name,
      audioMuted: !this.media.micOn,
      videoMuted: !this.media.camOn,
      role: this.assembly.role || this.session.role,
    };
    const others = [...this.session.participants.values()];
    const queued = others.filter((p) => hands.has(p.id)).sort((a, b) => hands.get(a.id).position - hands.get(b.id).position);
    const rest = others.filter((p) => !hands.has(p.id));
    return [self, ...queued, ...rest].map((p) => ({ ...p, hand: hands.get(p.id) || null }));
  }

  refresh() {
    const people = this.people();
    this.title.textContent = t('people.title', { count: people.length });
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    this.list.replaceChildren(...people.map((p, i) => this.row(p, i === 0)));
    // Moved into its new row, a control lost focus; one whose row went
    // (its person left) leaves it on the list's title, not nowhere.
    if (focused && document.activeElement !== focused) (focused.isConnected ? focused : this.title).focus();
  }

  row(p, self) {
    const name = self ? t('meeting.you', { name: p.name }) : p.name;
    const avatar = h('span', { class: 'avatar person-avatar', 'aria-hidden': 'true', text: initials(p.name) });
    avatar.style.setProperty('--hue', hueFor(p.id));
    const role = p.role === 'moderator' || p.role === 'viewer' ? h('span', { class: 'person-role', text: t(`people.role.${p.role}`) }) : null;
    const away = p.reconnecting ? h('span', { class: 'person-reconnecting', text: t('meeting.reconnecting') }) : null;
    const state = (on, label, iconName) => h('span', { class: `person-state${on ? '' : ' is-off'}`, role: 'img', 'aria-label': label, title: label }, icon(iconName));
    let hand = null;
    if (p.hand) {
      const label = t(p.hand.direct ? 'people.handDirect' : 'people.handRaised', { n: p.hand.position + 1 });
      hand = h('span', { class: 'person-hand', role: 'img', 'aria-label': label, title: label }, icon('hand'), h('span', { class: 'person-hand-n', 'aria-hidden': 'true', text: String(p.hand.position + 1) }));
    }
    const actions = h('div', { class: 'person-actions', 'data-slot': 'actions' });
    for (const fn of actionProviders) {
      try {
        const node = fn({ ...p }, { session: this.session, self });
        if (node) actions.append(node);
      } catch (err) {
        console.warn('plenum: person actions failed', err);
      }
    }
    return h('li', { class: 'person', 'data-participant': p.id },
      avatar,
      h('span', { class: 'person-name' }, h('span', { class: 'person-label', title: name, text: name }), role, away),
      hand,
      p.role === 'viewer' ? null : state(!p.audioMuted, t(p.audioMuted ? 'people.micOff' : 'people.micOn'), p.audioMuted ? 'micOff' : 'mic'),
      p.role === 'viewer' ? null : state(!p.videoMuted, t(p.videoMuted ? 'people.camOff' : 'people.camOn'), p.videoMuted ? 'camOff' : 'cam'),
      actions);
  }

  focus() {
    this.title.focus();
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    this.el.remove();
  }
}
