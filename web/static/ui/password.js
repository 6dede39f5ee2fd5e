// The password screen: the room has a password and we came without a
// link. Asks for it and joins again, without reloading the page.
import { h, mount } from './dom.js';
import { icon } from './icons.js';
import { brandBar } from './screens.js';
import { t } from '../i18n.js';

const MAX_PASSWORD = 128; // characters, as the server accepts

/**
 * Shows the password form. why: 'password-required', 'wrong-password'
 * or 'rate-limit' (too many wrong attempts: wait a few seconds).
 * onSubmit(password) joins again; onLeave gives up.
 */
export function passwordScreen(root, { room, why, onSubmit, onLeave }) {
  const error = why === 'password-required' ? '' : t(`password.${why}`);
  const input = h('input', {
    id: 'room-password',
    class: 'input',
    type: 'password',
    maxLength: MAX_PASSWORD,
    autocomplete: 'current-password',
    required: true,
    'aria-invalid': error ? 'true' : null,
    'aria-describedby': error ? 'password-error' : null,
  });
  const errorEl = h('p', { id: 'password-error', class: 'field-error', role: 'alert', text: error, hidden: !error });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large btn-block', 'data-action': 'submit-password' }, h('span', { text: t('password.join') }));
  const form = h('form', {
    class: 'join-form',
    novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      const value = input.value;
      if (!value) {
        errorEl.textContent = t('password.empty');
        errorEl.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      submit.disabled = true;
      submit.classList.add('is-busy');
      onSubmit(value);
    },
  },
  h('div', { class: 'field' },
    h('label', { class: 'label', for: 'room-password', text: t('password.label') }),
    input,
    errorEl),
  submit,
  h('button', { type: 'button', class: 'btn btn-secondary btn-block', onclick: onLeave }, h('span', { text: t('password.cancel') })));
  mount(root, brandBar(), h('main', { class: 'message-screen' },
    h('section', { class: 'card message-card password-card' },
      h('div', { class: 'message-icon' }, icon('lock')),
      h('h1', { class: 'message-title', text: t('password.title') }),
      h('p', { class: 'message-body', text: t('password.body', { room }) }),
      form)));
  input.focus();
}
