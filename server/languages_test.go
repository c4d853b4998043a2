package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookupLanguage(t *testing.T) {
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
		{"Python", false, "", ""}, // ids are case-sensitive
		{"PYTHON", false, "", ""},
		{" python", false, "", ""},
		{"", false, "", ""},
		{"cobol", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := LookupLanguage(tt.id)
			if ok != tt.wantOK {
				t.Fatalf("LookupLanguage(%q) ok = %v, want %v", tt.id, ok, tt.wantOK)
			}
			if !ok {
				if diff := cmp.Diff(Language{}, got); diff != "" {
					t.Errorf("unknown language returned a value: mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if got.ID != tt.id || got.Name != tt.wantName || got.Starter != tt.wantStarter {
				t.Errorf("LookupLanguage(%q) = %+v, want ID %q, Name %q, Starter %q", tt.id, got, tt.id, tt.wantName, tt.wantStarter)
			}
		})
	}
}

func TestLanguages(t *testing.T) {
	langs := Languages()
	var ids []string
	for _, l := range langs {
		ids = append(ids, l.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("Languages() not sorted by ID: %v", ids)
	}
	if got := len(slices.Compact(slices.Clone(ids))); got != len(ids) {
		t.Errorf("Languages() has duplicate IDs: %v", ids)
	}
	required := []string{"python", "javascript", "typescript", "go", "java", "c", "cpp", "rust", "ruby", "php",
		"csharp", "sql", "html", "css", "json", "markdown", DefaultLanguage}
	for _, id := range required {
		if !slices.Contains(ids, id) {
			t.Errorf("Languages() lacks %q", id)
		}
	}
	for _, l := range langs {
		if l.Name == "" || !strings.HasPrefix(l.Extension, ".") {
			t.Errorf("language %q: Name %q, Extension %q: want a name and a dotted extension", l.ID, l.Name, l.Extension)
		}
		if l.ID != strings.ToLower(l.ID) {
			t.Errorf("language ID %q is not lower-case", l.ID)
		}
		if l.Starter == "" && l.ID != "plaintext" {
			t.Errorf("language %q has no starter text", l.ID)
		}
		got, ok := LookupLanguage(l.ID)
		if !ok {
			t.Errorf("LookupLanguage(%q) not found", l.ID)
		}
		if diff := cmp.Diff(l, got); diff != "" {
			t.Errorf("Languages() and LookupLanguage(%q) disagree: mismatch (-want +got):\n%s", l.ID, diff)
		}
	}

	// The caller owns the slice: changing it must not change the catalogue.
	langs[0].Starter = "changed"
	if again := Languages(); again[0].Starter == "changed" {
		t.Error("Languages() returned shared storage")
	}
}

func TestDefaultLanguageStarter(t *testing.T) {
	l, ok := LookupLanguage(DefaultLanguage)
	if !ok {
		t.Fatalf("DefaultLanguage %q is not a language", DefaultLanguage)
	}
	// The seed's POST /rooms response; seed clients depend on it byte for byte.
	if want := "# Write your Python code here\n\n"; l.Starter != want {
		t.Errorf("default starter = %q, want %q", l.Starter, want)
	}
}
