// The meeting's chat and reactions, UI-free: what the server sent
// (chat, chat-history, reaction, refused) and what we send (chat,
// react). It outlives the meeting screen, which is drawn again when the
// language changes, so it also keeps what the screen must not lose: the
// unread count, whether the panel is open, the draft.
// Events: message {message, live}, unread {count}, reaction {from,
// emoji}, refused {request, code}.

import { isBlank } from './looks.js';

/** The reactions the server accepts, in the order they are offered. */
export const REACTIONS = ['👍', '👏', '😂', '😮', '❤️', '🎉'];

/** Longest message the server accepts (it counts code points; we count UTF-16 units, never fewer). */
export const MAX_TEXT = 2000;

// Messages kept for display: the server's history holds 200, a long
// meeting more.
const KEEP = 500;

export class Chat extends EventTarget {
  /**
   * @param {object} o
   * @param {(msg: object) => boolean} o.send  sends a message to the server; false when not joined
   * @param {() => string|null} o.self  our participant id
   */
  constructor({ send, self }) {
    super();
    this.send = send;
    this.self = self;
    this.messages = []; // {id, from, name, to, text, time}, oldest first
    this.ids = new Set(); // the messages' keys (add), in their order
    this.unread = 0;
    this.open = false; // the panel is shown: nothing counts as unread
    this.draft = '';
    this.recipient = ''; // '' = everyone, else a participant id
    this.recipientName = ''; // theirs, still known once they left
  }

  /** Handles one server message of the chat; false for other types. */
  receive(msg) {
    switch (msg.type) {
      case 'chat':
        this.add(msg.message, true);
        return true;
      case 'chat-history':
        if (Array.isArray(msg.messages)) for (const m of msg.messages) this.add(m, false);
        return true;
      case 'reaction':
        if (typeof msg.from === 'string' && REACTIONS.includes(msg.emoji)) this.emit('reaction', { from: msg.from, emoji: msg.emoji });
        return true;
      case 'refused':
        if (msg.request === 'chat' || msg.request === 'react') this.emit('refused', { request: msg.request, code: String(msg.code || '') });
        return msg.request === 'chat' || msg.request === 'react';
      default:
        return false;
    }
  }

  add(raw, live) {
    if (!raw || typeof raw.id !== 'string' || typeof raw.text !== 'string') return;
    // Ids count a room's messages from 1 and start again with a restarted
    // server: with the time, a history that repeats a message is known,
    // and a new message with an old id is not taken for it.
    const key = `${raw.id}@${raw.time ?? ''}`;
    if (this.ids.has(key)) return;
    const message = {
      id: raw.id,
      from: String(raw.from ?? ''),
      name: String(raw.name ?? ''),
      to: typeof raw.to === 'string' ? raw.to : '',
      text: raw.text,
      time: Number(raw.time) || Date.now(),
    };
    this.ids.add(key);
    this.messages.push(message);
    if (this.messages.length > KEEP) {
      this.messages.shift();
      this.ids.delete(this.ids.values().next().value); // the oldest's
    }
    this.emit('message', { message, live });
    if (!this.open && message.from !== this.self()) {
      this.unread += 1;
      this.emit('unread', { count: this.unread });
    }
  }

  /** Sends text to everybody, or privately to participant to. */
  sendText(text, to = '') {
    const clean = text.trim();
    if (isBlank(clean) || clean.length > MAX_TEXT) return false;
    return this.send(to ? { type: 'chat', text: clean, to } : { type: 'chat', text: clean });
  }

  react(emoji) {
    if (!REACTIONS.includes(emoji)) return false;
    return this.send({ type: 'react', emoji });
  }

  /** The panel is shown (messages are read) or hidden. */
  setOpen(open) {
    this.open = open;
    if (open && this.unread) {
      this.unread = 0;
      this.emit('unread', { count: 0 });
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
