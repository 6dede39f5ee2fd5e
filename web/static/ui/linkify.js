// Chat text to DOM nodes: text nodes, and links for http(s) URLs. Never
// markup: whatever a message holds is shown as the characters it is.
import { h } from './dom.js';

// A URL runs to the next space or a character that cannot be in one
// unescaped; closing punctuation at its end is the sentence's, not the
// URL's (see trimURL).
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'")\]}>]+$/;

function trimURL(raw) {
  let url = raw.replace(TRAILING, '');
  // Keep a closing parenthesis that closes one opened in the URL
  // (https://en.wikipedia.org/wiki/Plenum_(film)).
  const rest = raw.slice(url.length);
  if (rest.startsWith(')') && url.split('(').length > url.split(')').length) url += ')';
  return url;
}

/** The parsed URL if text is an http or https URL, else null. */
export function safeURL(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Splits text into text nodes and <a> elements for its web links. */
export function linkify(text) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = trimURL(match[0]);
    const url = safeURL(raw);
    if (!url) continue;
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    // The text shown is what was typed; the address followed is the parsed one.
    nodes.push(h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', class: 'chat-link', text: raw }));
    at = match.index + raw.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
