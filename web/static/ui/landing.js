// The landing page: suggests a fresh meeting name and starts it.
import { h, mount } from './dom.js';
import { icon } from './icons.js';
import { brandBar } from './screens.js';
import { t } from '../i18n.js';
import { checkRoomName, suggestRoomName } from '../roomname.js';

export function renderLanding(root) {
  const input = h('input', {
    id: 'room-name',
    class: 'input input-large',
    type: 'text',
    value: suggestRoomName(),
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: false,
    maxLength: 64,
    required: true,
    'aria-describedby': 'room-hint',
  });
  const problem = h('p', { id: 'room-error', class: 'field-error', role: 'alert', hidden: true });
  const suggest = h('button', {
    type: 'button',
    class: 'icon-btn',
    'aria-label': t('landing.suggest'),
    title: t('landing.suggest'),
    onclick: () => {
      input.value = suggestRoomName();
      validate();
      input.focus();
    },
  }, icon('refresh'));

  function validate() {
    const name = input.value.trim();
    const why = checkRoomName(name);
    problem.hidden = !why;
    problem.textContent = why ? t(why === 'reserved' ? 'landing.reserved' : 'landing.invalid') : '';
    input.setAttribute('aria-invalid', why ? 'true' : 'false');
    if (why) input.setAttribute('aria-errormessage', 'room-error');
    return why ? null : name;
  }

  const form = h('form', {
    class: 'landing-form',
    onsubmit: (event) => {
      event.preventDefault();
      const name = validate();
      if (name) location.assign(`/${encodeURIComponent(name)}`);
      else input.focus();
    },
  },
  h('label', { class: 'label', for: 'room-name', text: t('landing.roomLabel') }),
  h('div', { class: 'input-row' },
    h('div', { class: 'input-with-button' }, input, suggest),
    h('button', { type: 'submit', class: 'btn btn-primary btn-large' }, icon('plus'), h('span', { text: t('landing.start') }))),
  problem,
  h('p', { id: 'room-hint', class: 'hint', text: t('landing.hint') }));

  input.addEventListener('input', () => {
    if (!problem.hidden) validate();
  });

  mount(root, brandBar(), h('main', { class: 'landing' },
    h('section', { class: 'landing-hero' },
      h('h1', { class: 'landing-title', text: t('landing.title') }),
      h('p', { class: 'landing-subtitle', text: t('landing.subtitle') }),
      form),
    h('div', { class: 'landing-art', 'aria-hidden': 'true' }, landingArt())));
  // Focus only with a mouse/trackpad: on phones it would pop the keyboard.
  if (matchMedia('(pointer: fine)').matches) {
    input.focus();
    input.select();
  }
}

// A calm decorative illustration: a few tiles, drawn with CSS.
function landingArt() {
  const tiles = ['a', 'b', 'c', 'd'].map((k) => h('div', { class: `art-tile art-${k}` }, h('span', { class: 'art-avatar' })));
  return h('div', { class: 'art-grid' }, tiles);
}
