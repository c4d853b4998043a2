package language

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		id          string
		wantOK      bool
		wantName    string
		wantStarter string
	}{
		{"python", true, "Python", "# Write your Python code here\n\n"},
		{"javascript", true, "JavaScript", "// Write your JavaScript code here\n\n"},
		{"html", true, "HTML", "<!-- Write your HTML here -->\n\n"},
		{"json", true, "JSON", "{\n}\n"},
		{"sql", true, "SQL", "-- Write your SQL here\n\n"},
		{"cpp", true, "C++", "// Write your C++ code here\n\n"},
		{"plaintext", true, "Plain text", ""},
		{"Python", false, "", ""}, // IDs are case-sensitive
		{"PYTHON", false, "", ""},
		{" python", false, "", ""},
		{"", false, "", ""},
		{"cobol", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := Lookup(tt.id)
			if ok != tt.wantOK {
				t.Fatalf("Lookup(%q) ok = %v, want %v", tt.id, ok, tt.wantOK)
			}
			if !ok {
				if diff := cmp.Diff(Language{}, got); diff != "" {
					t.Errorf("unknown language returned a value: mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if got.ID != tt.id || got.Name != tt.wantName || got.Starter != tt.wantStarter {
				t.Errorf("Lookup(%q) = %+v, want ID %q, Name %q, Starter %q", tt.id, got, tt.id, tt.wantName, tt.wantStarter)
			}
		})
	}
}

// TestAllOrder pins the order of the web app's language picker.
func TestAllOrder(t *testing.T) {
	var got []string
	for _, l := range All() {
		got = append(got, l.ID)
	}
	want := []string{"python", "javascript", "typescript", "go", "java", "c", "cpp", "csharp", "rust", "kotlin",
		"swift", "ruby", "php", "shell", "sql", "html", "css", "json", "markdown", "plaintext"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All() order mismatch (-want +got):\n%s", diff)
	}
}

// TestAll checks every language's facts for what the server, the autocomplete engine and the
// web app rely on.
func TestAll(t *testing.T) {
	var ids []string
	for _, l := range All() {
		if slices.Contains(ids, l.ID) {
			t.Errorf("duplicate ID %q", l.ID)
		}
		ids = append(ids, l.ID)
		if l.ID == "" || l.ID != strings.ToLower(l.ID) {
			t.Errorf("ID %q: want a lower-case ID", l.ID)
		}
		if l.Name == "" || !strings.HasPrefix(l.Extension, ".") {
			t.Errorf("%s: Name %q, Extension %q: want a name and a dotted extension", l.ID, l.Name, l.Extension)
		}
		if l.Starter == "" && l.ID != "plaintext" {
			t.Errorf("%s: no starter text", l.ID)
		}
		if !l.Prose && l.Model == "" && len(l.Keywords) == 0 {
			t.Errorf("%s: a code language needs a model or keywords to complete from", l.ID)
		}
		if !l.Prose && l.Quotes == "" {
			t.Errorf("%s: a code language needs its quotes", l.ID)
		}
		if m, ok := Lookup(l.Model); l.Model != "" && (!ok || m.Model != l.Model) {
			t.Errorf("%s: Model %q is not a language with a model of its own", l.ID, l.Model)
		}
		checkPatterns(t, l)
		got, ok := Lookup(l.ID)
		if diff := cmp.Diff(l, got); !ok || diff != "" {
			t.Errorf("All() and Lookup(%q) disagree (ok %v): mismatch (-All +Lookup):\n%s", l.ID, ok, diff)
		}
	}
	if !slices.Contains(ids, Default) {
		t.Errorf("Default %q is not in the catalogue %v", Default, ids)
	}
	if ids[0] != Default || ids[len(ids)-1] != "plaintext" {
		t.Errorf("All() = %v: want the default first and plain text last", ids)
	}
}

// checkPatterns checks that l's regular expressions compile and its rules are sane.
func checkPatterns(t *testing.T, l Language) {
	t.Helper()
	if _, err := regexp.Compile(l.BlockLine); err != nil {
		t.Errorf("%s: BlockLine: %v", l.ID, err)
	}
	for _, r := range l.Rules {
		if _, err := regexp.Compile(r.Pattern); err != nil {
			t.Errorf("%s: rule %q: %v", l.ID, r.Pattern, err)
		}
		if r.Suggestion == "" || r.Confidence <= 0 || r.Confidence > 1 {
			t.Errorf("%s: rule %q suggests %q with confidence %v: want text and (0, 1]", l.ID, r.Pattern, r.Suggestion, r.Confidence)
		}
	}
}

// TestDefaultStarter pins the seed's POST /rooms response: seed clients depend on it byte for
// byte.
func TestDefaultStarter(t *testing.T) {
	l, ok := Lookup(Default)
	if !ok {
		t.Fatalf("Default %q is not a language", Default)
	}
	if want := "# Write your Python code here\n\n"; l.Starter != want {
		t.Errorf("default starter = %q, want %q", l.Starter, want)
	}
}

// TestCallerOwnsValues checks that changing what All and Lookup return leaves the catalogue
// as it was.
func TestCallerOwnsValues(t *testing.T) {
	all := All()
	all[0].Starter = "changed"
	all[0].Rules[0].Suggestion = "changed"
	js, _ := Lookup("javascript")
	js.Keywords[0] = "changed"

	again := All()
	if again[0].Starter == "changed" || again[0].Rules[0].Suggestion == "changed" {
		t.Error("All() returned shared storage")
	}
	if js, _ := Lookup("javascript"); js.Keywords[0] == "changed" {
		t.Error("Lookup() returned shared storage")
	}
}
