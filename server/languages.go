package server

import (
	"slices"
	"strings"
)

// Language is a programming language a room can be set to.
//
// ID is the stable identifier clients send (POST /rooms {"language": ID}); it is
// case-sensitive and lower-case. Starter is the text a new room in the language
// begins with.
type Language struct {
	ID        string
	Name      string
	Extension string
	Starter   string
}

// DefaultLanguage is the ID of the language of a room created without one.
const DefaultLanguage = "python"

// languages is the catalogue of supported languages, keyed by ID. It is never
// modified after initialisation, so it is safe to read concurrently.
var languages = func() map[string]Language {
	list := []Language{
		// python's starter is the seed's, byte for byte: seed clients compare against it.
		{ID: "python", Name: "Python", Extension: ".py", Starter: "# Write your Python code here\n\n"},
		{ID: "javascript", Name: "JavaScript", Extension: ".js", Starter: "// Write your JavaScript code here\n\n"},
		{ID: "typescript", Name: "TypeScript", Extension: ".ts", Starter: "// Write your TypeScript code here\n\n"},
		{ID: "go", Name: "Go", Extension: ".go", Starter: "// Write your Go code here\n\n"},
		{ID: "java", Name: "Java", Extension: ".java", Starter: "// Write your Java code here\n\n"},
		{ID: "c", Name: "C", Extension: ".c", Starter: "// Write your C code here\n\n"},
		{ID: "cpp", Name: "C++", Extension: ".cpp", Starter: "// Write your C++ code here\n\n"},
		{ID: "csharp", Name: "C#", Extension: ".cs", Starter: "// Write your C# code here\n\n"},
		{ID: "rust", Name: "Rust", Extension: ".rs", Starter: "// Write your Rust code here\n\n"},
		{ID: "kotlin", Name: "Kotlin", Extension: ".kt", Starter: "// Write your Kotlin code here\n\n"},
		{ID: "swift", Name: "Swift", Extension: ".swift", Starter: "// Write your Swift code here\n\n"},
		{ID: "ruby", Name: "Ruby", Extension: ".rb", Starter: "# Write your Ruby code here\n\n"},
		{ID: "php", Name: "PHP", Extension: ".php", Starter: "<?php\n// Write your PHP code here\n\n"},
		{ID: "shell", Name: "Shell", Extension: ".sh", Starter: "# Write your shell script here\n\n"},
		{ID: "sql", Name: "SQL", Extension: ".sql", Starter: "-- Write your SQL here\n\n"},
		{ID: "html", Name: "HTML", Extension: ".html", Starter: "<!-- Write your HTML here -->\n\n"},
		{ID: "css", Name: "CSS", Extension: ".css", Starter: "/* Write your CSS here */\n\n"},
		{ID: "json", Name: "JSON", Extension: ".json", Starter: "{\n}\n"},
		{ID: "markdown", Name: "Markdown", Extension: ".md", Starter: "<!-- Write your Markdown here -->\n\n"},
		{ID: "plaintext", Name: "Plain text", Extension: ".txt", Starter: ""},
	}
	m := make(map[string]Language, len(list))
	for _, l := range list {
		m[l.ID] = l
	}
	return m
}()

// LookupLanguage returns the language with the given ID. IDs are case-sensitive:
// "Python" is not "python".
func LookupLanguage(id string) (Language, bool) {
	l, ok := languages[id]
	return l, ok
}

// Languages returns every supported language sorted by ID. The caller owns the
// returned slice.
func Languages() []Language {
	out := make([]Language, 0, len(languages))
	for _, l := range languages {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Language) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// languageIDs returns the supported IDs, sorted, joined with ", ", for error details.
func languageIDs() string {
	ls := Languages()
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return strings.Join(ids, ", ")
}
