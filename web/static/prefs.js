// Remembered choices (display name, preferred devices) in localStorage.
// Storage may be disabled (private mode, policies): then nothing is kept.
const PREFIX = 'plenum.';

export function loadPref(key) {
  try {
    return localStorage.getItem(PREFIX + key) || '';
  } catch {
    return '';
  }
}

export function savePref(key, value) {
  try {
    if (value) localStorage.setItem(PREFIX + key, value);
    else localStorage.removeItem(PREFIX + key);
  } catch { /* not available: nothing to remember */ }
}
