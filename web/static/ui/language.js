// The language switch: a labelled <select> of the catalogues the server
// has. Choosing one loads it, remembers it (prefs) and fires
// LANGUAGE_EVENT on window so the app redraws the current screen.
import { h } from './dom.js';
import { icon } from './icons.js';
import { t, availableLanguages, currentLanguage, setLanguage } from '../i18n.js';

/** Fired on window after the language changed; detail: {language}. */
export const LANGUAGE_EVENT = 'plenum-language';

let serial = 0;

/**
 * A language's own name ("Deutsch", "日本語"), so people find theirs
 * whatever language the page is in; the code when the browser has no name.
 */
export function languageName(code) {
  try {
    const name = new Intl.DisplayNames([code], { type: 'language' }).of(code);
    if (name && name !== code) return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
  } catch { /* no Intl.DisplayNames: fall through */ }
  return code;
}

/** A labelled language <select>, or null when there is only one language. */
export function languageSelect() {
  const codes = availableLanguages();
  if (codes.length < 2) return null;
  const id = `language-${++serial}`;
  const current = currentLanguage();
  const select = h('select', {
    id,
    class: 'select lang-select',
    onchange: async () => {
      const code = select.value;
      if (await setLanguage(code)) window.dispatchEvent(new CustomEvent(LANGUAGE_EVENT, { detail: { language: code } }));
    },
  }, codes.map((code) => h('option', { value: code, lang: code, text: languageName(code), selected: code === current })));
  return h('div', { class: 'lang' },
    h('label', { class: 'visually-hidden', for: id, text: t('language.label') }),
    icon('globe', 'lang-icon'),
    select);
}

/** Puts keyboard focus back on the language switch after a redraw. */
export function focusLanguageSelect() {
  document.querySelector('.lang-select')?.focus();
}
