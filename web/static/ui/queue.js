// The speaking queue: the hand toggle of the toolbar, the queue section
// of the assembly panel (order, current speaker and timer; the
// facilitator's controls), and announcements of hands and turns.
import { h, mount } from './dom.js';
import { icon } from './icons.js';
import { announce } from './announcer.js';
import { t } from '../i18n.js';

const TIMER_CHOICES = [0, 60, 120, 180, 300, 600];

/** m:ss */
export function clock(ms) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A speaking time in the timer menu: "No limit", "3 minutes", or m:ss for an odd one. */
function timerLabel(sec) {
  if (sec === 0) return t('queue.timerNone');
  return sec % 60 === 0 ? t('queue.minutes', { count: sec / 60 }) : clock(sec * 1000);
}

/** The toolbar's raise-hand toggle: pressed while our hand is up. */
export function handToggle(model) {
  const btn = h('button', {
    type: 'button', class: 'ctl ctl-hand', 'aria-label': t('hand.raise'), 'aria-pressed': 'false',
    title: t('hand.hint'), onclick: () => toggleHand(model),
  }, icon('hand'));
  const sync = () => {
    const up = !!model.myHand();
    btn.setAttribute('aria-pressed', up ? 'true' : 'false');
    btn.classList.toggle('ctl-active', up);
    btn.hidden = !model.canVote;
  };
  sync();
  return { el: btn, sync };
}

/** Raises or lowers our hand and says so. */
export function toggleHand(model) {
  if (!model.canVote) return;
  const up = !model.handUp();
  if (up) model.raiseHand(false);
  else model.lowerHand();
  announce(t(up ? 'announce.myHandRaised' : 'announce.myHandLowered'));
}

/**
 * Announces what changed in the queue: new hands, a new speaker. The
 * hands of the queue as first found (first: just joined) were up before
 * we came: read out one by one, dozens in a large meeting, they would
 * hold up everything else. A hand or a turn that moves to another device
 * of its person (raised again there, or handed over when the device that
 * had it leaves) takes that device's id but is no news: what a listener
 * would notice, a name and its hand, has not changed.
 */
export function announceQueue(model, previous, first = false) {
  const now = new Set(model.queue.entries.map((e) => e.id));
  const before = new Set(previous.entries.map((e) => e.id));
  // The hands gone under their old id, by what shows of them: one of
  // these that comes back under a new id has only changed device.
  const gone = new Map();
  for (const e of previous.entries) {
    if (!now.has(e.id)) gone.set(handKey(e), (gone.get(handKey(e)) || 0) + 1);
  }
  for (const e of first ? [] : model.queue.entries) {
    if (before.has(e.id)) continue;
    const moved = gone.get(handKey(e)) || 0;
    if (moved > 0) gone.set(handKey(e), moved - 1);
    else if (!model.isMine(e)) announce(t(e.direct ? 'announce.directRaised' : 'announce.handRaised', { name: e.name }));
  }
  const speaker = model.queue.speaker;
  if (speaker && !sameTurn(previous.speaker, speaker)) {
    announce(model.isMine(speaker) ? t('announce.yourTurn') : t('announce.floor', { name: speaker.name }));
  }
}

/** What a listener tells a hand by: its name and its kind. */
function handKey(e) { return `${e.direct === true ? 'd' : 'o'}:${e.name}`; }

/**
 * Whether floor b is turn a going on: the same device's, or the same
 * name's on another device with its clock going on, not started anew.
 */
function sameTurn(a, b) {
  if (!a) return false;
  if (a.id === b.id) return true;
  return a.name === b.name && (Number(b.elapsedMs) || 0) >= (Number(a.elapsedMs) || 0);
}

/** The queue section of the assembly panel. */
export class QueueSection {
  constructor(model) {
    this.model = model;
    this.floor = h('p', { class: 'floor', 'aria-live': 'off' });
    this.timer = h('span', { class: 'floor-timer' });
    this.list = h('ol', { class: 'queue-list', 'aria-label': t('queue.title') });
    this.empty = h('p', { class: 'muted', text: t('queue.empty') });
    this.own = h('div', { class: 'row' }, this.ownButtons());
    this.controls = h('div', { class: 'queue-controls' });
    this.el = h('section', { class: 'panel-section', 'aria-labelledby': 'queue-title' },
      h('h3', { id: 'queue-title', class: 'panel-heading', text: t('queue.title') }),
      h('div', { class: 'floor-box' }, this.floor, this.timer),
      this.list, this.empty, this.own, this.controls);
    this.render();
  }

