package utf16x

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestLen(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é日本", 3},    // two and three bytes, one unit each
		{"a😀b", 4},    // U+1F600 is a surrogate pair
		{"🇫🇷", 4},     // two regional indicators, each a pair
		{"\uFFFF", 1}, // the last BMP character
		{"\U00010000", 2},
		{"\xff\xfex", 3}, // invalid UTF-8: one unit per byte
	}
	for _, tt := range tests {
		if got := Len(tt.s); got != tt.want {
			t.Errorf("Len(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestByteOffset(t *testing.T) {
	tests := []struct {
		s    string
		pos  int
		want int
	}{
		{"", 0, 0},
		{"", 5, 0},
		{"abc", -1, 0},
		{"abc", 0, 0},
		{"abc", 2, 2},
		{"abc", 3, 3},
		{"abc", 4, 3}, // past the end: clamped
		// U+1F600 is 4 bytes in UTF-8 and a surrogate pair (2 units) in UTF-16.
		{"a😀b", 1, 1},
		{"a😀b", 2, 1}, // between the surrogates: back to the start of the emoji
		{"a😀b", 3, 5},
		{"a😀b", 4, 6},
		{"a😀b", 100, 6},
		{"😀😀", 2, 4},
		{"😀😀", 4, 8},
		// Flag: two regional indicators, each a surrogate pair.
		{"🇫🇷x", 4, 8},
		{"🇫🇷x", 5, 9},
		// BMP characters: one unit, 2 or 3 bytes.
		{"é日本", 1, 2},
		{"é日本", 2, 5},
		{"é日本", 3, 8},
		// Invalid UTF-8 counts one unit per byte.
		{"\xff\xfex", 2, 2},
	}
	for _, tt := range tests {
		if got := ByteOffset(tt.s, tt.pos); got != tt.want {
			t.Errorf("ByteOffset(%q, %d) = %d, want %d", tt.s, tt.pos, got, tt.want)
		}
	}
}

// TestRandom checks Len and ByteOffset against unicode/utf16's encoder at every character
// boundary of random strings: the length of a prefix maps back to its byte length.
func TestRandom(t *testing.T) {
	alphabet := []rune{'a', '\n', 'é', '日', '😀', '🎉', '\U00010000', '\uFFFF'}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		for i := range s {
			if got, want := Len(s[:i]), len(utf16.Encode([]rune(s[:i]))); got != want {
				t.Fatalf("Len(%q) = %d, want %d", s[:i], got, want)
			}
			if got := ByteOffset(s, Len(s[:i])); got != i {
				t.Fatalf("ByteOffset(%q, %d) = %d, want %d", s, Len(s[:i]), got, i)
			}
		}
		if got := ByteOffset(s, Len(s)); got != len(s) {
			t.Fatalf("ByteOffset(%q, %d) = %d, want %d", s, Len(s), got, len(s))
		}
	}
}

// FuzzByteOffset checks that any string and position give an offset at a character boundary
// within s, and that positions and offsets round-trip there.
func FuzzByteOffset(f *testing.F) {
	f.Add("a😀b", 2)
	f.Add("\xff\xfe😀", -3)
	f.Fuzz(func(t *testing.T, s string, pos int) {
		off := ByteOffset(s, pos)
		if off < 0 || off > len(s) {
			t.Fatalf("ByteOffset(%q, %d) = %d, outside [0, %d]", s, pos, off, len(s))
		}
		if units := Len(s[:off]); units > max(pos, 0) || ByteOffset(s, units) != off {
			t.Fatalf("ByteOffset(%q, %d) = %d, whose position is %d", s, pos, off, units)
		}
	})
}
