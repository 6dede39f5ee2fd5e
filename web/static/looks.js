// Whether a text people write shows anything on screen: the client's
// copy of the server's rule (sfu/looks, Blank), which refuses a display
// name, chat message, question or option that looks blank and ends the
// session of whoever sends one. What we would send, we check first.

// A character that shows by itself: not white space or U+2800 (the
// braille blank, drawn as a space); not a format character (U+200B,
// U+2060, U+FEFF…) nor another default ignorable (the Hangul fillers
// U+115F, U+1160, U+3164, U+FFA0, variation selectors); not a combining
// mark (Mn, Me), which draws only on the character before it. The
// Arabic and Syriac number signs and their kin (the prepended
// concatenation marks) are format characters that show: they span the
// digits after them.
const VISIBLE = /[\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}]|[^\p{White_Space}\u2800\p{Cf}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}]/u;

/** True when text shows nothing a reader could see: empty, or only invisible characters and marks with nothing to combine with. */
export function isBlank(text) {
  return !VISIBLE.test(text);
}

// The bidirectional embedding, override and isolate controls: the
// server refuses text holding one (sfu/looks, BidiControl).
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/gu;

/**
 * One line of text as the server takes it in a proposal or a ballot's
 * reason, trimmed: a control character (a tab pasted from a spreadsheet
 * row) becomes a space and a bidirectional control goes, where the
 * server would end the session of whoever sent either.
 */
export function cleanLine(text) {
  return String(text).replace(/\p{Cc}/gu, ' ').replace(BIDI_CONTROLS, '').trim();
}