  render() {
    const m = this.model;
    const q = m.queue;
    const s = q.speaker;
    this.floor.textContent = s ? t('queue.floor', { name: m.isMine(s) ? t('queue.you') : s.name }) : t('queue.noFloor');
    this.tick();
    // The list is redrawn on every change: keep keyboard focus on the
    // same action for the same person (a moved entry keeps it).
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    const again = focused && { id: focused.closest('[data-participant]')?.dataset.participant, action: focused.dataset.action };
    mount(this.list, q.entries.map((e, i) => this.entry(e, i, q.entries.length)));
    if (again) {
      const item = [...this.list.children].find((li) => li.dataset.participant === again.id);
      const target = item?.querySelector(`[data-action="${again.action}"]:not(:disabled)`) || item?.querySelector('button:not(:disabled)');
      (target || this.list.closest('.assembly-panel')?.querySelector('.panel-title'))?.focus();
    }
    this.empty.hidden = q.entries.length > 0;

    const mine = m.myHand();
    this.raiseBtn.hidden = !m.canVote;
    this.raiseBtn.textContent = t(mine ? 'queue.lower' : 'queue.raise');
    this.directBtn.hidden = !m.canVote || !!mine?.direct;
    this.finishMine.hidden = !m.speaking() || m.facilitator;

    const role = m.facilitator ? 'facilitator' : 'member';
    if (role !== this.controlsFor) {
      this.controlsFor = role;
      mount(this.controls, m.facilitator && this.facilitatorControls());
    }
    if (m.facilitator) {
      this.nextBtn.disabled = q.entries.length === 0;
      this.finishBtn.disabled = !s;
      this.priority.checked = q.notYetSpokenFirst;
      this.showTimer(q.seconds);
    }
  }

  /**
   * Shows the speaking time in the timer menu: one it does not list (set
   * by another client, or through the API) is added to it, so that the
   * menu never says "No limit" of a turn that has one.
   */
  showTimer(seconds) {
    const choices = TIMER_CHOICES.includes(seconds) ? TIMER_CHOICES : [...TIMER_CHOICES, seconds].sort((a, b) => a - b);
    const key = choices.join();
    if (key !== this.timerChoices) {
      this.timerChoices = key;
      mount(this.timerSelect, choices.map((sec) => h('option', { value: String(sec), text: timerLabel(sec) })));
    }
    this.timerSelect.value = String(seconds);
  }

  /** Our own buttons: raise or lower our hand, direct response, end our turn. */
  ownButtons() {
    const m = this.model;
    this.raiseBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => toggleHand(m) });
    this.directBtn = h('button', {
      type: 'button', class: 'btn btn-secondary btn-small', text: t('queue.raiseDirect'), onclick: () => {
        m.raiseHand(true);
        announce(t('announce.myHandRaised'));
      },
    });
    this.finishMine = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => m.finish(), text: t('queue.finishMine') });
    return [this.raiseBtn, this.directBtn, this.finishMine];
  }

  /** The facilitator's controls, made once and updated by render. */
  facilitatorControls() {
    const m = this.model;
    const timerId = 'queue-timer-select';
    this.timerSelect = h('select', { id: timerId, class: 'select', onchange: () => m.setRules({ seconds: Number(this.timerSelect.value) }) });
    this.timerChoices = null; // filled by showTimer
    this.priority = h('input', { type: 'checkbox', id: 'queue-priority', onchange: () => m.setRules({ notYetSpokenFirst: this.priority.checked }) });
    this.nextBtn = h('button', { type: 'button', class: 'btn btn-primary btn-small queue-next', onclick: () => m.next(), text: t('queue.next') });
    this.finishBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => m.finish(), text: t('queue.finish') });
    return [
      h('div', { class: 'row' }, this.nextBtn, this.finishBtn),
      h('label', { class: 'check', for: 'queue-priority' }, this.priority, h('span', { text: t('queue.priority') })),
      h('div', { class: 'field' }, h('label', { class: 'label', for: timerId, text: t('queue.timer') }), this.timerSelect),
    ];
  }

  entry(e, i, n) {
    const m = this.model;
    const name = m.isMine(e) ? t('queue.you') : e.name;
    const item = h('li', { class: `queue-entry${e.direct ? ' is-direct' : ''}`, 'data-participant': e.id },
      h('span', { class: 'queue-name', text: name }),
      e.direct && h('span', { class: 'tag', text: t('queue.directTag') }));
    if (m.facilitator) {
      const act = (action, label, iconName, run, disabled = false) => h('button', {
        type: 'button', class: 'icon-btn icon-btn-small', 'data-action': action, 'aria-label': label, title: label, disabled, onclick: run,
      }, icon(iconName));
      item.append(h('span', { class: 'queue-actions' },
        act('give', t('queue.give', { name: e.name }), 'mic', () => m.call(e.id)),
        act('up', t('queue.up', { name: e.name }), 'up', () => m.move(e.id, i - 1), i === 0),
        act('down', t('queue.down', { name: e.name }), 'down', () => m.move(e.id, i + 1), i === n - 1),
        act('remove', t('queue.remove', { name: e.name }), 'close', () => m.remove(e.id))));
    }
    return item;
  }

  /** Updates the speaking timer (called every second). */
  tick() {
    const s = this.model.queue.speaker;
    this.timer.hidden = !s;
    if (!s) return;
    const elapsed = this.model.speakerElapsed();
    const over = s.seconds > 0 && elapsed > s.seconds * 1000;
    this.timer.classList.toggle('is-over', over);
    this.timer.textContent = s.seconds > 0
      ? `${t('queue.elapsed', { elapsed: clock(elapsed), limit: clock(s.seconds * 1000) })}${over ? ` · ${t('queue.overtime')}` : ''}`
      : clock(elapsed);
  }
}

