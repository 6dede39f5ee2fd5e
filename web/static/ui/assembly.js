// The assembly panel ("Queue and votes") and its toolbar buttons: the
// hand toggle (H) and the panel toggle. Built by the meeting screen;
// the state lives in the session's model (../assembly.js), so a redraw
// (language change) loses nothing.
import { h } from './dom.js';
import { icon } from './icons.js';
import { registerShortcut } from './shortcuts.js';
import { announce } from './announcer.js';
import { toast } from './toast.js';
import { assemblyOf } from '../assembly.js';
import { handToggle, toggleHand, announceQueue, QueueSection, TileMarks } from './queue.js';
import { VoteSection, announceProposal } from './vote.js';
import { minutesMarkdown, download, minutesFilename } from './minutes.js';
import { store } from '../store.js';
import { keptFor } from './kept.js';
import { t, has } from '../i18n.js';

export class AssemblyUI {
  /**
   * @param {object} o
   * @param {import('../session.js').Session} o.session
   * @param {HTMLElement} o.grid  where the tiles are (they get hand and floor marks)
   */
  constructor({ session, grid }) {
    const model = assemblyOf(session);
    this.model = model;
    this.session = session;
    this.cleanups = [];

    this.hand = handToggle(model);
    this.badge = h('span', { class: 'ctl-badge', hidden: true });
    this.toggle = h('button', {
      type: 'button', class: 'ctl ctl-assembly', 'aria-label': t('assembly.open'), title: t('assembly.open'),
      'aria-expanded': 'false', 'aria-controls': 'assembly-panel', onclick: () => this.setOpen(this.panel.hidden),
    }, icon('vote'), this.badge);
    this.buttons = [this.hand.el, this.toggle];

    this.queue = new QueueSection(model);
    this.vote = new VoteSection(model);
    this.minutesButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small minutes-export', onclick: () => this.exportMinutes(), text: t('minutes.export') });
    this.panel = h('aside', { id: 'assembly-panel', class: 'assembly-panel', 'aria-labelledby': 'assembly-title', hidden: true,
      onkeydown: (e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          this.setOpen(false);
        }
      } },
    h('div', { class: 'panel-head' },
      h('h2', { id: 'assembly-title', class: 'panel-title', tabIndex: -1, text: t('assembly.title') }),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('assembly.close'), title: t('assembly.close'), onclick: () => this.setOpen(false) }, icon('close'))),
    h('div', { class: 'panel-scroll' }, this.queue.el, this.vote.el, h('div', { class: 'panel-section' }, this.minutesButton)));
    this.marks = new TileMarks(model, grid);

    const on = (type, fn) => {
      const handler = (e) => fn(e.detail);
      model.addEventListener(type, handler);
      this.cleanups.push(() => model.removeEventListener(type, handler));
    };
    on('queue', ({ previous, first }) => {
      announceQueue(model, previous, first);
      this.render();
    });
    on('proposal', ({ proposal, previous }) => {
      announceProposal(proposal, previous);
      if (proposal.open && !previous) {
        this.vote.opened(proposal);
        this.setOpen(true, false);
      }
      this.render();
    });
    on('role', () => this.render());
    on('reset', () => {
      this.vote.forgetBallot(); // made for a proposal of the old meeting
      this.setOpen(false, false); // a fresh join starts with it closed, as it did
      this.render();
    });
    on('refused', ({ request, code }) => {
      this.vote.refused(request);
      this.render(); // a ballot refused is no longer shown as ours
      const key = has(`refused.${code}`) ? `refused.${code}` : 'refused.other';
      toast(t(key, { code }), { key: `refused-${request}`, kind: 'warn', timeout: 6000, dismissible: true });
    });

    this.cleanups.push(registerShortcut({ key: 'h', label: 'shortcuts.hand', run: () => toggleHand(model) }));
    this.timer = setInterval(() => {
      this.queue.tick();
      this.marks.tick();
    }, 1000);
    this.render();
    // Drawn again (a language change) while open.
    this.kept = keptFor(session);
    if (this.kept.assemblyOpen) this.setOpen(true, false);
  }

  render() {
    const m = this.model;
    this.hand.sync();
    this.queue.render();
    this.vote.render();
    this.marks.render();
    this.minutesButton.hidden = !m.facilitator;
    const waiting = m.queue.entries.length + (m.openProposal() ? 1 : 0);
    this.badge.hidden = waiting === 0;
    this.badge.textContent = String(waiting);
  }

  /** Shows or hides the panel; focus goes into it, and back to the toggle. */
  setOpen(open, focus = true) {
    if (this.panel.hidden !== open) return;
    this.panel.hidden = !open;
    keptFor(this.session).assemblyOpen = open;
    this.toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    this.toggle.classList.toggle('ctl-active', open);
    if (!focus) return;
    if (open) this.panel.querySelector('.panel-title').focus();
    else this.toggle.focus();
  }

  async exportMinutes() {
    let minutes;
    try {
      minutes = await this.model.requestMinutes();
    } catch (err) {
      console.warn('plenum: no minutes:', err?.message);
      toast(t('minutes.failed'), { key: 'minutes', kind: 'warn', timeout: 8000, dismissible: true, iconName: 'alert' });
      return;
    }
    if (!minutes) return; // refused: the refusal has its notice
    const md = minutesMarkdown(this.session.room, minutes);
    store.lastMinutes = md; // for tests (window.plenum.minutes)
    download(minutesFilename(this.session.room), md);
    announce(t('announce.minutesSaved'));
  }

  destroy() {
    clearInterval(this.timer);
    for (const fn of this.cleanups) fn();
    this.marks.destroy();
    this.panel.remove();
  }
}
