// Votes: the facilitator's form to put a proposal, the ballot of the
// open proposal, and the results of closed ones, in the assembly panel.
import { h, mount } from './dom.js';
import { announce } from './announcer.js';
import { t } from '../i18n.js';
import { isBlank, cleanLine } from '../looks.js';
import { keptFor } from './kept.js';

const KINDS = ['consent', 'yes-no', 'choice'];
const FIXED = new Set(['yes', 'no', 'abstain', 'agree', 'stand-aside', 'block']);
const BLOCK = 2; // index of "block" in a consent round's options
const RESULTS_SHOWN = 5;
// The server's limits on a multiple choice (signaling/PROTOCOL.md,
// proposal-open). It ends the session of whoever sends more: the form
// says what is wrong first.
const MIN_OPTIONS = 2;
const MAX_OPTIONS = 10;
const MAX_OPTION_CHARS = 100; // code points, as the server counts them

/** An option's label: translated for the fixed kinds, as typed for a multiple choice. */
export function optionLabel(p, i) {
  const o = String(p.options[i] ?? '');
  return p.kind !== 'choice' && FIXED.has(o) ? t(`vote.option.${o}`) : o;
}

/** A closed proposal's outcome in words. */
export function outcomeText(p) {
  const r = p.result;
  if (!r) return '';
  if (r.outcome === 'chosen') return t('vote.outcome.chosen', { option: optionLabel(p, r.winner) });
  return t(`vote.outcome.${r.outcome}`);
}

/** "Agree 2 · Stand aside 1 · Block 0" */
export function countsText(p) {
  return (p.result?.totals || []).map((n, i) => `${optionLabel(p, i)} ${n}`).join(' · ');
}

/** Announces a proposal opened or closed. */
export function announceProposal(p, previous) {
  if (p.open && !previous) announce(t('announce.voteOpened', { question: p.question }));
  else if (!p.open && p.result && previous?.open) {
    announce(t('announce.result', { question: p.question, outcome: outcomeText(p) }));
  }
}

/** What is wrong with a multiple choice's options for the server, in words; '' if nothing. */
function optionsProblem(options) {
  if (options.length < MIN_OPTIONS || options.length > MAX_OPTIONS) return t('refused.bad-proposal');
  if (options.some((o) => [...o].length > MAX_OPTION_CHARS)) return t('vote.optionTooLong', { max: MAX_OPTION_CHARS });
  return '';
}

export class VoteSection {
  constructor(model) {
    this.model = model;
    this.body = h('div', { class: 'vote-body' });
    this.results = h('div', { class: 'vote-results' });
    this.el = h('section', { class: 'panel-section', 'aria-labelledby': 'vote-title' },
      h('h3', { id: 'vote-title', class: 'panel-heading', text: t('vote.title') }),
      this.body, this.results);
    // The form as typed, kept across a redraw (a language change).
    this.kept = keptFor(model.session);
    this.kept.draft ??= { question: '', kind: 'consent', options: '', secret: false };
    this.render();
  }

  render() {
    const m = this.model;
    const p = m.openProposal();
    // Redrawn only when what is shown changes, so that focus and what is
    // being typed survive other people's ballots.
    const key = `${p ? p.id : 'none'}:${m.role}`;
    if (key !== this.key) {
      this.key = key;
      if (p) mount(this.body, this.ballot(p));
      else if (m.facilitator) mount(this.body, this.form());
      else mount(this.body, h('p', { class: 'muted', text: t('vote.none') }));
    }
    if (p) this.status(p);
    const closed = m.closedProposals();
    if (closed.length !== this.resultsShown) {
      this.resultsShown = closed.length;
      mount(this.results, closed.slice(0, RESULTS_SHOWN).map((c) => this.result(c)));
    }
  }

  /** A proposal opened: the one we sent empties the form for the next. */
  opened(p) {
    const sent = this.kept.draftSent;
    if (sent == null || String(p.question ?? '').trim() !== sent.trim()) return;
    const d = this.kept.draft;
    this.kept.draft = { question: '', kind: d.kind, options: '', secret: d.secret };
    this.kept.draftSent = null;
  }

