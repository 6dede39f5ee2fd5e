// Minutes: the server's record (decisions and speaking order) rendered
// as Markdown in the reader's language and downloaded through a Blob
// link. Nothing is stored: the file exists only once downloaded.
import { h } from './dom.js';
import { optionLabel, outcomeText, countsText } from './vote.js';
import { t, currentLanguage } from '../i18n.js';

/**
 * Escapes text so that Markdown shows it as typed: no link, HTML, entity,
 * emphasis, code or table cell. Text never starts a line here, so the
 * block markers (#, -, 1.) need no escaping.
 */
export function mdEscape(text) {
  return String(text).replace(/[\\`*_[\]<>|~&]/g, '\\$&');
}

function when(iso, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return new Intl.DateTimeFormat(currentLanguage(), opts).format(d);
  } catch {
    return d.toISOString();
  }
}

const time = (iso) => when(iso, { timeStyle: 'short' });

/** The minutes as Markdown. */
export function minutesMarkdown(room, minutes) {
  const lines = [`# ${mdEscape(t('minutes.title', { room }))}`, '', mdEscape(t('minutes.exported', { time: when(minutes.exported) })), ''];
  lines.push(`## ${mdEscape(t('minutes.decisions'))}`, '');
  const decisions = Array.isArray(minutes.decisions) ? minutes.decisions : [];
  if (decisions.length === 0) lines.push(mdEscape(t('minutes.noDecisions')), '');
  decisions.forEach((p, i) => {
    const r = p.result || {};
    lines.push(`### ${i + 1}\\. ${mdEscape(p.question)}`, '');
    lines.push(`- ${mdEscape(t('minutes.kind'))}: ${mdEscape(t(`vote.kind.${p.kind}`))}, ${mdEscape(t(p.secret ? 'minutes.secret' : 'minutes.open'))}`);
    lines.push(`- ${mdEscape(t('minutes.opened'))}: ${mdEscape(time(p.opened))}; ${mdEscape(t('minutes.closed'))}: ${mdEscape(time(p.closed))}`);
    lines.push(`- ${mdEscape(t('minutes.result'))}: **${mdEscape(outcomeText(p))}**`);
    lines.push(`- ${mdEscape(t('minutes.counts'))}: ${mdEscape(countsText(p))}`);
    for (const x of r.reasons || []) lines.push(`- ${mdEscape(optionLabel(p, x.choice))}: ${mdEscape(x.text)}`);
    if (r.votes?.length) {
      lines.push(`- ${mdEscape(t('vote.ballots'))}: ${r.votes.map((b) => `${mdEscape(b.name)}: ${mdEscape(optionLabel(p, b.choice))}`).join('; ')}`);
    }
    lines.push('');
  });
  lines.push(`## ${mdEscape(t('minutes.speaking'))}`, '');
  const turns = Array.isArray(minutes.turns) ? minutes.turns : [];
  if (turns.length === 0) lines.push(mdEscape(t('minutes.noTurns')));
  turns.forEach((turn, i) => {
    const end = turn.end ? time(turn.end) : t('minutes.ongoing');
    lines.push(`${i + 1}. ${mdEscape(time(turn.start))}–${mdEscape(end)} ${mdEscape(turn.name)}`);
  });
  lines.push('');
  return lines.join('\n');
}

/** Offers text as a file download through a temporary Blob link. */
export function download(filename, text, type = 'text/markdown') {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = h('a', { href: url, download: filename, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name for the minutes of room, dated today. */
export function minutesFilename(room) {
  return `minutes-${room}-${new Date().toISOString().slice(0, 10)}.md`;
}
