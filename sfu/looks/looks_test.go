package looks

import "testing"

func TestATextOfOnlyInvisibleCharactersIsBlank(t *testing.T) {
	for _, s := range []string{
		"", "   ", "\t\n", "\u200b", "\u2060", "\ufeff", "\u00ad", " \u200b\u200c\u200d ",
		"\u0301", "\u0301\u0308\u20dd", // combining marks with nothing to combine with
		"\u3164", "\u115f\u1160", "\uffa0", // Hangul fillers
		"\u2800", "\ufe0f", "\U000e0041", "\u3000\u00a0\u202f",
	} {
		if !Blank(s) {
			t.Errorf("Blank(%+q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"a", " a ", "\u200ba", "e\u0301", "é", "·", "👍", "👩\u200d💻", "\u0600", "ـ", "ا", "\u0903", "\u2801", "_",
	} {
		if Blank(s) {
			t.Errorf("Blank(%+q) = true, want false", s)
		}
	}
}

func TestTextsThatReadTheSameHaveOneKey(t *testing.T) {
	for _, pair := range [][2]string{
		{"Yes", "yes"}, {"Yes", "Yes\u200b"}, {"Yes", " y\ufeffe\u2060s "}, {"Oak tree", "oaktree"},
		{"Yes", "Yes\u3164"}, {"❤", "❤\ufe0f"},
	} {
		if Key(pair[0]) != Key(pair[1]) {
			t.Errorf("Key(%+q) = %+q, Key(%+q) = %+q: want one key", pair[0], Key(pair[0]), pair[1], Key(pair[1]))
		}
	}
	for _, pair := range [][2]string{
		{"e", "e\u0301"}, {"Salle des fêtes", "Salle de sport"}, {"مكتبة", "مكتبه"}, {"1", "\u06001"},
	} {
		if Key(pair[0]) == Key(pair[1]) {
			t.Errorf("Key(%+q) = Key(%+q): want two keys", pair[0], pair[1])
		}
	}
}

func TestBidiControlsAreTheEmbeddingsOverridesAndIsolates(t *testing.T) {
	for _, r := range []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069} {
		if !BidiControl(r) {
			t.Errorf("BidiControl(U+%04X) = false, want true", r)
		}
	}
	// The joiners and marks scripts and emoji need, and their neighbours.
	for _, r := range []rune{0x200C, 0x200D, 0x200E, 0x200F, 0x2029, 0x202F, 0x2065, 0x206A, 'a'} {
		if BidiControl(r) {
			t.Errorf("BidiControl(U+%04X) = true, want false", r)
		}
	}
}

func TestARefusalNamesTheInvisibleCharactersAtFault(t *testing.T) {
	for text, want := range map[string]string{
		"A\u202ena": BidiReason, "\u2066\u2069": BidiReason, // blank too, but for them
		"\u200b": BlankReason, "   ": BlankReason,
		"": "", "Ana": "", "A\u200dna": "",
	} {
		if got := Refusal(text); got != want {
			t.Errorf("Refusal(%+q) = %q, want %q", text, got, want)
		}
	}
}