/**
 * Marks tiles: a hand with the queue position on those waiting, the
 * floor (and its timer) on the current speaker's. Tiles come and go, so
 * it looks them up by data-participant each time.
 */
export class TileMarks {
  constructor(model, grid) {
    this.model = model;
    this.grid = grid;
    // Only tiles coming or going matter, not our own badges.
    const isTile = (n) => n.nodeType === 1 && (n.matches('.tile') || n.querySelector('.tile'));
    this.observer = new MutationObserver((records) => {
      if (records.some((r) => [...r.addedNodes].some(isTile))) this.render();
    });
    this.observer.observe(grid, { childList: true, subtree: true });
    this.render();
  }

  render() {
    const m = this.model;
    const q = m.queue;
    const order = new Map(q.entries.map((e, i) => [e.id, i + 1]));
    // Our own hand and turn show on our tile whichever of our devices
    // raised or holds them (and on that device's tile too).
    const ownHand = q.entries.indexOf(m.myHand()) + 1;
    for (const tile of this.grid.querySelectorAll('.tile[data-participant]')) {
      const local = tile.classList.contains('tile-local');
      const id = local ? m.myId : tile.dataset.participant;
      const n = (local && ownHand) || order.get(id);
      let hand = tile.querySelector(':scope > .tile-queue');
      if (n && !hand) {
        hand = h('span', { class: 'tile-queue', role: 'img' }, icon('hand'), h('span', { class: 'tile-queue-n' }));
        tile.append(hand);
      }
      if (n) {
        const label = t('queue.position', { n });
        if (hand.title !== label) {
          hand.setAttribute('aria-label', label);
          hand.title = label;
          hand.querySelector('.tile-queue-n').textContent = String(n);
        }
      } else hand?.remove();
      const floor = q.speaker?.id === id || (local && m.speaking());
      tile.classList.toggle('has-floor', floor);
      let badge = tile.querySelector(':scope > .tile-floor');
      if (floor && !badge) {
        badge = h('span', { class: 'tile-floor', role: 'img', 'aria-label': t('tile.floor'), title: t('tile.floor') }, icon('mic'), h('span', { class: 'tile-floor-time' }));
        tile.append(badge);
      } else if (!floor) badge?.remove();
    }
    this.tick();
  }

  tick() {
    const text = clock(this.model.speakerElapsed());
    // Two with a turn of ours on another device: its tile's and ours.
    for (const badge of this.grid.querySelectorAll('.tile-floor-time')) {
      if (badge.textContent !== text) badge.textContent = text;
    }
  }

  destroy() {
    this.observer.disconnect();
    for (const el of this.grid.querySelectorAll('.tile-queue, .tile-floor')) el.remove();
    for (const el of this.grid.querySelectorAll('.has-floor')) el.classList.remove('has-floor');
  }
}
