// Transient and sticky notices shown at the top of the screen.
import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from '../i18n.js';

function container() {
  let el = document.getElementById('toasts');
  if (!el) {
    el = h('div', { id: 'toasts', class: 'toasts' });
    document.body.append(el);
  }
  return el;
}

const byKey = new Map();

/**
 * Shows a notice. Options: key (replaces a notice with the same key),
 * kind ('info' | 'warn' | 'error'), timeout ms (0 = until dismissed),
 * action {label, run}, dismissible. Returns a function that removes it.
 */
export function toast(text, { key = '', kind = 'info', timeout = 4000, action = null, dismissible = false, iconName = '' } = {}) {
  if (key) byKey.get(key)?.();
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-key': key || null },
    iconName ? icon(iconName) : null,
    h('span', { class: 'toast-text', text }),
    action ? h('button', { type: 'button', class: 'btn btn-small btn-primary', text: action.label, onclick: () => { remove(); action.run(); } }) : null,
    dismissible ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('banner.dismiss'), title: t('banner.dismiss'), onclick: () => remove() }, icon('close')) : null);
  let timer = 0;
  function remove() {
    clearTimeout(timer);
    el.remove();
    if (byKey.get(key) === remove) byKey.delete(key);
  }
  if (key) byKey.set(key, remove);
  container().append(el);
  if (timeout) timer = setTimeout(remove, timeout);
  return remove;
}

/** Whether the notice with this key shows. */
export function toastShown(key) {
  return byKey.has(key);
}

/** Removes the notice with this key, if shown. */
export function dismissToast(key) {
  byKey.get(key)?.();
}

/** Removes every notice (when changing screens). */
export function clearToasts() {
  for (const remove of [...byKey.values()]) remove();
  document.getElementById('toasts')?.replaceChildren();
}
