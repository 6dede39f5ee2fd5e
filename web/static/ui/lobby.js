// The lobby, both sides of it: the waiting screen of someone a
// moderator has yet to let in, and the moderators' panel listing who
// waits, with Admit and Deny.
import { h, mount } from './dom.js';
import { icon } from './icons.js';
import { brandBar } from './screens.js';
import { announce } from './announcer.js';
import { t } from '../i18n.js';

/** The newcomer's screen while a moderator has not let them in. */
export function lobbyScreen(root, { room, onLeave }) {
  const heading = h('h1', { class: 'message-title', text: t('lobby.waiting.title'), tabIndex: -1 });
  const leave = h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'leave-lobby', onclick: onLeave },
    icon('door'), h('span', { text: t('lobby.leave') }));
  mount(root, brandBar(), h('main', { class: 'message-screen lobby-screen' },
    h('section', { class: 'card message-card', 'aria-busy': 'true' },
      h('div', { class: 'message-icon lobby-icon' }, icon('hourglass')),
      heading,
      h('p', { class: 'message-body', text: t('lobby.waiting.body') }),
      h('p', { class: 'message-details', text: t('prejoin.room', { room }) }),
      h('div', { class: 'actions' }, leave))));
  heading.focus();
  announce(t('lobby.waiting.title'));
}

/**
 * The moderators' lobby panel inside the meeting: shown while someone
 * waits, one row per person with Admit and Deny, and Admit all.
 */
export class LobbyPanel {
  /**
   * @param {HTMLElement} parent  where the panel goes
   * @param {import('../access.js').Access} access
   * @param {() => void} focusAway  moves focus out of the panel as it hides
   */
  constructor(parent, access, focusAway) {
    this.access = access;
    this.focusAway = focusAway;
    this.list = h('ul', { class: 'lobby-list' });
    this.title = h('h2', { class: 'lobby-title', id: 'lobby-title' });
    this.admitAll = h('button', { type: 'button', class: 'btn btn-small btn-secondary', 'data-action': 'admit-all', text: t('lobby.admitAll'), onclick: () => this.admitEveryone() });
    this.el = h('aside', { class: 'lobby-panel card', 'aria-labelledby': 'lobby-title', hidden: true },
      h('div', { class: 'lobby-head' }, icon('hourglass'), this.title, this.admitAll),
      this.list);
    parent.append(this.el);
  }

  /** Shows who waits; joined is the newcomer, announced to screen readers. */
  render(waiting, joined = null) {
    // A keyboard user who just admitted someone lands on the next one.
    const hadFocus = this.el.contains(document.activeElement);
    const show = this.access.moderator && waiting.length > 0;
    this.el.hidden = !show;
    if (!show) {
      this.list.replaceChildren();
      if (hadFocus) this.focusAway();
      return;
    }
    this.title.textContent = t('lobby.count', { count: waiting.length });
    this.admitAll.hidden = waiting.length < 2;
    this.list.replaceChildren(...waiting.map((p) => this.row(p)));
    if (hadFocus && !this.el.contains(document.activeElement)) this.list.querySelector('button')?.focus();
    if (joined) announce(t('lobby.announce', { name: joined.name }));
  }

  row(p) {
    const answer = (type, primary) => h('button', {
      type: 'button',
      class: `btn btn-small ${primary ? 'btn-primary' : 'btn-secondary'}`,
      'data-action': type,
      'aria-label': t(`lobby.${type}Name`, { name: p.name }),
      text: t(`lobby.${type}`),
      onclick: () => this.access.act({ type, participant: p.id }),
    });
    return h('li', { class: 'lobby-row', 'data-lobby': p.id },
      h('span', { class: 'lobby-name', text: p.name }),
      answer('admit', true),
      answer('deny', false));
  }

  admitEveryone() {
    for (const p of this.access.waitingList()) this.access.act({ type: 'admit', participant: p.id });
  }

  destroy() {
    this.el.remove();
  }
}
