// Package traces loads recorded editing traces (../shared/traces) and replays them on a crdt.Doc,
// for benchmarks and tests of any package.
package traces

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pairpad/pairpad/crdt"
)

// Patch replaces Del UTF-16 units at Pos with Ins.
type Patch struct {
	Pos, Del int
	Ins      string
}

// Trace is a recorded editing session.
type Trace struct {
	Name       string
	EndContent string
	Patches    []Patch
}

// Load reads a gzip-compressed trace file.
func Load(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw struct {
		StartContent string `json:"startContent"`
		EndContent   string `json:"endContent"`
		Txns         []struct {
			Patches [][3]json.RawMessage `json:"patches"`
		} `json:"txns"`
	}
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if raw.StartContent != "" {
		return nil, fmt.Errorf("%s: non-empty startContent is not supported", path)
	}
	tr := &Trace{Name: strings.TrimSuffix(filepath.Base(path), ".json.gz"), EndContent: raw.EndContent}
	for _, txn := range raw.Txns {
		for _, p := range txn.Patches {
			var patch Patch
			if err := json.Unmarshal(p[0], &patch.Pos); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(p[1], &patch.Del); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(p[2], &patch.Ins); err != nil {
				return nil, err
			}
			tr.Patches = append(tr.Patches, patch)
		}
	}
	return tr, nil
}

// ClientID is the client id of the replaying document, the same as the yjs benchmark's.
const ClientID = 1

// Replay applies every patch as a local edit, one transaction per patch, as a typing client
// does, and returns the document and the total size of the updates the transactions produced.
func Replay(tr *Trace) (*crdt.Doc, int, error) {
	updateBytes := 0
	doc, err := ReplayFunc(tr, func(update []byte) { updateBytes += len(update) })
	return doc, updateBytes, err
}

// ReplayFunc is Replay calling onUpdate with each transaction's update.
func ReplayFunc(tr *Trace, onUpdate func(update []byte)) (*crdt.Doc, error) {
	doc, err := crdt.NewDoc(crdt.Options{ClientID: ClientID})
	if err != nil {
		return nil, err
	}
	text, err := doc.GetText("text")
	if err != nil {
		return nil, err
	}
	return doc, ReplayInto(tr, doc, text, onUpdate)
}

// ReplayInto applies every patch to text, a root of doc, one transaction per patch, and calls
// onUpdate with each transaction's update.
func ReplayInto(tr *Trace, doc *crdt.Doc, text *crdt.Text, onUpdate func(update []byte)) error {
	for i, p := range tr.Patches {
		update, err := doc.Transact(func(tx *crdt.Transaction) error {
			if p.Del > 0 {
				if err := text.Delete(tx, p.Pos, p.Del); err != nil {
					return err
				}
			}
			if p.Ins != "" {
				return text.Insert(tx, p.Pos, p.Ins)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: patch %d: %w", tr.Name, i, err)
		}
		if update != nil {
			onUpdate(update)
		}
	}
	return nil
}

// CheckText reports whether doc's text equals the trace's final content.
func CheckText(tr *Trace, doc *crdt.Doc) error {
	text, err := doc.GetText("text")
	if err != nil {
		return err
	}
	if got := text.String(); got != tr.EndContent {
		return fmt.Errorf("%s: text mismatch: got %d bytes, want %d", tr.Name, len(got), len(tr.EndContent))
	}
	return nil
}
