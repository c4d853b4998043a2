// Command gen builds the n-gram models that the built-in completion engine
// embeds (completion/ngram/models), from permissively licensed code: Go
// modules in module caches (the ones go-modules.txt lists, which make models
// downloads, and this project's dependencies), the Python packages installed
// with pip or apt, and the npm packages under node_modules (JavaScript and
// TypeScript, one model for both). Only packages whose licence is MIT, BSD,
// Apache, ISC or PSF are read, generated Go files are skipped, and files are
// taken from every package in turn so that -max-bytes samples them all.
// Nothing from the code the evaluation samples (the Go and Python standard
// libraries) is used: modules vendored into the Go distribution
// (golang.org/x/...) are skipped, and a file is dropped when its content is
// in an -exclude tree or when it is a near-copy of such a file (a fork of a
// standard library package).
//
//	go run ./completion/ngram/gen -lang go -roots $(go env GOMODCACHE) -exclude $(go env GOROOT)/src -o completion/ngram/models/go.ngram.gz
//
// Run it with `make models`; the output is committed.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/pairpad/pairpad/completion/ngram"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	lang := flag.String("lang", "", "go, python or javascript")
	out := flag.String("o", "", "output file")
	exclude := flag.String("exclude", "", "colon-separated trees whose files are never used")
	roots := flag.String("roots", "", "colon-separated trees to read: module caches (go), site-packages (python) or node_modules (javascript)")
	maxBytes := flag.Int("max-bytes", 40<<20, "stop after reading this much code")
	minContext := flag.Int("min-context", 4, "drop contexts seen fewer times")
	keep := flag.Int("keep", 6, "followers kept per context")
	minUnigram := flag.Int("min-unigram", 5, "drop rarer tokens from the vocabulary (unless kept as followers)")
	flag.Parse()
	if *out == "" || *roots == "" {
		return fmt.Errorf("-o and -roots are required")
	}
	list, ok := sourceLists[*lang]
	if !ok {
		return fmt.Errorf("unknown -lang %q", *lang)
	}
	sources, err := list(strings.Split(*roots, ":"))
	if err != nil {
		return err
	}
	excludeRoots := strings.Split(*exclude, ":")
	excluded, err := contentHashes(excludeRoots)
	if err != nil {
		return err
	}
	copies, err := newCopyFilter(excludeRoots, languageExtensions[*lang])
	if err != nil {
		return err
	}
	b := &ngram.Builder{MinContext: *minContext, MinFollower: 2, Keep: *keep, MinUnigram: *minUnigram}
	read, used, dropped := 0, 0, 0
	for _, f := range interleave(sources) {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue // listed in a RECORD but not installed
		}
		if err != nil {
			return err
		}
		if excluded[sha256.Sum256(data)] || len(data) > 200<<10 || generated.Match(data) {
			continue
		}
		if copies.isCopy(string(data)) {
			dropped++
			continue
		}
		b.Add(string(data))
		read += len(data)
		used++
		if read >= *maxBytes {
			break
		}
	}
	size, err := writeModel(*out, b.Model(), sources)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d files, %d bytes of code (%d near-copies of excluded code dropped) -> %s (%d bytes)\n",
		*lang, used, read, dropped, *out, size)
	return nil
}

// sourceLists lists each language's packages under the -roots.
var sourceLists = map[string]func(roots []string) ([]source, error){
	"go":         goSources,
	"python":     pythonSources,
	"javascript": npmSources,
}

// writeModel writes the model to out and the names of the sources beside it, in
// a .sources.txt file, and returns the model's size.
func writeModel(out string, m *ngram.Model, sources []source) (int, error) {
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		return 0, err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return 0, err
	}
	var names strings.Builder
	for _, src := range sources {
		names.WriteString(src.name + "\n")
	}
	return buf.Len(), os.WriteFile(strings.TrimSuffix(out, ".ngram.gz")+".sources.txt", []byte(names.String()), 0o644)
}

// contentHashes returns the SHA-256 of every file under the excluded roots.
func contentHashes(roots []string) (map[[32]byte]bool, error) {
	seen := map[[32]byte]bool{}
	err := walkExcluded(roots, func(_ string, data []byte) {
		seen[sha256.Sum256(data)] = true
	})
	return seen, err
}

