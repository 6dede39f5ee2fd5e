// Where tiles go. Two areas share the meeting's stage: the spotlight,
// for what everybody looks at, and the grid, which becomes a filmstrip
// beside the spotlight whenever something is in it. In the spotlight:
// the pinned tile if any, else every screen share, else (speaker
// layout) the dominant speaker; with nothing to feature, all tiles are
// in the grid, a page at a time. Tiles off the current page are hidden
// (not removed), so the view reporter tells the server to send nothing
// for them; filmstrip tiles scrolled away are reported the same way.
import { h } from './dom.js';
import { icon } from './icons.js';
import { autoLayout } from './grid.js';
import { t } from '../i18n.js';

// Smallest tile the grid pages down to, in CSS pixels: below it faces
// are hard to make out, so another page is better.
const MIN_TILE_W = 200;
const MIN_TILE_H = 130;
// Most tiles on one page however large the screen: beyond that decoding
// costs the receiving machine more than the pictures are worth.
const MAX_PAGE = 25;

/** How many tiles fit on one grid page of a width×height box. */
export function pageSize(width, height) {
  const cols = Math.max(1, Math.floor(width / MIN_TILE_W));
  const rows = Math.max(1, Math.floor(height / MIN_TILE_H));
  return Math.max(1, Math.min(MAX_PAGE, cols * rows));
}

/**
 * Which tiles go in the spotlight: keys of items (in order) given the
 * pinned key, the layout mode and the dominant speaker.
 * items: [{key, kind}] with kind local, remote, screen or invite.
 */
export function featuredKeys(items, { pinned, mode, speaker }) {
  if (pinned && items.some((i) => i.key === pinned)) return [pinned];
  const screens = items.filter((i) => i.kind === 'screen').map((i) => i.key);
  if (screens.length > 0) return screens;
  if (mode !== 'speaker') return [];
  const remotes = items.filter((i) => i.kind === 'remote');
  const chosen = remotes.find((i) => i.key === speaker) || remotes[0];
  return chosen ? [chosen.key] : [];
}

export class Layout {
  /**
   * @param {{onChange?: () => void, pinned?: string|null}} o  onChange runs
   *   after each re-layout; pinned is a key pinned before (it counts once
   *   its tile is added)
   */
  constructor({ onChange, pinned = null } = {}) {
    this.onChange = onChange || (() => {});
    this.items = new Map(); // key -> {key, kind, tile}
    this.mode = 'grid';
    this.pinned = pinned;
    this.speaker = '';
    this.page = 0;
    this.pages = 1;
    this.spotlight = h('div', { class: 'spotlight', role: 'list', 'aria-label': t('layout.spotlight'), hidden: true });
    this.grid = h('div', { class: 'grid', role: 'list', 'aria-label': t('meeting.participants') });
    this.prev = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': t('layout.prevPage'), title: t('layout.prevPage'), onclick: () => this.turn(-1) }, icon('chevronLeft'));
    this.next = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': t('layout.nextPage'), title: t('layout.nextPage'), onclick: () => this.turn(1) }, icon('chevronRight'));
    this.pageLabel = h('span', { class: 'pager-label' });
    this.pager = h('nav', { class: 'pager', 'aria-label': t('layout.pages'), hidden: true }, this.prev, this.pageLabel, this.next);
    this.el = h('div', { class: 'layout' }, this.spotlight, this.grid, this.pager);
    this.cleanups = [autoLayout(this.spotlight), autoLayout(this.grid)];
    let frame = 0;
    const resized = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.apply());
    });
    resized.observe(this.el);
    this.cleanups.push(() => {
      resized.disconnect();
      cancelAnimationFrame(frame);
    });
  }

  /** Adds a tile (anything with .el); kind is local, remote, screen or invite. */
  add(key, tile, kind) {
    tile.el.setAttribute('role', 'listitem');
    this.items.set(key, { key, kind, tile });
    this.apply();
  }

  remove(key) {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    item.tile.el.remove();
    if (this.pinned === key) this.pinned = null;
    this.apply();
  }

  has(key) {
    return this.items.has(key);
  }

  /** 'grid' or 'speaker'. */
  setMode(mode) {
    this.mode = mode === 'speaker' ? 'speaker' : 'grid';
    this.apply();
  }

  /** Pins key in the spotlight, or unpins it if it is pinned. */
  togglePin(key) {
    this.pinned = this.pinned === key ? null : key;
    this.apply();
  }

  isPinned(key) {
    return this.pinned === key;
  }

  /** The dominant speaker changed; our own id is passed as ''. */
  setSpeaker(id) {
    // Keep the last remote speaker while we speak or nobody does.
    if (!id || !this.items.has(id) || this.items.get(id).kind !== 'remote') return;
    if (this.speaker === id) return;
    this.speaker = id;
    if (this.mode === 'speaker') this.apply();
  }

  turn(delta) {
    this.page = Math.max(0, Math.min(this.pages - 1, this.page + delta));
    this.apply();
  }

  /** The keys in the spotlight now. */
  featured() {
    return featuredKeys([...this.items.values()], this);
  }

  apply() {
    const all = [...this.items.values()];
    const featured = new Set(this.featured());
    const staged = featured.size > 0;
    this.el.classList.toggle('is-staged', staged);
    this.spotlight.hidden = !staged;
    this.grid.classList.toggle('filmstrip', staged);
    const spot = all.filter((i) => featured.has(i.key));
    for (const i of spot) i.tile.el.hidden = false;
    place(this.spotlight, spot);
    // Others first: on a screen with room for one tile, its first page
    // shows someone else, not one's own camera.
    const order = { screen: 0, remote: 1, local: 2, invite: 3 };
    const rest = all.filter((i) => !featured.has(i.key) && !(staged && i.kind === 'invite'))
      .sort((a, b) => (order[a.kind] ?? 1) - (order[b.kind] ?? 1));
    for (const i of all) if (staged && i.kind === 'invite') i.tile.el.remove();
    place(this.grid, rest);
    this.grid.hidden = rest.length === 0;

    // Pages only in the grid: a filmstrip scrolls instead.
    const { width, height } = this.grid.getBoundingClientRect();
    const size = staged || !width ? rest.length || 1 : pageSize(width, height - (this.pages > 1 ? 48 : 0));
    this.pages = Math.max(1, Math.ceil(rest.length / size));
    this.page = Math.min(this.page, this.pages - 1);
    rest.forEach((item, n) => {
      const shown = Math.floor(n / size) === this.page;
      if (item.tile.el.hidden === shown) item.tile.el.hidden = !shown;
    });
    this.pager.hidden = this.pages <= 1;
    this.pageLabel.textContent = t('layout.page', { page: this.page + 1, pages: this.pages });
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= this.pages - 1;
    this.onChange();
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    this.el.remove();
  }
}

/** Puts items' elements in parent, in order, moving only what is out of place. */
function place(parent, items) {
  items.forEach((item, n) => {
    const el = item.tile.el;
    if (parent.children[n] !== el) parent.insertBefore(el, parent.children[n] || null);
  });
  // Whatever else is left over belongs elsewhere now.
  while (parent.children.length > items.length) parent.lastElementChild.remove();
}
