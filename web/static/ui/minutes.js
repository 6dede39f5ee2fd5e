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
  const floor = floorTimes(turns, minutes.exported);
  if (floor.length) {
    // Who had the floor how long: what a meeting that shares speaking
    // time fairly wants to look back on.
    const total = floor.reduce((sum, f) => sum + f.ms, 0);
    const percent = new Intl.NumberFormat(currentLanguage(), { style: 'percent' });
    lines.push(`## ${mdEscape(t('minutes.floorTime'))}`, '');
    for (const f of floor) {
      const share = percent.format(total ? f.ms / total : 0);
      lines.push(`- ${mdEscape(f.name)}: ${duration(f.ms)} (${mdEscape(share)})`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * The time each speaker had the floor over turns (a turn still going
 * counts until now, the export), longest first. A speaker is a person:
 * the server numbers the turns of each (`speaker`), so that one who
 * spoke from their phone and their laptop (a personal link) counts
 * once; a turn without a number is known by its device's id. Each goes
 * under the name of their last turn.
 */
export function floorTimes(turns, now) {
  const end = Date.parse(now);
  const bySpeaker = new Map();
  for (const turn of turns) {
    const from = Date.parse(turn.start);
    const to = turn.end ? Date.parse(turn.end) : end;
    if (Number.isNaN(from) || Number.isNaN(to) || to < from) continue;
    const key = Number.isInteger(turn.speaker) && turn.speaker > 0 ? `speaker:${turn.speaker}` : `id:${turn.id}`;
    const f = bySpeaker.get(key) || { name: turn.name, ms: 0 };
    f.name = turn.name;
    f.ms += to - from;
    bySpeaker.set(key, f);
  }
  return [...bySpeaker.values()].sort((a, b) => b.ms - a.ms);
}

/** A duration as h:mm:ss, or m:ss under an hour. */
function duration(ms) {
  const s = Math.round(ms / 1000);
  const pad = (n) => String(n).padStart(2, '0');
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
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
