// Reactions: the toolbar's menu of emoji, and the emoji shown for a
// moment on the tile of whoever reacted.
import { h } from './dom.js';
import { icon } from './icons.js';
import { REACTIONS } from '../chat.js';
import { t } from '../i18n.js';

// Message keys naming each reaction, in REACTIONS' order.
const NAMES = ['thumbsUp', 'clap', 'laugh', 'surprised', 'heart', 'party'];

// How long a reaction stays on a tile.
const SHOW_MS = 4000;

/** The localized name of a reaction ("Thumbs up"). */
export function reactionName(emoji) {
  const i = REACTIONS.indexOf(emoji);
  return i < 0 ? emoji : t(`reactions.${NAMES[i]}`);
}

/**
 * The toolbar's reaction button and the menu it opens. onReact(emoji)
 * sends one.
 */
export function reactionMenu(onReact) {
  const button = h('button', {
    type: 'button', class: 'ctl ctl-react', 'aria-label': t('reactions.open'), title: t('reactions.open'),
    'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'reaction-menu',
    onclick: () => (menu.hidden ? open() : close(false)),
  }, icon('smile'));
  const items = REACTIONS.map((emoji) => h('button', {
    type: 'button', class: 'reaction-choice', 'data-emoji': emoji,
    'aria-label': reactionName(emoji), title: reactionName(emoji),
    onclick: () => {
      onReact(emoji);
      close(true);
    },
  }, h('span', { 'aria-hidden': 'true', text: emoji })));
  const menu = h('div', { id: 'reaction-menu', class: 'reaction-menu', role: 'group', 'aria-label': t('reactions.label'), hidden: true, onkeydown: (e) => onKey(e) }, items);
  const el = h('div', { class: 'reaction-wrap' }, button, menu);

  function open() {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    items[0].focus();
    document.addEventListener('pointerdown', outside, true);
  }
  function close(refocus) {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (refocus) button.focus();
  }
  function outside(e) {
    if (!el.contains(e.target)) close(false);
  }
  // Arrow keys move between the emoji, Escape closes.
  function onKey(e) {
    const i = items.indexOf(document.activeElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft') && i >= 0) {
      e.preventDefault();
      const step = (e.key === 'ArrowRight') === (document.dir !== 'rtl') ? 1 : -1;
      items[(i + step + items.length) % items.length].focus();
    }
  }
  return { el, destroy: () => close(false) };
}

/** Shows emoji on a tile for a few seconds (a newer one replaces it). */
export function showReaction(tileEl, emoji) {
  tileEl.querySelector('.tile-reaction')?.remove();
  const badge = h('span', { class: 'tile-reaction', 'aria-hidden': 'true', 'data-emoji': emoji, text: emoji });
  tileEl.append(badge);
  setTimeout(() => badge.remove(), SHOW_MS);
}
