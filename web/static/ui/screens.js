// Simple full-page screens: joining, left, error, not found.
import { h, mount } from './dom.js';
import { icon, logo } from './icons.js';
import { languageSelect } from './language.js';
import { t } from '../i18n.js';

/** A branded page header linking home, with the language switch. */
export function brandBar() {
  return h('header', { class: 'brandbar' },
    h('a', { class: 'brand', href: '/' }, logo(), h('span', { text: t('app.name') })),
    languageSelect());
}

/**
 * Renders a centered message card.
 * actions: [{label, run, primary, iconName}]; the first one gets focus.
 */
export function messageScreen(root, { iconName = '', tone = '', title, body = '', details = '', actions = [] }) {
  const buttons = actions.map((a) => h('button', {
    type: 'button',
    class: `btn ${a.primary ? 'btn-primary' : 'btn-secondary'}`,
    onclick: a.run,
  }, a.iconName ? icon(a.iconName) : null, h('span', { text: a.label })));
  const heading = h('h1', { class: 'message-title', text: title, tabIndex: -1 });
  mount(root, brandBar(), h('main', { class: 'message-screen' },
    h('section', { class: 'card message-card' },
      iconName ? h('div', { class: `message-icon ${tone}` }, icon(iconName)) : null,
      heading,
      body ? h('p', { class: 'message-body', text: body }) : null,
      details ? h('p', { class: 'message-details', text: details }) : null,
      buttons.length ? h('div', { class: 'actions' }, buttons) : null)));
  // Move focus so keyboard and screen-reader users land on the news.
  (buttons[0] || heading).focus();
}

/** The "Joining…" screen shown while connecting without a pre-join page. */
export function joiningScreen(root, room) {
  mount(root, brandBar(), h('main', { class: 'message-screen' },
    h('section', { class: 'card message-card', 'aria-busy': 'true' },
      h('div', { class: 'spinner', role: 'progressbar', 'aria-label': t('prejoin.joining') }),
      h('h1', { class: 'message-title', text: t('prejoin.joining') }),
      h('p', { class: 'message-body', text: t('prejoin.room', { room }) }))));
}
