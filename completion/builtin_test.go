package completion

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/completion/ngram"
	"github.com/pairpad/pairpad/language"
)

// utf16Pos returns the UTF-16 position of the end of s, as a browser would send it.
func utf16Pos(s string) int { return len(utf16.Encode([]rune(s))) }

// anyConfidence in a wanted Suggestion accepts any confidence in (0, 1]:
// the models' calibrated figure rather than a rule's fixed one.
const anyConfidence = -1

func TestBuiltinComplete(t *testing.T) {
	none := Suggestion{Type: "completion"}
	end := -1 // cursor at the end of code
	tests := []struct {
		name     string
		language string
		code     string
		cursor   int
		want     Suggestion
	}{
		// The seed's own example: the cursor (25) is one past the end of the code (24).
		{"seed example", "python", "def hello():\n    print(", 25, Suggestion{"'Hello, World!')", 0.85, "completion"}},
		{"python else", "python", "if x:\n    pass\nelse", end, Suggestion{":", anyConfidence, "completion"}},
		{"python main guard", "python", "if __name__ == ", end, Suggestion{`"__main__":`, 0.9, "completion"}},
		{"editor auto-closed paren", "python", "print()", 6, Suggestion{"'Hello, World!'", 0.85, "completion"}},
		{"cursor on an earlier line", "python", "print(\nx = 1", 6, Suggestion{"'Hello, World!')", 0.85, "completion"}},
		{"emoji before the cursor", "python", "# 😀😀\nprint(", utf16Pos("# 😀😀\nprint("), Suggestion{"'Hello, World!')", 0.85, "completion"}},
		{"emoji after the cursor", "python", "print(\n# 😀", 6, Suggestion{"'Hello, World!')", 0.85, "completion"}},
		{"javascript", "javascript", "console.log(", end, Suggestion{"'Hello, World!');", 0.85, "completion"}},
		{"go println", "go", "func main() {\n\tfmt.Println(", end, Suggestion{`"Hello, World!")`, 0.85, "completion"}},
		{"java main", "java", "  public static void main(", end, Suggestion{"String[] args) {", 0.85, "completion"}},
		{"c printf", "c", "  printf(", end, Suggestion{`"Hello, World!\n");`, 0.85, "completion"}},
		{"cpp cout", "cpp", "std::cout << ", end, Suggestion{`"Hello, World!" << std::endl;`, 0.85, "completion"}},
		{"rust println", "rust", "println!(", end, Suggestion{`"Hello, World!");`, 0.85, "completion"}},
		{"ruby puts", "ruby", "puts ", end, Suggestion{"'Hello, World!'", 0.85, "completion"}},
		// A signature may go on with more parameters or a result type, and a
		// call with more arguments: closing them is more often wrong than right.
		{"python def goes on", "python", "def add(a, b", end, none},
		{"go method goes on", "go", "func (s *Server) routes(", end, none},
		{"open brackets", "python", "xs = foo(bar, [1, 2", end, none},
		{"open string", "javascript", `const s = f("abc`, end, none},
		{"json", "json", `{"a": [1, 2`, end, none},
		{"balanced line", "python", "x = f(1)", end, none},
		{"block opener", "go", "if x {", end, Suggestion{"\n\t\n}", 0.5, "completion"}},
		{"unbalanced closer", "python", "x = 1)", end, none},
		{"comment", "python", "# call print(", end, none},
		{"trailing comment", "go", "x := f( // todo (", end, none},
		{"sql comment", "sql", "-- select (", end, none},
		{"mid-line", "python", "print(x + y)", 6, none},
		{"empty line", "python", "def f():\n    ", end, none},
		{"empty code", "python", "", 0, none},
		{"negative cursor", "python", "print(", -5, none},
		{"unknown language", "cobol", "DISPLAY (", end, none},
		{"prose", "markdown", "it's (nice", end, none},
		{"case-sensitive language", "Python", "print(", end, none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cursor := tt.cursor
			if cursor == end {
				cursor = utf16Pos(tt.code)
			}
			got := Builtin{}.Complete(context.Background(), tt.code, cursor, tt.language)
			if tt.want.Confidence == anyConfidence && got.Confidence > 0 && got.Confidence <= 1 {
				got.Confidence = anyConfidence
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Complete(%q, %d, %q) mismatch (-want +got):\n%s", tt.code, cursor, tt.language, diff)
			}
		})
	}
}

