// Initials avatars with a stable, calm colour per participant.

/** Up to two initials from a display name ("Ana María" -> "AM"). */
export function initials(name) {
  const words = String(name).trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = [...words[0]][0] || '';
  const last = words.length > 1 ? [...words[words.length - 1]][0] || '' : '';
  return (first + last).toLocaleUpperCase();
}

const HUES = [212, 262, 330, 12, 36, 152, 186, 240, 290, 96, 350, 170];

/** A hue (degrees) derived from key, so a person keeps their colour. */
export function hueFor(key) {
  let hash = 0;
  for (const ch of String(key)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return HUES[hash % HUES.length];
}
