// Single-key keyboard shortcuts (M microphone, V camera, ? help, …) and
// the dialog that lists them. Features register their own key while they
// are on screen:
//
//   const off = registerShortcut({ key: 'h', label: 'shortcuts.hand', button: handButton });
//   … off() when the view goes away.
//
// Keys do nothing while the user types in a field, with Ctrl/Alt/Meta
// (those belong to the browser and assistive technology), or while a
// modal dialog is open.
import { h, isTyping } from './dom.js';
import { icon } from './icons.js';
import { t } from '../i18n.js';

/** @type {Map<string, {key: string, label: string, run: (e: KeyboardEvent) => void}>} */
const registered = new Map();
let installed = false;

/**
 * Binds a single key (case-insensitive letter, or a character such as
 * "?") to run, or to a click on button, which then advertises the key
 * (aria-keyshortcuts); label is the catalogue key describing it in the
 * help dialog. A later registration of the same key replaces the earlier
 * one until it is removed. Returns a function that removes it.
 */
export function registerShortcut({ key, label, run = null, button = null }) {
  const k = key.length === 1 ? key.toLowerCase() : key;
  const entry = { key: k, label, run: run || (() => button?.click()) };
  // Added to the keys the button has: S and D both share the screen.
  const keys = new Set((button?.getAttribute('aria-keyshortcuts') ?? '').split(' ').filter(Boolean));
  button?.setAttribute('aria-keyshortcuts', [...keys.add(k.toUpperCase())].join(' '));
  const previous = registered.get(k);
  registered.delete(k); // re-inserted last, so the help lists keys in registration order
  registered.set(k, entry);
  return () => {
    if (registered.get(k) !== entry) return;
    registered.delete(k);
    if (previous) registered.set(k, previous);
  };
}

/** Starts listening to the keyboard (once) and binds ? to the help. */
export function installShortcuts() {
  if (installed) return;
  installed = true;
  document.addEventListener('keydown', onKey);
}

function onKey(event) {
  if (event.repeat || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (isTyping(event) || document.querySelector('dialog[open]')) return;
  if (event.key === '?') {
    event.preventDefault();
    showShortcutHelp();
    return;
  }
  const entry = registered.get(event.key.length === 1 ? event.key.toLowerCase() : event.key);
  if (!entry) return;
  event.preventDefault();
  entry.run(event);
}

/** A button that opens the shortcut help (for people who don't know "?"). */
export function shortcutHelpButton(cls = 'icon-btn') {
  return h('button', {
    type: 'button',
    class: `${cls} shortcut-help-btn`,
    'aria-label': t('shortcuts.title'),
    'aria-keyshortcuts': '?',
    title: `${t('shortcuts.title')} (?)`,
    onclick: () => showShortcutHelp(),
  }, icon('keyboard'));
}

/** Opens the modal dialog listing the shortcuts available now. */
export function showShortcutHelp() {
  document.getElementById('shortcut-help')?.remove();
  // Keys for one action (S and D share the screen) share its row.
  const keysOf = new Map();
  for (const s of registered.values()) keysOf.set(s.label, [...(keysOf.get(s.label) ?? []), s.key.toUpperCase()]);
  const rows = [...keysOf].map(([label, keys]) => row(keys, t(label)));
  rows.push(row(['?'], t('shortcuts.help')));
  const close = h('button', { type: 'button', class: 'icon-btn dialog-close', 'aria-label': t('shortcuts.close'), title: t('shortcuts.close') }, icon('close'));
  const dialog = h('dialog', { id: 'shortcut-help', class: 'dialog', 'aria-labelledby': 'shortcut-help-title' },
    h('div', { class: 'dialog-head' },
      h('h2', { id: 'shortcut-help-title', class: 'dialog-title', text: t('shortcuts.title') }),
      close),
    h('table', { class: 'shortcut-table' },
      h('thead', { class: 'visually-hidden' }, h('tr', {},
        h('th', { scope: 'col', text: t('shortcuts.key') }),
        h('th', { scope: 'col', text: t('shortcuts.action') }))),
      h('tbody', {}, rows)),
    h('p', { class: 'dialog-note', text: t('shortcuts.note') }));
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the box) closes it too.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  const opener = document.activeElement;
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}

function row(keys, label) {
  return h('tr', {}, h('td', {}, keys.map((k, i) => [i ? ' ' : null, h('kbd', { text: k })])), h('td', { text: label }));
}
