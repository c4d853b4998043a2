package completion

import "testing"

func TestAlignColumn(t *testing.T) {
	block := "const (\n\tS_IFMT   = 0xf000\n\tS_IFDIR  = 0x4000\n\tS_IREAD  = 0x100\n\tS_IWRITE = 0x80\n"
	tests := []struct {
		name, doc, text, want string
	}{
		{"padded", block + "\tS_IX ", "= 0x40", "    = 0x40"},
		{"trimmed", block + "\tS_IX ", "          = 0x40", "    = 0x40"},
		{"already there", block + "\tS_IXUS ", " = 0x40", "  = 0x40"},
		{"not after a blank", block + "\tS_IX", "USR = 0x40", "USR = 0x40"},
		{"lines disagree", "a = 1\nbb  = 2\nccc   = 3\nd ", "= 4", "= 4"},
		{"a blank line ends the block", block + "\n\tS_IX ", "= 0x40", "= 0x40"},
		{"unaligned code is left alone", "yy = bar(c)\nzz = baz(d)\nx = ", "foo(e)", "foo(e)"},
		{"a later column", "x := T{\n\tName: \"a\", Size: 1,    Kind: k1},\n\tName: \"b\", Size: 22,   Kind: k2},\n\tName: \"c\", Size: 3, ", "Kind: k3}", "   Kind: k3}"},
		{"indentation", "\tx = 1\n\ty = 2\n    ", "z = 3", "z = 3"},
		{"only blanks", block + "\tS_IX ", "   ", "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alignColumn(tt.doc, len(tt.doc), tt.text); got != tt.want {
				t.Errorf("alignColumn(…%q, %q) = %q, want %q", tt.doc[len(tt.doc)-8:], tt.text, got, tt.want)
			}
		})
	}
}
