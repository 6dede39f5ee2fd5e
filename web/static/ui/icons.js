// Inline SVG icons (24×24, stroked with currentColor), drawn for Plenum.
// Parsed once per use from markup we control, so no external requests.

const PATHS = {
  mic: '<rect x="9" y="3" width="6" height="11.5" rx="3"/><path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8.5 21h7"/>',
  micOff: '<path d="M15 10V6a3 3 0 0 0-5.8-1.1M9 9v2.5a3 3 0 0 0 4.6 2.5"/><path d="M18.5 11a6.5 6.5 0 0 1-1 3.4M5.5 11a6.5 6.5 0 0 0 10 5.5M12 17.5V21M8.5 21h7"/><path d="M4 4l16 16"/>',
  cam: '<rect x="2.5" y="6" width="13" height="12" rx="2.5"/><path d="M15.5 10.2l5-3v9.6l-5-3z"/>',
  camOff: '<path d="M7 6h6a2.5 2.5 0 0 1 2.5 2.5V12M15.5 16v-.5M15.5 10.2l5-3v9.6l-5-3M5 6.3A2.5 2.5 0 0 0 2.5 8.5v7A2.5 2.5 0 0 0 5 18h8a2.5 2.5 0 0 0 2-1"/><path d="M3 3l18 18"/>',
  leave: '<path d="M3.2 14.2c4.9-4.6 12.7-4.6 17.6 0 .4.4.4 1 .1 1.4l-1.5 1.9a1 1 0 0 1-1.3.2l-2.5-1.4a1 1 0 0 1-.5-.9v-1.7a10.6 10.6 0 0 0-6.2 0v1.7a1 1 0 0 1-.5.9l-2.5 1.4a1 1 0 0 1-1.3-.2l-1.5-1.9a1 1 0 0 1 .1-1.4z" fill="currentColor" stroke="none"/>',
  link: '<path d="M10 14a4 4 0 0 0 5.7 0l3.1-3.1a4 4 0 0 0-5.7-5.7l-1.1 1.1"/><path d="M14 10a4 4 0 0 0-5.7 0l-3.1 3.1a4 4 0 0 0 5.7 5.7l1.1-1.1"/>',
  check: '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
  alert: '<path d="M10.3 4.2 2.6 17.5A2 2 0 0 0 4.3 20.5h15.4a2 2 0 0 0 1.7-3L13.7 4.2a2 2 0 0 0-3.4 0z"/><path d="M12 9.5v4.5M12 17.3v.2"/>',
  volume: '<path d="M4 9.5h3.5L12 5.5v13l-4.5-4H4z"/><path d="M15.5 9a4 4 0 0 1 0 6M18 6.5a7.5 7.5 0 0 1 0 11"/>',
  refresh: '<path d="M19.5 12a7.5 7.5 0 1 1-2.2-5.3M19.5 4.5V9H15"/>',
  users: '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0M16 4.6a3.5 3.5 0 0 1 0 6.8M18 14.2a6.5 6.5 0 0 1 3.5 5.8"/>',
  close: '<path d="M6 6l12 12M18 6 6 18"/>',
  plus: '<path d="M12 5v14M5 12h14"/>',
  wifiOff: '<path d="M2.5 8.5a14 14 0 0 1 5-2.9M11 5a14 14 0 0 1 10.5 3.5M5.5 12a9.5 9.5 0 0 1 4-2.2M15.5 10.4a9.5 9.5 0 0 1 3 1.6M8.8 15.4a5 5 0 0 1 6.4 0M12 19h.01M3 3l18 18"/>',
  globe: '<circle cx="12" cy="12" r="8.5"/><path d="M3.5 12h17M12 3.5c2.3 2.4 3.4 5.2 3.4 8.5s-1.1 6.1-3.4 8.5c-2.3-2.4-3.4-5.2-3.4-8.5S9.7 5.9 12 3.5z"/>',
  keyboard: '<rect x="2.5" y="6" width="19" height="12" rx="2"/><path d="M6 9.5h.01M9 9.5h.01M12 9.5h.01M15 9.5h.01M18 9.5h.01M6 12.5h.01M18 12.5h.01M9 12.5h6M8 15.5h8"/>',
  screen: '<rect x="2.5" y="4" width="19" height="13" rx="2"/><path d="M8 21h8M12 17v4M12 14V8M9 10.5 12 7.5l3 3"/>',
  pin: '<path d="M9 3.5h6M10 3.5v5.5l-3 3.5h10l-3-3.5V3.5M12 12.5V20.5"/>',
  expand: '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/>',
  grid: '<rect x="3.5" y="3.5" width="7" height="7" rx="1.5"/><rect x="13.5" y="3.5" width="7" height="7" rx="1.5"/><rect x="3.5" y="13.5" width="7" height="7" rx="1.5"/><rect x="13.5" y="13.5" width="7" height="7" rx="1.5"/>',
  spotlight: '<rect x="3" y="4" width="13" height="16" rx="2"/><rect x="18" y="4" width="3" height="4.5" rx="1"/><rect x="18" y="10" width="3" height="4" rx="1"/><rect x="18" y="15.5" width="3" height="4.5" rx="1"/>',
  chevronLeft: '<path d="M14.5 5.5 8 12l6.5 6.5"/>',
  chevronRight: '<path d="M9.5 5.5 16 12l-6.5 6.5"/>',
  settings: '<circle cx="12" cy="12" r="3"/><path d="M12 2.8v2.4M12 18.8v2.4M21.2 12h-2.4M5.2 12H2.8M18.5 5.5l-1.7 1.7M7.2 16.8l-1.7 1.7M18.5 18.5l-1.7-1.7M7.2 7.2 5.5 5.5"/>',
  signal: '<path d="M5 19v-3M10 19v-7M15 19V8M20 19V4"/>',
  hand: '<path d="M8 12.5V6a1.5 1.5 0 0 1 3 0v5M11 10.5V4.5a1.5 1.5 0 0 1 3 0v6M14 10.5V6a1.5 1.5 0 0 1 3 0v6.5M8 12.5l-1.6-2a1.6 1.6 0 0 0-2.5 2l3.3 4.6A6 6 0 0 0 12 20h.5a5.5 5.5 0 0 0 5.5-5.5V9.5a1.5 1.5 0 0 0-1-1.4"/>',
  vote: '<path d="M4 14h16v6H4zM7.5 14l-1-1.5M16.5 14l1-1.5"/><path d="M8.5 10.5l2.5 2.5 5-6"/>',
  up: '<path d="M6 14l6-6 6 6"/>',
  down: '<path d="M6 10l6 6 6-6"/>',
  more: '<circle cx="12" cy="5.5" r="1.3" fill="currentColor"/><circle cx="12" cy="12" r="1.3" fill="currentColor"/><circle cx="12" cy="18.5" r="1.3" fill="currentColor"/>',
  shield: '<path d="M12 3l7.5 3v5.5c0 4.6-3.1 8.3-7.5 9.5-4.4-1.2-7.5-4.9-7.5-9.5V6z"/><path d="M8.8 12l2.3 2.3 4.2-4.6"/>',
  lock: '<rect x="5" y="10.5" width="14" height="10" rx="2"/><path d="M8.5 10.5V7.5a3.5 3.5 0 0 1 7 0v3"/>',
  hourglass: '<path d="M6.5 3h11M6.5 21h11M7.5 3v3.5a4.5 4.5 0 0 0 9 0V3M7.5 21v-3.5a4.5 4.5 0 0 1 9 0V21"/>',
  chat: '<path d="M4.5 5.5h15a1.5 1.5 0 0 1 1.5 1.5v9a1.5 1.5 0 0 1-1.5 1.5H10l-4.5 3.5V17.5h-1A1.5 1.5 0 0 1 3 16V7a1.5 1.5 0 0 1 1.5-1.5z"/><path d="M7.5 10h9M7.5 13.5h6"/>',
  smile: '<circle cx="12" cy="12" r="8.5"/><path d="M8.5 14.2a4.5 4.5 0 0 0 7 0"/><path d="M9 9.8v.4M15 9.8v.4"/>',
  send: '<path d="M4 12 20 4l-5 16-3.5-6.5z"/><path d="M11.5 13.5 20 4"/>',
  door: '<path d="M14 4H6.5A1.5 1.5 0 0 0 5 5.5v13A1.5 1.5 0 0 0 6.5 20H14M10 12h10M17 9l3 3-3 3"/>',
};

// The logo: an assembly of five seats around a speaker.
const LOGO = '<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="#5b8def"/><g fill="#fff"><circle cx="16" cy="20" r="3.2"/><circle cx="6.8" cy="19" r="2"/><circle cx="9.4" cy="12.2" r="2"/><circle cx="16" cy="9.4" r="2"/><circle cx="22.6" cy="12.2" r="2"/><circle cx="25.2" cy="19" r="2"/></g></svg>';

function parse(markup) {
  const tpl = document.createElement('template');
  tpl.innerHTML = markup;
  return tpl.content.firstElementChild;
}

/** Returns a new decorative <svg> for the named icon. */
export function icon(name, cls = '') {
  const svg = parse(`<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${PATHS[name]}</svg>`);
  svg.classList.add('icon');
  if (cls) svg.classList.add(cls);
  return svg;
}

/** Returns a new logo <svg>. */
export function logo(cls = 'logo') {
  const svg = parse(LOGO);
  svg.classList.add(cls);
  return svg;
}