// walkExcluded calls fn with every regular file under roots, except in
// installed third-party packages (site-packages, dist-packages): the
// excluded trees are standard libraries, and the packages installed beside
// them are the corpus.
func walkExcluded(roots []string, fn func(path string, data []byte)) error {
	for _, root := range roots {
		if root == "" {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "site-packages" || d.Name() == "dist-packages") {
				return filepath.SkipDir
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fn(p, data)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// permissive matches the licences whose code may train the models.
var permissive = regexp.MustCompile(`(?i)(MIT License|Permission is hereby granted, free of charge|Redistribution and use in source and binary forms|Apache License|\bISC\b|Python Software Foundation|License :: OSI Approved :: (MIT|BSD|Apache|ISC))`)

// goSources lists the permissively licensed modules under the module caches
// and their non-test-data .go files, sorted.
func goSources(roots []string) ([]source, error) {
	var sources []source
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() {
				switch {
				case d.Name() == "testdata" || d.Name() == "vendor" || rel == "cache" || strings.HasPrefix(rel, "golang.org"):
					return filepath.SkipDir
				case strings.Contains(d.Name(), "@") && !licensed(filepath.Join(p, "LICENSE"), filepath.Join(p, "LICENSE.txt"), filepath.Join(p, "LICENSE.md"), filepath.Join(p, "COPYING")):
					return filepath.SkipDir
				case strings.Contains(d.Name(), "@"):
					sources = append(sources, source{name: filepath.ToSlash(rel)})
				}
				return nil
			}
			if n := len(sources); n > 0 && strings.HasSuffix(p, ".go") && strings.HasPrefix(filepath.ToSlash(rel), sources[n-1].name+"/") {
				sources[n-1].files = append(sources[n-1].files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return sortSources(sources), nil
}

// licensed reports whether the first of paths that exists is a permissive licence.
func licensed(paths ...string) bool {
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			return permissive.Match(data)
		}
	}
	return false
}

// pythonSources lists the permissively licensed packages installed under
// the site-packages roots and their .py files, as their dist-info RECORD names
// them, sorted. Vendored copies of other packages are left out.
func pythonSources(roots []string) ([]source, error) {
	var sources []source
	for _, root := range roots {
		infos, _ := filepath.Glob(filepath.Join(root, "*.dist-info"))
		for _, info := range infos {
			if !licensed(filepath.Join(info, "METADATA")) {
				continue
			}
			rec, err := os.Open(filepath.Join(info, "RECORD"))
			if err != nil {
				continue
			}
			src := source{name: strings.TrimSuffix(filepath.Base(info), ".dist-info")}
			sc := bufio.NewScanner(rec)
			for sc.Scan() {
				name, _, _ := strings.Cut(sc.Text(), ",")
				if strings.HasSuffix(name, ".py") && !strings.HasPrefix(name, "..") &&
					!strings.Contains(name, "_vendor") && !strings.Contains(name, "_distutils") {
					src.files = append(src.files, filepath.Join(root, name))
				}
			}
			rec.Close()
			sources = append(sources, src)
		}
	}
	return sortSources(sources), nil
}

// npmExtensions are the JavaScript and TypeScript sources the javascript
// model reads.
var npmExtensions = []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".tsx"}

// npmSources lists the permissively licensed packages under node_modules
// roots and their JavaScript and TypeScript sources, sorted. Minified and
// bundled files (a line over 400 bytes) are left out.
func npmSources(roots []string) ([]source, error) {
	var sources []source
	for _, root := range roots {
		manifests, _ := filepath.Glob(filepath.Join(root, "*", "package.json"))
		scoped, _ := filepath.Glob(filepath.Join(root, "@*", "*", "package.json"))
		for _, manifest := range append(manifests, scoped...) {
			dir := filepath.Dir(manifest)
			if !npmLicensed(manifest) {
				continue
			}
			rel, _ := filepath.Rel(root, dir)
			src := source{name: filepath.ToSlash(rel)}
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() && p != dir && (d.Name() == "node_modules" || d.Name() == "test" || d.Name() == "tests") {
					return filepath.SkipDir
				}
				if d.Type().IsRegular() && slices.ContainsFunc(npmExtensions, func(ext string) bool { return strings.HasSuffix(p, ext) }) &&
					!strings.HasSuffix(p, ".min.js") && !minified(p) {
					src.files = append(src.files, p)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			sources = append(sources, src)
		}
	}
	return sortSources(sources), nil
}

// npmLicense matches a permissive SPDX licence in package.json.
var npmLicense = regexp.MustCompile(`"license"\s*:\s*"\(?(MIT|ISC|BSD-2-Clause|BSD-3-Clause|Apache-2.0|0BSD)\b`)

func npmLicensed(manifest string) bool {
	data, err := os.ReadFile(manifest)
	return err == nil && npmLicense.Match(data)
}

// minified reports whether a file has a line longer than 400 bytes.
func minified(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return true
	}
	for line := range strings.Lines(string(data)) {
		if len(line) > 400 {
			return true
		}
	}
	return false
}
