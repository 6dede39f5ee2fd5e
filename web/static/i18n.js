// Message lookup. English is always loaded (it is the fallback for any
// missing key); another catalogue is loaded when the browser prefers it
// and the server lists it in <meta name="plenum-languages">, which the
// server fills from the files present in static/i18n/.
import en from './i18n/en.js';

let messages = en;
let locale = 'en';
const plurals = new Map();

/** Picks the best available language and loads its catalogue. */
export async function initI18n() {
  const meta = document.querySelector('meta[name="plenum-languages"]');
  const available = (meta?.content || 'en').split(',').filter(Boolean);
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  const pick = matchLanguage(wanted, available);
  if (pick && pick !== 'en') {
    try {
      const mod = await import(`./i18n/${pick}.js`);
      messages = { ...en, ...mod.default };
      locale = pick;
    } catch (err) {
      console.warn('plenum: could not load language', pick, err);
    }
  }
  document.documentElement.lang = locale;
  document.documentElement.dir = textDirection(locale);
}

function matchLanguage(wanted, available) {
  for (const tag of wanted) {
    const lower = tag.toLowerCase();
    const exact = available.find((a) => a.toLowerCase() === lower);
    if (exact) return exact;
    const base = available.find((a) => a.toLowerCase() === lower.split('-')[0]);
    if (base) return base;
  }
  return 'en';
}

function textDirection(tag) {
  try {
    const info = new Intl.Locale(tag);
    const dir = info.getTextInfo?.().direction ?? info.textInfo?.direction;
    if (dir) return dir;
  } catch { /* fall through */ }
  return /^(ar|fa|he|ur)\b/.test(tag) ? 'rtl' : 'ltr';
}

/**
 * Returns the message for key with {placeholders} replaced from params.
 * Plural messages are objects keyed by Intl.PluralRules category (plus an
 * optional "zero"), chosen by params.count.
 */
export function t(key, params = {}) {
  let msg = messages[key];
  if (msg === undefined) {
    console.warn('plenum: missing message', key);
    return key;
  }
  if (typeof msg === 'object') {
    const n = Number(params.count ?? 0);
    if (!plurals.has(locale)) plurals.set(locale, new Intl.PluralRules(locale));
    msg = (n === 0 && msg.zero) || msg[plurals.get(locale).select(n)] || msg.other;
  }
  return msg.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** Whether the catalogue has a message for key (used for error codes). */
export function has(key) {
  return key in messages;
}
