// Application state shared by the views and the test hook.
export const store = {
  /** One of landing, prejoin, joining, lobby, password, joined, left, error. */
  state: 'landing',
  /** The current (or last) meeting session. */
  session: null,
  /** {code, reason} of the last fatal error, or null. */
  lastError: null,
  /** The meeting's tile layout (ui/layout.js), for the test hook. */
  layout: null,
  /** Audio-only mode (no video received), kept across redraws of the meeting. */
  audioOnly: false,
};

export function setState(state) {
  store.state = state;
  // Lets CSS (and people debugging) see the state too.
  document.body.dataset.state = state;
}
