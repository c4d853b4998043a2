// Package corpus samples completion tasks from real code on this machine:
// the Go and Python standard libraries. A task is a cursor inside a line with
// the rest of that line hidden. The evaluation (completion/eval) and the
// calibration of the built-in engine's confidence both draw from it.
package corpus

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pairpad/pairpad/internal/utf16x"
)

// Extensions are the source file extensions sampled per language.
var Extensions = map[string]string{"go": ".go", "python": ".py"}

// DefaultRoots returns the standard libraries found on this machine: Go's
// under GOROOT/src, and the newest Python 3 under /usr/lib (else one under
// ~/.pyenv). A language whose library is missing is left out.
func DefaultRoots() map[string][]string {
	roots := map[string][]string{}
	if dir := filepath.Join(goroot(), "src"); isDir(dir) {
		roots["go"] = []string{dir}
	}
	if dir := pythonRoot(); dir != "" {
		roots["python"] = []string{dir}
	}
	return roots
}

// goroot asks the go command, which knows where the toolchain lives; "" if there is none.
func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func pythonRoot() string {
	for _, pattern := range []string{"/usr/lib/python3.*", "/usr/local/lib/python3.*", os.ExpandEnv("$HOME/.pyenv/versions/*/lib/python3.*")} {
		dirs, _ := filepath.Glob(pattern)
		// Newest first: compare the minor version numerically (3.12 after 3.9).
		slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(pyMinor(b), pyMinor(a)) })
		for _, d := range dirs {
			if pyMinor(d) >= 0 && isDir(filepath.Join(d, "json")) { // a stdlib, not just dist-packages
				return d
			}
		}
	}
	return ""
}

// pyMinor returns N for a directory named python3.N, else -1.
func pyMinor(dir string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "python3."))
	if err != nil {
		return -1
	}
	return n
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Sample is one cursor position: Code is the file with the rest of the
// cursor's line removed, Cursor counts UTF-16 units, Hidden is what was
// removed.
type Sample struct {
	Code   string
	Cursor int // UTF-16 units
	Hidden string
	// License is set when the cursor is in the copyright and licence
	// notice that opens the file: boilerplate every file repeats.
	License bool
}

// ListFiles returns the sorted paths of the files under roots that end in ext
// and are at most maxBytes long. testdata directories are skipped: they hold
// deliberately odd inputs, not code people write.
func ListFiles(roots []string, ext string, maxBytes int64) ([]string, error) {
	var files []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && (d.Name() == "testdata" || d.Name() == "site-packages" || d.Name() == "dist-packages") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasSuffix(p, ext) {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if fi.Size() > 0 && fi.Size() <= maxBytes {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("eval: listing %s: %w", root, err)
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// Draw picks n positions: a seeded file, then a seeded candidate
// position in it (see Positions). The generator depends on seed and lang only.
func Draw(seed int64, lang string, files []string, n int) ([]Sample, error) {
	return DrawAt(seed, lang, files, n, Positions)
}

// DrawAt is Draw with the candidate positions of a file given by where.
func DrawAt(seed int64, lang string, files []string, n int, where func(text string) []int) ([]Sample, error) {
	h := fnv.New64a()
	h.Write([]byte(lang))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	out := make([]Sample, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries > 20*n+100 {
			return nil, fmt.Errorf("eval: found only %d usable %s positions", len(out), lang)
		}
		path := files[rng.IntN(len(files))]
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		text := string(b)
		if !utf8.ValidString(text) {
			continue
		}
		pos := where(text)
		if len(pos) == 0 {
			continue
		}
		out = append(out, Cut(text, pos[rng.IntN(len(pos))]))
	}
	return out, nil
}

// LineStarts returns the byte offsets where a cursor may be sampled at the
// start of a line: after the indentation of a non-blank line that is not the
// file's first, so that the whole line is hidden.
func LineStarts(text string) []int {
	var out []int
	off := 0
	for line := range strings.Lines(text) {
		if indent := len(line) - len(strings.TrimLeft(line, " \t")); off > 0 && strings.TrimSpace(line) != "" {
			out = append(out, off+indent)
		}
		off += len(line)
	}
	return out
}

// Positions returns the byte offsets where a cursor may be sampled: inside a
// non-blank line, after its first non-space character, and before its last
// one (so some non-space text is hidden), at a character boundary.
func Positions(text string) []int {
	var out []int
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		lo := len(line) - len(strings.TrimLeft(line, " \t"))
		hi := len(strings.TrimRight(line, " \t\r"))
		for i := lo + 1; i < hi; i++ {
			if utf8.RuneStart(line[i]) {
				out = append(out, start+i)
			}
		}
		start = end + 1
	}
	return out
}

// Cut removes the rest of the line after byte offset off (keeping its line
// break). Trailing white space is removed with it but is not part of hidden:
// nobody types it, so no engine is asked to save it.
func Cut(text string, off int) Sample {
	end := strings.IndexByte(text[off:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += off
	}
	removed := strings.TrimSuffix(text[off:end], "\r")
	return Sample{
		Code:    text[:off] + text[off+len(removed):],
		Cursor:  utf16x.Len(text[:off]),
		Hidden:  strings.TrimRight(removed, " \t"),
		License: off < licenseHeaderEnd(text),
	}
}

// licenseHeaderEnd returns where the comment lines at the start of text end
// when they hold a copyright or licence notice, else 0.
func licenseHeaderEnd(text string) int {
	end := 0
	for line := range strings.Lines(text) {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "#") &&
			!strings.HasPrefix(t, "/*") && !strings.HasPrefix(t, "*") {
			break
		}
		end += len(line)
	}
	notice := strings.ToLower(text[:end])
	if !strings.Contains(notice, "copyright") && !strings.Contains(notice, "license") {
		return 0
	}
	return end
}
