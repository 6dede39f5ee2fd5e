// The toolbar's layout switch: grid (everybody alike) or speaker (the
// dominant speaker large, the others in a filmstrip). The choice is
// remembered for the next meeting.
import { h } from './dom.js';
import { icon } from './icons.js';
import { loadPref, savePref } from '../prefs.js';
import { t } from '../i18n.js';

/** A toggle button bound to layout; pressed means the speaker layout. */
export function layoutToggle(layout) {
  const btn = h('button', { type: 'button', class: 'ctl', 'aria-label': t('toolbar.speakerLayout'), title: `${t('toolbar.speakerLayoutHint')} (W)`, 'aria-keyshortcuts': 'W' });
  const set = (mode) => {
    layout.setMode(mode);
    const speaker = layout.mode === 'speaker';
    btn.setAttribute('aria-pressed', speaker ? 'true' : 'false');
    btn.classList.toggle('ctl-active', speaker);
    btn.replaceChildren(icon(speaker ? 'spotlight' : 'grid'));
  };
  btn.addEventListener('click', () => {
    const next = layout.mode === 'speaker' ? 'grid' : 'speaker';
    savePref('layout', next);
    set(next);
  });
  set(loadPref('layout') === 'speaker' ? 'speaker' : 'grid');
  return { el: btn, set };
}
