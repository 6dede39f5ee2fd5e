// Signed links: `plenum link` puts a token in the URL's fragment
// (#token=…), which browsers never send to the server or a proxy, so it
// stays out of access logs. ?token=… is accepted too, for links made by
// hand or by other tools.
//
// The page cannot verify a token (only the server holds the key): what
// it reads from one is a hint for the interface (a viewer's page asks
// for no camera; a name given by the link is shown), never a right. The
// server checks every token at join.

const MAX_TOKEN = 1024; // the server refuses longer ones anyway

/** The link's token, or '' when the page was opened without one. */
export function linkToken(loc = location) {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  const token = fromHash || new URLSearchParams(loc.search).get('token') || '';
  return token.length <= MAX_TOKEN && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) ? token : '';
}

/**
 * What the token says, unverified: {role, name, expires (ms)}, or null
 * when it cannot be read. Only for the interface; see above.
 */
export function peekToken(token) {
  if (!token) return null;
  try {
    const part = token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (!claims || typeof claims !== 'object') return null;
    return {
      role: ['moderator', 'participant', 'viewer'].includes(claims.l) ? claims.l : '',
      name: typeof claims.n === 'string' ? claims.n : '',
      expires: Number.isFinite(claims.e) ? claims.e * 1000 : 0,
    };
  } catch {
    return null;
  }
}
