// Message lookup. English is always loaded (it is the fallback for any
// missing key); another catalogue is loaded when the user chose it (the
// language switch, remembered in localStorage) or the browser prefers it,
// and the server lists it in <meta name="plenum-languages">, which the
// server fills from the files present in static/i18n/.
import en from './i18n/en.js';
import { loadPref, savePref } from './prefs.js';

let messages = en;
let locale = 'en';
const plurals = new Map();

/** The language codes the server has catalogues for, e.g. ["de", "en", …]. */
export function availableLanguages() {
  const meta = document.querySelector('meta[name="plenum-languages"]');
  return (meta?.content || 'en').split(',').filter(Boolean);
}

/** The language of the messages in use. */
export function currentLanguage() {
  return locale;
}

/** Picks the best available language and loads its catalogue. */
export async function initI18n() {
  const available = availableLanguages();
  const chosen = loadPref('lang');
  const wanted = navigator.languages?.length ? [...navigator.languages] : [navigator.language || 'en'];
  if (chosen) wanted.unshift(chosen);
  await load(matchLanguage(wanted, available));
}

/**
 * Switches to another available language and remembers the choice. The
 * caller redraws what is on screen; strings already shown keep their
 * language until then.
 */
export async function setLanguage(code) {
  if (!availableLanguages().includes(code)) return false;
  savePref('lang', code);
  return load(code);
}

async function load(pick) {
  let next = en;
  if (pick !== 'en') {
    try {
      const mod = await import(`./i18n/${pick}.js`);
      next = { ...en, ...mod.default };
    } catch (err) {
      console.warn('plenum: could not load language', pick, err);
      return false;
    }
  }
  messages = next;
  locale = pick;
  document.documentElement.lang = locale;
  document.documentElement.dir = textDirection(locale);
  return true;
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
