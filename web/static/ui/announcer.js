// Screen-reader announcements through the page's aria-live region.
let clearTimer = 0;

// The last announcements, for the test hook (window.plenum): the live
// region itself empties after a few seconds.
const RECENT = 20;
export const recentAnnouncements = [];

export function announce(text) {
  recentAnnouncements.push(text);
  if (recentAnnouncements.length > RECENT) recentAnnouncements.shift();
  const live = document.getElementById('live');
  if (!live) return;
  // Append rather than replace so quick successive events are all read;
  // the region is emptied once things are quiet.
  const line = document.createElement('p');
  line.textContent = text;
  live.append(line);
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => live.replaceChildren(), 5000);
}