  /** The server refused request: a proposal refused stays in the form as typed. */
  refused(request) {
    if (request === 'proposal-open') this.kept.draftSent = null;
  }

  /** Forgets the ballot being made: the meeting it was for is gone (a fresh join). */
  forgetBallot() { this.kept.ballot = null; }

  /** Updates the ballot count and our own ballot's line. */
  status(p) {
    const m = this.model;
    const ballot = m.myBallot(p);
    const mine = ballot?.choice;
    this.countEl.textContent = t('vote.count', { count: p.voters.length });
    if (this.mineEl) {
      this.mineEl.hidden = mine === undefined;
      if (mine !== undefined) this.mineEl.textContent = t('vote.yours', { choice: optionLabel(p, mine) });
    }
    if (this.submitEl) {
      this.submitEl.textContent = t(m.myBallots.has(p.id) || p.voters.includes(m.myId) ? 'vote.change' : 'vote.cast');
    }
    if (ballot) this.follow(p, ballot);
  }

  /**
   * Shows ballot, our person's as counted, in the form, cast on this
   * device or another of ours (a personal link on a phone and a laptop),
   * unless a ballot is being made here: that one is left as it is.
   */
  follow(p, ballot) {
    const form = this.body.querySelector('form.ballot');
    if (!form || this.kept.ballot?.proposal === p.id) return;
    const choice = form.querySelector(`input[name="vote-choice"][value="${ballot.choice}"]`);
    if (choice && !choice.checked) choice.checked = true;
    const reason = form.querySelector('#vote-reason');
    if (reason && document.activeElement !== reason && reason.value !== ballot.reason) reason.value = ballot.reason;
  }

  ballot(p) {
    const m = this.model;
    this.mineEl = null;
    this.submitEl = null;
    const head = [
      h('p', { class: 'proposal-question', text: p.question }),
      h('p', { class: 'muted', text: `${t(`vote.kind.${p.kind}`)} · ${t(p.secret ? 'vote.secretTag' : 'vote.openTag')}` }),
    ];
    const status = h('p', { class: 'muted vote-status' });
    this.countEl = status;
    const close = m.facilitator && h('button', { type: 'button', class: 'btn btn-secondary btn-small vote-close', onclick: () => m.close(p.id), text: t('vote.closeButton') });
    if (!m.canVote) return [...head, h('p', { class: 'muted', text: t('vote.viewer') }), status, close];

    // The ballot being made, kept across a redraw (a language change)
    // until cast; then the form shows the ballot cast.
    const draft = this.kept.ballot?.proposal === p.id ? this.kept.ballot : { proposal: p.id };
    const edit = (field, value) => {
      draft[field] = value;
      this.kept.ballot = draft;
    };
    const cast = m.myBallots.get(p.id);
    const mine = draft.choice ?? cast?.choice;
    const choices = p.options.map((_, i) => {
      const id = `vote-choice-${i}`;
      return h('div', { class: 'check' },
        h('input', { type: 'radio', name: 'vote-choice', id, value: String(i), checked: mine === i, required: true, onchange: () => edit('choice', i) }),
        h('label', { for: id, text: optionLabel(p, i) }));
    });
    const reasonField = p.kind === 'consent' && h('div', { class: 'field' },
      h('label', { class: 'label', for: 'vote-reason', text: t('vote.reason') }),
      h('input', { id: 'vote-reason', class: 'input', maxLength: 500, autocomplete: 'off', value: draft.reason ?? cast?.reason ?? '', oninput: (e) => edit('reason', e.target.value) }));
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const form = h('form', {
      class: 'ballot', onsubmit: (e) => {
        e.preventDefault();
        const choice = Number(form.querySelector('input[name="vote-choice"]:checked')?.value);
        if (!Number.isInteger(choice)) return;
        const typed = cleanLine(form.querySelector('#vote-reason')?.value ?? '');
        const why = isBlank(typed) ? '' : typed; // one that shows nothing is none
        if (p.kind === 'consent' && choice === BLOCK && !why) {
          error.textContent = t('refused.reason-required');
          error.hidden = false;
          form.querySelector('#vote-reason').focus();
          return;
        }
        error.hidden = true;
        this.kept.ballot = null;
        m.vote(p.id, choice, why);
        announce(t('vote.yours', { choice: optionLabel(p, choice) }));
        this.status(m.openProposal() || p);
      },
    },
    h('fieldset', { class: 'choices' }, h('legend', { class: 'visually-hidden', text: p.question }), choices),
    reasonField, error,
    h('div', { class: 'row' }, this.submitEl = h('button', { type: 'submit', class: 'btn btn-primary btn-small ballot-submit' }), close));
    this.mineEl = h('p', { class: 'vote-mine', hidden: true });
    return [...head, form, this.mineEl, status];
  }

