// A menu button (WAI-ARIA menu button pattern): a button that opens a
// list of actions. Arrow keys move between items, Home/End jump,
// Escape closes and gives focus back to the button; a click elsewhere
// closes it too. The open list lives in <body>, placed next to its
// button: tiles clip what overflows them.
import { h } from './dom.js';
import { icon } from './icons.js';

let open = null; // the one menu open at a time

/**
 * menuButton({label, iconName, className, items}) returns {el, close}.
 * items() is called at each opening and returns
 * [{label, action, run, danger, checked}] (checked: true/false for a
 * toggle, undefined for a plain action); action names the item for
 * tests and styles (data-action). hasFocus() tells whether focus is on
 * the button or in the open list; setLabel(label) names it anew (a
 * rename).
 */
export function menuButton({ label, iconName = 'more', className = '', items }) {
  const list = h('div', { class: 'menu', role: 'menu', hidden: true, 'aria-label': label });
  const button = h('button', {
    type: 'button',
    class: `menu-button ${className}`.trim(),
    'aria-label': label,
    title: label,
    'aria-haspopup': 'menu',
    'aria-expanded': 'false',
    onclick: () => (list.hidden ? show() : close()),
    onkeydown: (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        show(event.key === 'ArrowUp' ? -1 : 0);
      }
    },
  }, icon(iconName));
  const el = h('div', { class: 'menu-wrap' }, button);

  function entries() {
    return [...list.querySelectorAll('[role^="menuitem"]')];
  }

  function show(focusIndex = 0) {
    open?.close();
    const made = items().map((item) => h('button', {
      type: 'button',
      class: `menu-item${item.danger ? ' menu-item-danger' : ''}`,
      role: item.checked === undefined ? 'menuitem' : 'menuitemcheckbox',
      'aria-checked': item.checked === undefined ? null : String(!!item.checked),
      'data-action': item.action,
      tabIndex: -1,
      onclick: () => {
        close(true);
        item.run();
      },
    }, item.checked === undefined ? null : h('span', { class: 'menu-check', 'aria-hidden': 'true' }, item.checked ? icon('check') : null),
    h('span', { text: item.label })));
    if (!made.length) return;
    list.replaceChildren(...made);
    list.hidden = false;
    document.body.append(list);
    place();
    button.setAttribute('aria-expanded', 'true');
    el.classList.add('is-open');
    open = api;
    document.addEventListener('pointerdown', outside, true);
    const all = entries();
    all[(focusIndex + all.length) % all.length].focus();
  }

  function close(refocus = false) {
    if (list.hidden) return;
    list.hidden = true;
    list.remove();
    button.setAttribute('aria-expanded', 'false');
    el.classList.remove('is-open');
    document.removeEventListener('pointerdown', outside, true);
    if (open === api) open = null;
    if (refocus && button.isConnected) button.focus();
  }

  function outside(event) {
    if (!el.contains(event.target) && !list.contains(event.target)) close();
  }

  // Below the button, or above it when there is no room below; its end
  // edge on the button's, kept inside the window.
  function place() {
    const b = button.getBoundingClientRect();
    const m = list.getBoundingClientRect();
    let top = b.bottom + 6;
    if (top + m.height > innerHeight - 8) top = Math.max(8, b.top - 6 - m.height);
    const rtl = getComputedStyle(button).direction === 'rtl';
    let left = rtl ? b.left : b.right - m.width;
    left = Math.min(innerWidth - m.width - 8, Math.max(8, left));
    list.style.top = `${Math.round(top)}px`;
    list.style.left = `${Math.round(left)}px`;
  }

  list.addEventListener('keydown', (event) => {
    const all = entries();
    const i = all.indexOf(document.activeElement);
    let next = -1;
    if (event.key === 'ArrowDown') next = (i + 1) % all.length;
    else if (event.key === 'ArrowUp') next = (i - 1 + all.length) % all.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = all.length - 1;
    else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    } else if (event.key === 'Tab') {
      close();
      return;
    }
    if (next >= 0) {
      event.preventDefault();
      all[next].focus();
    }
  });

  const hasFocus = () => el.contains(document.activeElement) || list.contains(document.activeElement);
  const setLabel = (text) => {
    button.setAttribute('aria-label', text);
    button.title = text;
    list.setAttribute('aria-label', text);
  };
  const api = { el, button, close, hasFocus, setLabel };
  return api;
}