func TestBuiltinFromDocument(t *testing.T) {
	tests := []struct {
		name     string
		language string
		code     string // the cursor is at the end
		want     string // "" for no suggestion
	}{
		{"repeated line", "go", "if err != nil {\n\treturn err\n}\nif err != nil {\n\treturn err\n}\nif err ", "!= nil {"},
		{"repeated line after indentation", "python", strings.Repeat("    self.assertEqual(a, b)\n", 3) + "        self.assertE", "qual(a, b)"},
		{"lines disagree", "python", "x = load(a)\nx = parse(b)\nx = ", ""},
		{"single short match is not trusted", "python", "x = load(a)\nx = ", ""},
		{"identifier", "python", "total_count = 0\ntotal_count += 1\nprint(total_count)\nprint(tot", "al_count"},
		{"number is not an identifier", "python", "x = 10\ny = 100\nz = 1", ""},
		{"go idiom from the language model", "go", "package main\n\nfunc main() {\n\tfor i := 0; i < 10; i", "++ {"},
		{"python idiom from the language model", "python", "import os\n\nfor root, dirs, files in os.wa", "lk("},
		{"typescript from the javascript model", "typescript", "export function add(a: number, b: number): num", "ber"},
		{"javascript idiom", "javascript", "const el = document.getElementBy", "Id"},
		{"keyword of a language without a model", "sql", "SELECT * FR", "OM"},
		{"keywords disagree", "ruby", "def initialize(name)\n  @name = name\nen", ""},
		{"dunder method", "python", "class A:\n    def __init__(self, name):\n        self.name = name\n\n    def __re", "pr__(self)"},
		{"a line start when the models are sure", "go", "package main\n\nfunc f() error {\n\terr := g()\n\tif err != nil {\n\t\treturn err\n\t", "}"},
		{"a line start in a blank document", "go", "\n\n\t", ""},
		{"the seed's example wins without evidence", "python", "def hello():\n    print(", "'Hello, World!')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Builtin{}.Complete(context.Background(), tt.code, utf16Pos(tt.code), tt.language)
			if got.Suggestion != tt.want {
				t.Errorf("Complete(%q) = %q, want %q", tt.code, got.Suggestion, tt.want)
			}
			if (got.Suggestion == "") != (got.Confidence == 0) || got.Confidence > 1 {
				t.Errorf("Complete(%q) confidence %v for %q", tt.code, got.Confidence, got.Suggestion)
			}
		})
	}
}

// TestBuiltinLargeFile checks that a file far larger than the scanned window
// still gets suggestions from the lines near the cursor.
func TestBuiltinLargeFile(t *testing.T) {
	var b strings.Builder
	for i := range 20000 {
		b.WriteString("value_")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(" = compute()\n")
	}
	b.WriteString(strings.Repeat("result = transform(value)\n", 3) + "result = tr")
	code := b.String()
	got := Builtin{}.Complete(context.Background(), code, utf16Pos(code), "python")
	if want := "ansform(value)"; got.Suggestion != want {
		t.Errorf("suggestion = %q, want %q", got.Suggestion, want)
	}
}

func TestBuiltinCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c Completer = Builtin{}
	got := c.Complete(ctx, "print(", 6, "python")
	if diff := cmp.Diff(Suggestion{Type: "completion"}, got); diff != "" {
		t.Errorf("canceled context mismatch (-want +got):\n%s", diff)
	}
}

