// Round toggle buttons for the microphone and the camera, shared by the
// pre-join preview and the meeting toolbar.
import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from '../i18n.js';

/**
 * A toggle button whose label stays fixed while aria-pressed tells the
 * state ("Mute microphone", pressed = muted), as ARIA recommends.
 */
function toggle({ label, hint, key, onIcon, offIcon, onclick }) {
  const btn = h('button', { type: 'button', class: 'ctl', 'aria-label': label, 'aria-pressed': 'false', 'aria-keyshortcuts': key, title: hint, onclick });
  return {
    el: btn,
    /** off = muted / camera off. */
    set(off, disabled = false) {
      btn.setAttribute('aria-pressed', off ? 'true' : 'false');
      btn.classList.toggle('ctl-off', off);
      btn.replaceChildren(icon(off ? offIcon : onIcon));
      btn.disabled = disabled;
    },
  };
}

export function micToggle(onclick) {
  return toggle({ label: t('toolbar.mute'), hint: t('toolbar.muteHint'), key: 'M', onIcon: 'mic', offIcon: 'micOff', onclick });
}

export function camToggle(onclick) {
  return toggle({ label: t('toolbar.cameraOff'), hint: t('toolbar.cameraHint'), key: 'V', onIcon: 'cam', offIcon: 'camOff', onclick });
}
