// What the meeting screen shows that the session does not hold (the
// pinned tile, the open side panel, a half-typed proposal, notices
// still up), kept per session, so that drawing the meeting again (a
// language change) brings it back as it was. Each part of the screen
// keeps its own fields in the session's object:
//   pinned        the pinned tile's key (meeting.js)
//   panel         the open side panel, 'chat' or 'people' (panels.js)
//   assemblyOpen  whether the assembly panel is open (assembly.js)
//   draft         the proposal form as typed (vote.js)
//   draftSent     its question sent, until the server opens or refuses it (vote.js)
//   ballot        the ballot being made, not yet cast (vote.js)
//   muted         a moderator's mute whose notice shows (moderation.js)
//   requests      participants whose unmute request shows (moderation.js)
// What the session itself knows (the speaker, an unstable connection)
// is read from it instead.
const kept = new WeakMap();

/** The meeting screen's kept state for session, empty at first. */
export function keptFor(session) {
  let k = kept.get(session);
  if (!k) {
    k = {};
    kept.set(session, k);
  }
  return k;
}