// FuzzBuiltinComplete checks that any code and cursor give an answer without panicking.
func FuzzBuiltinComplete(f *testing.F) {
	f.Add("def hello():\n    print(", 25, "python")
	f.Add("a😀b", 2, "go")
	f.Add("\xff(\"", -3, "rust")
	f.Fuzz(func(t *testing.T, code string, cursor int, language string) {
		got := Builtin{}.Complete(context.Background(), code, cursor, language)
		if got.Type != "completion" || (got.Suggestion == "") != (got.Confidence == 0) {
			t.Errorf("Complete(%q, %d, %q) = %+v: want type completion, confidence 0 exactly when empty", code, cursor, language, got)
		}
	})
}

// TestEveryLanguageHasAModel checks that every code language of the
// catalogue brings words of its own: the embedded model it names, or its
// keywords.
func TestEveryLanguageHasAModel(t *testing.T) {
	for _, l := range language.All() {
		if !l.Prose && profiles[l.ID].model() == nil {
			t.Errorf("%s: no language model and no keywords", l.ID)
		}
		if l.Model != "" && ngram.ForLanguage(l.Model) == nil {
			t.Errorf("%s: no embedded model %q", l.ID, l.Model)
		}
	}
}

func TestBlockSkeleton(t *testing.T) {
	tests := []struct {
		name, language, code string
		cursor               int // -1: the end
		want                 string
	}{
		{"go block", "go", "package main\n\nfunc f() error {\n\terr := g()\n\tif err != nil {", -1, "\n\t\t\n\t}"},
		{"javascript function", "javascript", "function add(a, b) {", -1, "\n    \n}"},
		{"two-space indentation", "javascript", "if (a) {\n  b();\n}\nwhile (x) {", -1, "\n  \n}"},
		{"brace the editor closed", "javascript", "function add(a, b) {}", len("function add(a, b) {"), "\n    \n"},
		{"the block has a body", "go", "func f() {\n\tif ok {\n\t\treturn\n\t}\n}", len("func f() {\n\tif ok {"), ""},
		{"balanced braces", "go", "x := T{}", -1, ""},
		{"python needs no closing", "python", "def main():", -1, ""},
		{"comment", "go", "// if x {", -1, ""},
		{"template literal", "typescript", "function greet(name: string): string {\n  return `Hello, ${", -1, ""},
		{"brace in a string", "go", "func f() {\n\tfmt.Println(\"a {", -1, ""},
		{"escaped quote before the brace", "javascript", "if (s === \"\\\"\") {", -1, "\n    \n}"},
		{"rust lifetime", "rust", "fn first<'a>(s: &'a str) -> &'a str {", -1, "\n    \n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cursor := tt.cursor
			if cursor < 0 {
				cursor = utf16Pos(tt.code)
			}
			got := Builtin{}.Complete(context.Background(), tt.code, cursor, tt.language)
			if got.Suggestion != tt.want {
				t.Errorf("Complete(%q, %d) = %q, want %q", tt.code, cursor, got.Suggestion, tt.want)
			}
		})
	}
}

// BenchmarkComplete measures one suggestion on a file of ordinary code and
// on documents that repeat one token, the worst case for the document model
// (its counting is bounded by localBudget).
func BenchmarkComplete(b *testing.B) {
	var code strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&code, "def f%d(x):\n    return g(x, %d)\n\n", i, i)
	}
	for name, doc := range map[string]string{
		"ordinary":  code.String() + "def h(x):\n    return g(",
		"one token": strings.Repeat("a ", 60000),
		"brackets":  strings.Repeat("(", 100000),
	} {
		b.Run(name, func(b *testing.B) {
			profiles["python"].model() // decoded once, outside the timing
			for b.Loop() {
				Builtin{}.Complete(context.Background(), doc, utf16Pos(doc), "python")
			}
		})
	}
}
