// Modal dialogs on the native <dialog> element: it traps focus, closes
// on Escape and gives focus back by itself.
import { h } from './dom.js';
import { t } from '../i18n.js';

/**
 * Asks to confirm an action. Resolves true when confirmed.
 * o: {title, body, confirm (button label), danger, extra: {label}}:
 * with extra, a checkbox is shown and the result is {ok, extra}.
 */
export function confirmDialog({ title, body = '', confirm, danger = false, extra = null }) {
  const box = extra ? h('input', { type: 'checkbox', id: 'dialog-extra' }) : null;
  return modal({
    title,
    content: [
      body ? h('p', { class: 'dialog-body', text: body }) : null,
      box ? h('label', { class: 'dialog-check', for: 'dialog-extra' }, box, h('span', { text: extra.label })) : null,
    ],
    confirm,
    danger,
    result: () => (box ? { ok: true, extra: box.checked } : true),
    cancelled: box ? { ok: false, extra: false } : false,
  });
}

/**
 * Asks for a text (a password). Resolves with it, or null if cancelled.
 * o: {title, body, label, confirm, type, maxLength}
 */
export function promptDialog({ title, body = '', label, confirm, type = 'text', maxLength = 128 }) {
  const input = h('input', { id: 'dialog-input', class: 'input', type, maxLength, required: true, autocomplete: 'off' });
  return modal({
    title,
    content: [
      body ? h('p', { class: 'dialog-body', text: body }) : null,
      h('label', { class: 'label', for: 'dialog-input', text: label }),
      input,
    ],
    confirm,
    focus: input,
    valid: () => input.value !== '',
    result: () => input.value,
    cancelled: null,
  });
}

function modal({ title, content, confirm, danger = false, focus = null, valid = () => true, result, cancelled }) {
  return new Promise((resolve) => {
    let value = cancelled;
    const ok = h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-action': 'confirm', text: confirm });
    const form = h('form', {
      method: 'dialog',
      class: 'dialog-form',
      onsubmit: (event) => {
        event.preventDefault();
        if (!valid()) return;
        value = result();
        dialog.close();
      },
    },
    h('h2', { class: 'dialog-title', id: 'dialog-title', text: title }),
    content,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'cancel', text: t('dialog.cancel'), onclick: () => dialog.close() }),
      ok));
    const dialog = h('dialog', { class: 'dialog card', 'aria-labelledby': 'dialog-title' }, form);
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(value);
    });
    document.body.append(dialog);
    dialog.showModal();
    (focus || ok).focus();
  });
}
