// The chat panel: the meeting's messages, a choice of recipient
// (everyone or one person, privately) and the field to write in.
// User text only ever reaches the page as text nodes (see linkify.js).
import { h } from './dom.js';
import { icon } from './icons.js';
import { linkify } from './linkify.js';
import { announce } from './announcer.js';
import { toast } from './toast.js';
import { MAX_TEXT } from '../chat.js';
import { isBlank } from '../looks.js';
import { t, currentLanguage } from '../i18n.js';

// A message announced to screen readers is cut to this many characters.
const ANNOUNCE_CHARS = 160;
// How close to the bottom (px) the list must be to follow new messages.
const FOLLOW_SLACK = 60;

export class ChatPanel {
  /**
   * @param {object} o
   * @param {import('../session.js').Session} o.session
   * @param {() => void} o.onClose
   */
  constructor({ session, onClose }) {
    this.session = session;
    this.chat = session.chat;
    this.cleanups = [];
    this.timeFormat = new Intl.DateTimeFormat(currentLanguage(), { hour: '2-digit', minute: '2-digit' });

    this.list = h('ol', { class: 'chat-list', tabindex: '0', 'aria-label': t('chat.messages') });
    this.empty = h('p', { class: 'chat-empty', text: t('chat.empty') });
    this.to = h('select', { id: 'chat-to', class: 'select chat-to', onchange: () => this.choose(this.to.value) });
    this.input = h('textarea', {
      id: 'chat-input', class: 'input chat-input', rows: 2, maxLength: MAX_TEXT,
      value: this.chat.draft,
      oninput: () => { this.chat.draft = this.input.value; },
      onkeydown: (e) => this.onKey(e),
    });
    const form = h('form', { class: 'chat-form', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('div', { class: 'chat-to-row' },
        h('label', { for: 'chat-to', class: 'chat-to-label', text: t('chat.to') }),
        this.to),
      h('div', { class: 'chat-compose' },
        h('label', { for: 'chat-input', class: 'visually-hidden', text: t('chat.inputLabel') }),
        this.input,
        h('button', { type: 'submit', class: 'icon-btn chat-send', 'aria-label': t('chat.send'), title: t('chat.send') }, icon('send'))));
    this.el = h('section', { id: 'chat-panel', class: 'panel chat-panel', 'aria-labelledby': 'chat-title' },
      h('header', { class: 'panel-header' },
        h('h2', { id: 'chat-title', class: 'panel-title', text: t('chat.title') }),
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('chat.close'), title: t('chat.close'), onclick: onClose }, icon('close'))),
      this.empty, this.list, form);

    for (const m of this.chat.messages) this.list.append(this.row(m));
    this.syncEmpty();
    this.syncRecipients();

    const on = (target, type, fn) => {
      const handler = (e) => fn(e.detail);
      target.addEventListener(type, handler);
      this.cleanups.push(() => target.removeEventListener(type, handler));
    };
    on(this.chat, 'message', ({ message, live }) => this.added(message, live));
    on(this.chat, 'refused', ({ request, code }) => {
      if (request !== 'chat') return;
      const key = code === 'not-found' ? 'chat.recipientGone' : 'chat.tooFast';
      toast(t(key), { key: 'chat', kind: 'warn', iconName: 'alert' });
    });
    for (const type of ['participant-joined', 'participant-updated', 'participant-left']) {
      on(session, type, () => this.syncRecipients());
    }
  }

  onKey(e) {
    // Enter sends, Shift+Enter starts a new line (as in other chats);
    // not while an input method composes (Japanese, Chinese…).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (isBlank(text)) return; // the server would end the session
    const to = this.to.value;
    if (to && !this.session.participants.has(to)) {
      // Kept for a private draft whose recipient left: not sent to anyone.
      toast(t('chat.recipientGone'), { key: 'chat', kind: 'warn', iconName: 'alert' });
      return;
    }
    if (!this.chat.sendText(text, to)) return;
    this.input.value = '';
    this.chat.draft = '';
    this.input.focus();
  }

  added(message, live) {
    const follow = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < FOLLOW_SLACK;
    this.list.append(this.row(message));
    while (this.list.children.length > this.chat.messages.length) this.list.firstElementChild.remove();
    this.syncEmpty();
    if (follow || message.from === this.session.id) this.list.scrollTop = this.list.scrollHeight;
    if (live && message.from !== this.session.id) {
      const text = message.text.length > ANNOUNCE_CHARS ? `${message.text.slice(0, ANNOUNCE_CHARS)}…` : message.text;
      announce(t(message.to ? 'chat.announcePrivate' : 'chat.announce', { name: message.name, text }));
    }
  }

  row(m) {
    const own = m.from === this.session.id;
    let privacy = null;
    if (m.to) {
      const other = this.session.participants.get(m.to)?.name;
      const label = own ? (other ? t('chat.privateTo', { name: other }) : t('chat.private')) : t('chat.privateToYou');
      privacy = h('span', { class: 'chat-private', text: label });
    }
    const when = new Date(m.time);
    return h('li', { class: `chat-message${own ? ' is-own' : ''}${m.to ? ' is-private' : ''}`, 'data-id': m.id },
      h('div', { class: 'chat-meta' },
        h('span', { class: 'chat-name', text: own ? t('chat.you') : m.name }),
        privacy,
        h('time', { class: 'chat-time', datetime: when.toISOString(), text: this.timeFormat.format(when) })),
      h('p', { class: 'chat-text' }, linkify(m.text)));
  }

  syncEmpty() {
    this.empty.hidden = this.chat.messages.length > 0;
  }

  /** Chooses whom we write to: '' for everyone, else a participant id. */
  choose(id) {
    if (id !== this.chat.recipient) this.chat.recipientName = this.session.participants.get(id)?.name ?? '';
    this.chat.recipient = id;
    this.syncRecipients();
  }

  /**
   * Everyone, then each participant by name. A recipient who left falls
   * back to everyone, unless a draft is written for them: that stays
   * theirs, shown as gone and not sent, rather than go to everyone.
   */
  syncRecipients() {
    const people = [...this.session.participants.values()].sort((a, b) => a.name.localeCompare(b.name));
    const chosen = this.chat.recipient;
    const gone = chosen !== '' && !this.session.participants.has(chosen);
    if (gone && !this.input.value.trim()) this.chat.recipient = '';
    const options = [
      h('option', { value: '', text: t('chat.everyone') }),
      ...people.map((p) => h('option', { value: p.id, text: t('chat.privately', { name: p.name }) }))];
    if (gone && this.chat.recipient) options.push(h('option', { value: chosen, text: t('chat.privatelyGone', { name: this.chat.recipientName }) }));
    this.to.replaceChildren(...options);
    this.to.value = this.chat.recipient;
    const p = this.session.participants.get(this.chat.recipient);
    if (p) this.chat.recipientName = p.name; // renamed meanwhile
    this.input.placeholder = this.chat.recipient ? t('chat.placeholderPrivate', { name: this.chat.recipientName }) : t('chat.placeholder');
  }

  focus() {
    this.input.focus();
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    this.el.remove();
  }
}
