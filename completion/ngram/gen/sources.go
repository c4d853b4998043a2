package main

import (
	"cmp"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
)

// A source is one package or module of the corpus and its files.
type source struct {
	name  string
	files []string
}

// sortSources sorts sources by name and each one's files, merging sources
// of the same name (a package installed in two roots).
func sortSources(sources []source) []source {
	slices.SortStableFunc(sources, func(a, b source) int { return cmp.Compare(a.name, b.name) })
	var out []source
	for _, s := range sources {
		if n := len(out); n > 0 && out[n-1].name == s.name {
			out[n-1].files = append(out[n-1].files, s.files...)
		} else {
			out = append(out, s)
		}
	}
	for i := range out {
		slices.Sort(out[i].files)
		out[i].files = slices.Compact(out[i].files)
	}
	return out
}

// interleave orders the files of all sources round-robin, one from each in
// turn, so that a corpus cut short by -max-bytes still samples every source
// rather than the first few.
func interleave(sources []source) []string {
	var files []string
	for i := 0; ; i++ {
		added := false
		for _, s := range sources {
			if i < len(s.files) {
				files = append(files, s.files[i])
				added = true
			}
		}
		if !added {
			return files
		}
	}
}

// generated matches the marker of machine-written Go files
// (https://go.dev/s/generatedcode): not code people type.
var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// languageExtensions are the file extensions of each language's code in the
// excluded trees.
var languageExtensions = map[string][]string{
	"go":         {".go"},
	"python":     {".py"},
	"javascript": {".js", ".mjs", ".ts"},
}

// copyFilter recognises near-copies of excluded code: forks of standard
// library packages that modules carry with a few lines changed, which the
// exact content check misses. A file is a copy when over maxCopiedShare of
// its long lines occur in the excluded trees.
type copyFilter struct {
	lines map[uint64]bool
}

const (
	// minCopyLine is the shortest line, trimmed, that counts: shorter ones
	// ("return nil, err") are idioms every file repeats.
	minCopyLine    = 24
	maxCopiedShare = 0.3
)

func newCopyFilter(roots []string, exts []string) (*copyFilter, error) {
	f := &copyFilter{lines: map[uint64]bool{}}
	err := walkExcluded(roots, func(p string, data []byte) {
		if slices.ContainsFunc(exts, func(ext string) bool { return strings.HasSuffix(p, ext) }) {
			for line := range longLines(string(data)) {
				f.lines[lineHash(line)] = true
			}
		}
	})
	return f, err
}

// isCopy reports whether text is a near-copy of excluded code.
func (f *copyFilter) isCopy(text string) bool {
	copied, all := 0, 0
	for line := range longLines(text) {
		all++
		if f.lines[lineHash(line)] {
			copied++
		}
	}
	return all > 0 && float64(copied) > maxCopiedShare*float64(all)
}

// longLines yields the trimmed lines of text at least minCopyLine long.
func longLines(text string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for line := range strings.Lines(text) {
			if line = strings.TrimSpace(line); len(line) >= minCopyLine && !yield(line) {
				return
			}
		}
	}
}

func lineHash(line string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(line))
	return h.Sum64()
}
