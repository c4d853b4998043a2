package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFileIsCurrent fails when the committed copy of the catalogue in the web app
// differs from what the generator writes now.
func TestGeneratedFileIsCurrent(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", defaultOut))
	if err != nil {
		t.Fatalf("%v: run make languages (go run ./language/gen) and commit the result", err)
	}
	if !bytes.Equal(got, generate()) {
		t.Errorf("%s differs from what package language says now: run make languages (go run ./language/gen) and commit the result", defaultOut)
	}
}

func TestJSString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"C++", `"C++"`},
		{"Plain text", `"Plain text"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"<tag>&", `"<tag>&"`},
		{"line\u2028sep", `"line\u2028sep"`}, // a line terminator in older JavaScript
	}
	for _, tt := range tests {
		if got := jsString(tt.in); got != tt.want {
			t.Errorf("jsString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
