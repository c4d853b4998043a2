// Package utf16x converts between Go strings and the positions JavaScript and CodeMirror use:
// offsets counted in UTF-16 code units. Every text position on pairpad's wire (cursorPosition,
// the legacy protocol's diff offsets) is one of them.
//
// Invalid UTF-8 counts as U+FFFD, one unit per bad byte, as ranging over a string decodes it.
package utf16x

// Len returns the length of s in UTF-16 code units: two for a character outside the Basic
// Multilingual Plane (a surrogate pair), one for any other.
func Len(s string) int {
	n := 0
	for _, r := range s {
		n += runeLen(r)
	}
	return n
}

// ByteOffset converts pos, an offset in UTF-16 code units into s, to a byte offset into s.
// pos is clamped to [0, Len(s)], so any int is accepted; a pos that falls between the two
// halves of a surrogate pair is moved back to the start of that character.
func ByteOffset(s string, pos int) int {
	if pos <= 0 {
		return 0
	}
	units := 0
	for i, r := range s {
		n := runeLen(r)
		if units+n > pos {
			return i
		}
		units += n
	}
	return len(s)
}

// runeLen is utf16.RuneLen for the runes that ranging over a string yields, which are never
// surrogates nor out of range.
func runeLen(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
