// Room names: the syntax the server accepts, and fresh unguessable names.

const ROOM_RE = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;
const RESERVED = new Set(['healthz', 'readyz', 'metrics', 'favicon.ico', 'robots.txt']);

/** Returns '' if name is a usable room name, else 'invalid' or 'reserved'. */
export function checkRoomName(name) {
  if (!ROOM_RE.test(name)) return 'invalid';
  if (RESERVED.has(name)) return 'reserved';
  return '';
}

// 64 + 64 friendly words (6 bits each) and 8 characters from a 32-symbol
// alphabet without look-alikes (40 bits): 52 random bits, easy to read
// aloud, too many to guess. Sizes are powers of two so that masking a
// random byte is unbiased.
const ADJECTIVES = [
  'amber', 'ancient', 'azure', 'bold', 'brave', 'bright', 'brisk', 'calm',
  'clever', 'cosy', 'crisp', 'curious', 'dapper', 'eager', 'early', 'fair',
  'fancy', 'fresh', 'gentle', 'giant', 'golden', 'grand', 'happy', 'hidden',
  'honest', 'jolly', 'kind', 'lively', 'lucky', 'lunar', 'mellow', 'merry',
  'mighty', 'misty', 'modern', 'noble', 'olive', 'patient', 'plucky', 'polite',
  'proud', 'quick', 'quiet', 'rapid', 'rosy', 'royal', 'rustic', 'sandy',
  'shiny', 'silent', 'silver', 'smooth', 'snowy', 'solar', 'steady', 'sunny',
  'swift', 'tidy', 'trusty', 'velvet', 'vivid', 'warm', 'wild', 'witty',
];
const NOUNS = [
  'acorn', 'anchor', 'aspen', 'badger', 'beacon', 'birch', 'bison', 'breeze',
  'brook', 'canyon', 'cedar', 'comet', 'coral', 'crane', 'delta', 'dune',
  'ember', 'falcon', 'fern', 'fjord', 'forest', 'fox', 'garden', 'glacier',
  'harbor', 'heron', 'island', 'lagoon', 'lantern', 'maple', 'meadow', 'meteor',
  'orbit', 'orchid', 'otter', 'owl', 'panda', 'pebble', 'pine', 'planet',
  'prairie', 'quartz', 'raven', 'reef', 'river', 'robin', 'saddle', 'sequoia',
  'sparrow', 'spruce', 'summit', 'thistle', 'thunder', 'tiger', 'tulip', 'valley',
  'violet', 'walrus', 'willow', 'window', 'wren', 'yarrow', 'zebra', 'zephyr',
];
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A fresh room name such as "calm-harbor-k7f2m9xd". */
export function suggestRoomName() {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let tail = '';
  for (const b of bytes.subarray(2)) tail += ALPHABET[b & 31];
  return `${ADJECTIVES[bytes[0] & 63]}-${NOUNS[bytes[1] & 63]}-${tail}`;
}
