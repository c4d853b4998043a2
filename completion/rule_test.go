package completion

import (
	"strings"
	"testing"
)

func TestFitRule(t *testing.T) {
	rules := "# Setup " + strings.Repeat("#", 32) + "\nx = 1\n" + strings.Repeat("#", 40) + "\ny = 2\n"
	tests := []struct {
		name, doc, text, want string
	}{
		{"shortened", rules + "# Finders ####", strings.Repeat("#", 30), strings.Repeat("#", 26)},
		{"lengthened", rules + "# Finders ####", strings.Repeat("#", 10), strings.Repeat("#", 26)},
		{"already at the width", rules + strings.Repeat("#", 40), strings.Repeat("#", 5), ""},
		{"title kept", rules + "# ", "Finders " + strings.Repeat("#", 40), "Finders " + strings.Repeat("#", 30)},
		{"no other rules", "x = 1\n# Finders ####", strings.Repeat("#", 30), strings.Repeat("#", 30)},
		{"not a rule", rules + "x = [", "1, 2]", "1, 2]"},
		{"a short run", rules + "x = y ", "**", "**"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fitRule(tt.doc, len(tt.doc), tt.text); got != tt.want {
				t.Errorf("fitRule(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