  form() {
    const d = this.kept.draft;
    const question = h('input', { id: 'proposal-question', class: 'input', maxLength: 300, required: true, value: d.question, oninput: () => { d.question = question.value; } });
    const options = h('textarea', { id: 'proposal-options', class: 'input', rows: 3, value: d.options, oninput: () => { d.options = options.value; } });
    const optionsField = h('div', { class: 'field', hidden: d.kind !== 'choice' },
      h('label', { class: 'label', for: 'proposal-options', text: t('vote.options') }), options);
    const kind = h('select', {
      id: 'proposal-kind', class: 'select', onchange: () => {
        d.kind = kind.value;
        optionsField.hidden = d.kind !== 'choice';
      },
    }, KINDS.map((k) => h('option', { value: k, selected: k === d.kind, text: t(`vote.kind.${k}`) })));
    const secret = h('input', { type: 'checkbox', id: 'proposal-secret', checked: d.secret, onchange: () => { d.secret = secret.checked; } });
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    return h('form', {
      class: 'proposal-form', 'aria-label': t('vote.new'), onsubmit: (e) => {
        e.preventDefault();
        const draft = { question: cleanLine(d.question), kind: d.kind, secret: d.secret };
        if (isBlank(draft.question)) return;
        if (d.kind === 'choice') {
          draft.options = d.options.split('\n').map(cleanLine).filter((o) => !isBlank(o));
          const problem = optionsProblem(draft.options);
          if (problem) {
            error.textContent = problem;
            error.hidden = false;
            options.focus();
            return;
          }
        }
        error.hidden = true;
        // The form keeps it until the server puts it to the vote
        // (opened): one refused (options alike, another vote opened
        // meanwhile) is still there to correct, drawn again or not.
        this.kept.draftSent = draft.question;
        this.model.open(draft);
      },
    },
    h('p', { class: 'panel-subheading', text: t('vote.new') }),
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'proposal-question', text: t('vote.question') }), question),
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'proposal-kind', text: t('vote.kind') }), kind),
    optionsField,
    h('label', { class: 'check', for: 'proposal-secret' }, secret, h('span', { text: t('vote.secret') })),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small proposal-submit', text: t('vote.openButton') }));
  }

  result(p) {
    const r = p.result;
    return h('article', { class: 'result', 'data-proposal': String(p.id) },
      h('p', { class: 'proposal-question', text: p.question }),
      h('p', { class: `outcome outcome-${r.outcome}`, text: outcomeText(p) }),
      h('p', { class: 'muted', text: countsText(p) }),
      r.reasons?.length > 0 && h('ul', { class: 'reasons', 'aria-label': t('vote.reasons') },
        r.reasons.map((x) => h('li', { text: `${optionLabel(p, x.choice)}: ${x.text}` }))),
      r.votes?.length > 0 && h('ul', { class: 'ballots', 'aria-label': t('vote.ballots') },
        r.votes.map((b) => h('li', { text: `${b.name}: ${optionLabel(p, b.choice)}` }))));
  }
}
