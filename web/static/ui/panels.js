// The meeting's side panels (chat, participant list) with their toolbar
// buttons, the reaction menu, the C and P shortcuts, and reactions shown on
// tiles. One panel shows at a time, beside the tiles (over them on a
// phone). Which one is open is kept per session, so that drawing the
// meeting again (a language change) keeps it.
import { h } from './dom.js';
import { icon } from './icons.js';
import { announce } from './announcer.js';
import { toast } from './toast.js';
import { ChatPanel } from './chatpanel.js';
import { PeoplePanel } from './people.js';
import { reactionMenu, reactionName, showReaction } from './reactions.js';
import { registerShortcut } from './shortcuts.js';
import { keptFor } from './kept.js';
import { t } from '../i18n.js';

export class Panels {
  /**
   * @param {object} o
   * @param {import('../session.js').Session} o.session
   * @param {import('../media.js').LocalMedia} o.media
   * @param {(id: string) => HTMLElement|null} o.tileOf  the tile element of a participant (ours too)
   */
  constructor({ session, media, tileOf }) {
    this.session = session;
    this.kept = keptFor(session);
    this.chat = session.chat;
    this.tileOf = tileOf;
    this.cleanups = [];

    this.chatPanel = new ChatPanel({ session, onClose: () => this.close() });
    this.peoplePanel = new PeoplePanel({ session, media, onClose: () => this.close() });
    this.el = h('aside', { class: 'side-panel', hidden: true, onkeydown: (e) => this.onPanelKey(e) }, this.chatPanel.el, this.peoplePanel.el);

    this.badge = h('span', { class: 'ctl-badge', 'aria-hidden': 'true', hidden: true });
    this.chatButton = h('button', {
      type: 'button', class: 'ctl ctl-chat', 'aria-controls': 'chat-panel', 'aria-pressed': 'false',
      title: t('toolbar.chatHint'), onclick: () => this.toggle('chat'),
    }, icon('chat'), this.badge);
    this.peopleButton = h('button', {
      type: 'button', class: 'ctl ctl-people', 'aria-controls': 'people-panel', 'aria-label': t('toolbar.people'), 'aria-pressed': 'false',
      title: t('toolbar.peopleHint'), onclick: () => this.toggle('people'),
    }, icon('users'));
    this.reactions = reactionMenu((emoji) => this.chat.react(emoji));
    /** Toolbar controls, in order. */
    this.buttons = [this.reactions.el, this.chatButton, this.peopleButton];

    const on = (target, type, fn) => {
      const handler = (e) => fn(e instanceof CustomEvent ? e.detail : e);
      target.addEventListener(type, handler);
      this.cleanups.push(() => target.removeEventListener(type, handler));
    };
    on(this.chat, 'unread', () => this.syncBadge());
    on(this.chat, 'reaction', ({ from, emoji }) => this.reacted(from, emoji));
    on(this.chat, 'refused', ({ request }) => {
      if (request === 'react') toast(t('reactions.tooFast'), { key: 'react', kind: 'warn' });
    });
    // C toggles the chat, P the participant list (shortcuts.js ignores
    // keys typed in fields).
    this.cleanups.push(
      registerShortcut({ key: 'c', label: 'shortcuts.chat', button: this.chatButton }),
      registerShortcut({ key: 'p', label: 'shortcuts.participants', button: this.peopleButton }));

    this.syncBadge();
    this.show(this.kept.panel || null, false);
  }

  toggle(name) {
    const current = this.kept.panel || null;
    this.show(current === name ? null : name, true);
  }

  close() {
    const was = this.kept.panel;
    this.show(null, false);
    (was === 'people' ? this.peopleButton : this.chatButton).focus();
  }

  /** Shows panel name (null: none); focus moves into it when asked. */
  show(name, focus) {
    this.kept.panel = name;
    this.el.hidden = !name;
    this.chatPanel.el.hidden = name !== 'chat';
    this.peoplePanel.el.hidden = name !== 'people';
    this.chatButton.setAttribute('aria-pressed', String(name === 'chat'));
    this.peopleButton.setAttribute('aria-pressed', String(name === 'people'));
    this.chatButton.classList.toggle('is-active', name === 'chat');
    this.peopleButton.classList.toggle('is-active', name === 'people');
    this.chat.setOpen(name === 'chat');
    document.body.classList.toggle('has-side-panel', !!name);
    if (focus && name === 'chat') this.chatPanel.focus();
    if (focus && name === 'people') this.peoplePanel.focus();
  }

  syncBadge() {
    const n = this.chat.unread;
    this.badge.hidden = n === 0;
    this.badge.textContent = n > 99 ? '99+' : String(n);
    const label = n ? t('toolbar.chatUnread', { count: n }) : t('toolbar.chat');
    this.chatButton.setAttribute('aria-label', label);
  }

  reacted(from, emoji) {
    const tile = this.tileOf(from);
    if (tile) showReaction(tile, emoji);
    if (from !== this.session.id) {
      const name = this.session.participants.get(from)?.name;
      if (name) announce(t('reactions.announce', { name, reaction: reactionName(emoji) }));
    }
  }

  // Escape closes the panel from anywhere inside it.
  onPanelKey(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
    }
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    this.reactions.destroy();
    this.chatPanel.destroy();
    this.peoplePanel.destroy();
    document.body.classList.remove('has-side-panel');
  }
}
