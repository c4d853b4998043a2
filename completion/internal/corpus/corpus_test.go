package corpus

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPositionsAndCut(t *testing.T) {
	text := "a := 1\n\n    \n\tif x {\r\nz\nπ(y)  \n"
	var got []Sample
	for _, off := range Positions(text) {
		got = append(got, Cut(text, off))
	}
	rest := "\n\n    \n\tif x {\r\nz\nπ(y)  \n"
	want := []Sample{
		{Code: "a" + rest, Cursor: 1, Hidden: " := 1"},
		{Code: "a " + rest, Cursor: 2, Hidden: ":= 1"},
		{Code: "a :" + rest, Cursor: 3, Hidden: "= 1"},
		{Code: "a :=" + rest, Cursor: 4, Hidden: " 1"},
		{Code: "a := " + rest, Cursor: 5, Hidden: "1"},
		{Code: "a := 1\n\n    \n\ti\r\nz\nπ(y)  \n", Cursor: 15, Hidden: "f x {"},
		{Code: "a := 1\n\n    \n\tif\r\nz\nπ(y)  \n", Cursor: 16, Hidden: " x {"},
		{Code: "a := 1\n\n    \n\tif \r\nz\nπ(y)  \n", Cursor: 17, Hidden: "x {"},
		{Code: "a := 1\n\n    \n\tif x\r\nz\nπ(y)  \n", Cursor: 18, Hidden: " {"},
		{Code: "a := 1\n\n    \n\tif x \r\nz\nπ(y)  \n", Cursor: 19, Hidden: "{"},
		{Code: "a := 1\n\n    \n\tif x {\r\nz\nπ\n", Cursor: 25, Hidden: "(y)"},
		{Code: "a := 1\n\n    \n\tif x {\r\nz\nπ(\n", Cursor: 26, Hidden: "y)"},
		{Code: "a := 1\n\n    \n\tif x {\r\nz\nπ(y\n", Cursor: 27, Hidden: ")"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("samples mismatch (-want +got):\n%s", diff)
	}

	// A character outside the BMP is two UTF-16 units.
	got2 := Cut("s = '😀x'", 9)
	want2 := Sample{Code: "s = '😀", Cursor: 7, Hidden: "x'"}
	if diff := cmp.Diff(want2, got2); diff != "" {
		t.Errorf("cut mismatch (-want +got):\n%s", diff)
	}
}

func TestLineStarts(t *testing.T) {
	text := "a := 1\n\n    \n\tif x {\r\nz\n"
	var got []Sample
	for _, off := range LineStarts(text) {
		got = append(got, Cut(text, off))
	}
	want := []Sample{
		{Code: "a := 1\n\n    \n\t\r\nz\n", Cursor: 14, Hidden: "if x {"},
		{Code: "a := 1\n\n    \n\tif x {\r\n\n", Cursor: 22, Hidden: "z"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("line starts (-want +got):\n%s", diff)
	}
}

func TestLicenseHeader(t *testing.T) {
	text := "// Copyright 2009 The Go Authors.\n// license that can be found.\n\npackage x\n// not the header\n"
	for off, want := range map[int]bool{3: true, 40: true, len("// Copyright 2009 The Go Authors.\n// license that can be found.\n\npac"): false, len(text) - 4: false} {
		if got := Cut(text, off).License; got != want {
			t.Errorf("Cut at %d: License = %v, want %v", off, got, want)
		}
	}
	if got := Cut("// Package x does y.\npackage x\n", 5).License; got {
		t.Error("a doc comment without a notice is a licence header")
	}
}
