// A page that reloads comes back as the same participant
// (signaling/PROTOCOL.md, "Leaving to return"). As it unloads, the page
// cannot tell a reload from a closed tab: it keeps what a resume needs
// in this tab's sessionStorage (per tab, kept across a reload, never
// shared with other tabs; never localStorage, which would outlive the
// tab and leak the token to every tab of the site) and tells the server
// it may return. The next load of the same room takes it (and removes
// it) and resumes. Nothing is stored during the meeting itself.

const KEY = 'plenum.return';
// The server's hold until a welcome tells it (returnHold).
const DEFAULT_HOLD = 10_000;

/**
 * Keeps what the next load of room needs to come back:
 * {id, token, hold, name, audio, video}.
 */
export function keepForReturn(room, entry) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ ...entry, room, at: Date.now() }));
  } catch {
    // Storage refused (private mode, quota): the reload joins afresh.
  }
}

/** Forgets it: the user left, or the server ended the session. */
export function forgetReturn() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored, then.
  }
}

/**
 * Takes what the page kept for room as it unloaded, if it is still
 * within the server's hold ({id, token, name, audio, video}), and
 * forgets it in any case. Older, the seat is gone: a page come back to
 * later (the back button) shows the pre-join screen as usual.
 */
export function takeReturn(room) {
  let entry = null;
  try {
    entry = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    entry = null;
  }
  forgetReturn();
  if (!entry || entry.room !== room || typeof entry.id !== 'string' || typeof entry.token !== 'string') return null;
  const hold = Number.isFinite(entry.hold) && entry.hold > 0 ? entry.hold : DEFAULT_HOLD;
  const age = Date.now() - entry.at;
  if (!(age >= 0 && age < hold)) return null;
  return {
    id: entry.id,
    token: entry.token,
    name: typeof entry.name === 'string' ? entry.name : '',
    audio: entry.audio !== false,
    video: entry.video !== false,
  };
}
