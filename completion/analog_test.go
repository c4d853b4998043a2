package completion

import (
	"context"
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"IncrementalDecoder": {"Incremental", "Decoder"},
		"charmap_decode":     {"charmap", "_", "decode"},
		"HTTPServer2":        {"HTTP", "Server", "2"},
		"x":                  {"x"},
		"__init__":           {"_", "_", "init", "_", "_"},
	} {
		if got := words(in); !slices.Equal(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenames(t *testing.T) {
	r := renameOf("IncrementalDecoder", "IncrementalEncoder")
	if !slices.Equal(r.from, []string{"Decoder"}) || !slices.Equal(r.to, []string{"Encoder"}) {
		t.Fatalf("renameOf = %+v", r)
	}
	if got, ok := applyRenames("MultibyteIncrementalDecoder", []rename{r}); !ok || got != "MultibyteIncrementalEncoder" {
		t.Errorf("applyRenames = %q, %v", got, ok)
	}
	if got, ok := applyRenames("decoder_state", []rename{r}); !ok || got != "encoder_state" {
		t.Errorf("applyRenames in lower case = %q, %v", got, ok)
	}
	if _, ok := applyRenames("Decoded", []rename{r}); ok {
		t.Error("a rename applied inside a word")
	}
}

func TestAnalogousLine(t *testing.T) {
	tests := []struct {
		name, language, code, want string
	}{
		{"python class", "python", "class IncrementalDecoder(codecs.IncrementalDecoder):\n    pass\n\n" +
			"class StreamDecoder(codecs.StreamDecoder):\n    pass\n\nclass IncrementalEncoder(codecs.Incremental", "Encoder):"},
		{"the models echo the line renamed", "python", "class IncrementalDecoder(mbc.MultibyteIncrementalDecoder,\n" +
			"                         codecs.IncrementalDecoder):\n    codec = codec\n\nclass IncrementalEncoder(mbc.MultibyteIncremental", "Encoder,"},
		{"renamed on the line before", "python", "class Box:\n    def get_width(self):\n        return self._width\n\n" +
			"    def get_height(self):\n        return self._", "height"},
		{"go call", "go", "func readAll(r io.Reader) ([]byte, error) {\n\tbuf, err := readFull(r, readLimit)\n\treturn buf, err\n}\n\n" +
			"func writeAll(r io.Writer, b []byte) error {\n\tbuf, err := writeFull(", "r, writeLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Builtin{}.Complete(context.Background(), tt.code, utf16Pos(tt.code), tt.language)
			if got.Suggestion != tt.want {
				t.Errorf("Complete(%q) = %q (%.2f), want %q", tt.code, got.Suggestion, got.Confidence, tt.want)
			}
		})
	}
}

func TestAnalogyNeedsAnchors(t *testing.T) {
	code := "x := load(a)\ny := "
	m, partial := newLineModel(code, len(code), nil)
	if a, ok := findAnalogy(code, m.toks, m.line, m.cur, partial); ok {
		t.Errorf("analogy %+v from a line that shares no identifier", a)
	}
}
