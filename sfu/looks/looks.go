// Package looks tells how a text people write shows on screen: whether
// it shows nothing at all, whether two texts look alike, and whether it
// holds a control that reorders what follows it. It is the one rule for
// every such text (display names, chat, proposal questions, options and
// reasons), which signaling checks as messages arrive and the chat and
// the assembly check again as they keep them, with the reasons a
// refusal gives.
//
// Someone who can send a blank-looking text can take part unseen (a
// name nobody can read in the participant list or the minutes, a chat
// message that shows as nothing) or split a vote between two options
// that read the same, so blank means what a reader sees, not what the
// bytes hold.
package looks

import (
	"strings"
	"unicode"
)

// invisible reports whether r never shows on its own: white space,
// format characters (zero-width spaces and joiners, U+2060, the byte
// order mark, the bidirectional controls), the other default ignorable
// code points (the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0,
// which fonts draw as nothing and are the usual trick for a blank name),
// variation selectors, and U+2800, the braille pattern blank, which
// draws as a space.
//
// The Arabic and Syriac number and year signs (U+0600–U+0605, U+06DD,
// U+070F and their kin) are format characters too, but they show: a
// sign spans the digits after it.
func invisible(r rune) bool {
	switch {
	case unicode.IsSpace(r), r == '\u2800':
		return true
	case unicode.Is(unicode.Cf, r):
		return !unicode.Is(unicode.Prepended_Concatenation_Mark, r)
	}
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// visible reports whether r shows by itself: it is not invisible, and
// not a nonspacing or enclosing combining mark, which draws only on the
// character before it, so that marks with no base before them show at
// most a stray accent over an empty cell.
func visible(r rune) bool {
	return !invisible(r) && !unicode.In(r, unicode.Mn, unicode.Me)
}

// Blank reports whether s shows nothing a reader could see or tell
// apart: it is empty, or holds only invisible characters (spaces,
// U+200B, U+2060, U+FEFF, Hangul fillers and the like) and combining
// marks with nothing to combine with.
func Blank(s string) bool {
	return !strings.ContainsFunc(s, visible)
}

// Key is how s reads on screen, for telling texts apart: without its
// invisible characters, in lower case. "Yes", "yes" and "Yes\u200b"
// have one Key, and as options of one vote would split it; "é" and "e"
// do not.
func Key(s string) string {
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// BidiControl reports whether r is a bidirectional embedding, override
// or isolate control (U+202A–U+202E, U+2066–U+2069). No text people
// write may hold one (names, chat, proposals, reasons): it reorders what
// follows it, so it can make the rest of a line read reversed wherever
// the text is shown, such as the minutes, where the ballots of an open
// vote share a line. The marks U+200E and U+200F, which reorder nothing
// past themselves, and the joiners U+200C and U+200D, which Persian,
// Indic scripts and emoji need, are allowed.
func BidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// Refusal is the reason to give for refusing text, a display name, a
// chat message or the like, when it holds a BidiControl (BidiReason) or
// is not empty but looks Blank (BlankReason); "" when neither, and the
// refusal's general reason holds. Either way the characters at fault
// are invisible, and whoever sent the text would not see what a general
// reason ("1 to 64 printable characters") is about.
func Refusal(text string) string {
	switch {
	case strings.ContainsFunc(text, BidiControl):
		return BidiReason
	case text != "" && Blank(text):
		return BlankReason
	}
	return ""
}

// Why a text is refused, naming the characters at fault.
const (
	// BidiReason says why a text holding a BidiControl is refused.
	BidiReason = "bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) are not allowed in text"
	// BlankReason says why a text that looks Blank is refused.
	BlankReason = "text that shows as blank (only spaces, invisible characters such as U+200B, U+2060 and U+FEFF, and combining marks with nothing to combine with) is not allowed"
)
