package crdt

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// legacyEdit is an edit made to a version, as a whole-text client makes them.
type legacyEdit struct {
	insertAt int
	insert   string
	deleteAt int
	delete   int
}

func TestVersionEditsKeepConcurrentWork(t *testing.T) {
	for _, tc := range []struct {
		name       string
		concurrent func(tx *Transaction, x *Text) error // another peer's edit after the version was taken
		edit       legacyEdit
		want       string
	}{
		{
			name:       "append after a concurrent insert",
			concurrent: func(tx *Transaction, x *Text) error { return x.Insert(tx, 6, "big ") },
			edit:       legacyEdit{insertAt: 11, insert: "!"},
			want:       "hello big world!",
		},
		{
			name:       "delete a word another peer typed into",
			concurrent: func(tx *Transaction, x *Text) error { return x.Insert(tx, 8, "X") },
			edit:       legacyEdit{deleteAt: 6, delete: 5},
			want:       "hello X",
		},
		{
			name:       "delete what another peer deleted already",
			concurrent: func(tx *Transaction, x *Text) error { return x.Delete(tx, 0, 6) },
			edit:       legacyEdit{deleteAt: 0, delete: 1, insertAt: 11, insert: "."},
			want:       "world.",
		},
		{
			// Same origins: as in Yjs, the lower client id (the server's, 1) goes first.
			name:       "insert at the same place as another peer",
			concurrent: func(tx *Transaction, x *Text) error { return x.Insert(tx, 5, ",") },
			edit:       legacyEdit{insertAt: 5, insert: "!"},
			want:       "hello!, world",
		},
		{
			name:       "insert at the start",
			concurrent: func(tx *Transaction, x *Text) error { return x.Insert(tx, 11, "?") },
			edit:       legacyEdit{insertAt: 0, insert: "> "},
			want:       "> hello world?",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, _ := NewDoc(Options{ClientID: 1})
			text, _ := server.GetText("code")
			mustTransact(t, server, func(tx *Transaction) error { return text.Insert(tx, 0, "hello world") })
			v := text.Version()

			// Another peer edits through the CRDT, and its update reaches the server first.
			peer, _ := NewDoc(Options{ClientID: 2})
			state, _ := server.EncodeStateAsUpdate(nil)
			peer.ApplyUpdate(state)
			peerText, _ := peer.GetText("code")
			if err := server.ApplyUpdate(mustTransact(t, peer, func(tx *Transaction) error { return tc.concurrent(tx, peerText) })); err != nil {
				t.Fatal(err)
			}

			fromLegacy := mustTransact(t, server, func(tx *Transaction) error {
				if tc.edit.delete > 0 {
					if err := text.DeleteAt(tx, v, tc.edit.deleteAt, tc.edit.delete); err != nil {
						return err
					}
				}
				if tc.edit.insert != "" {
					return text.InsertAt(tx, v, tc.edit.insertAt, tc.edit.insert)
				}
				return nil
			})
			if got := text.String(); got != tc.want {
				t.Errorf("server text = %q, want %q", got, tc.want)
			}
			// The peer converges on the same text from the server's update.
			if err := peer.ApplyUpdate(fromLegacy); err != nil {
				t.Fatal(err)
			}
			if got := peerText.String(); got != tc.want {
				t.Errorf("peer text = %q, want %q", got, tc.want)
			}
		})
	}
}

// A legacy client appends lines to stale versions while peers type: every line and every
// character typed survives exactly once.
func TestVersionAppendsFromStaleVersions(t *testing.T) {
	server, _ := NewDoc(Options{ClientID: 1})
	text, _ := server.GetText("code")
	peer, _ := NewDoc(Options{ClientID: 2})
	peerText, _ := peer.GetText("code")
	var versions []*TextVersion
	for i := range 50 {
		versions = append(versions, text.Version())
		update := mustTransact(t, peer, func(tx *Transaction) error { return peerText.Insert(tx, peerText.Len(), "p") })
		if err := server.ApplyUpdate(update); err != nil {
			t.Fatal(err)
		}
		// The legacy client's base lags two versions behind.
		base := versions[max(0, len(versions)-3)]
		line := "\nline" + string(rune('A'+i%26))
		fromLegacy := mustTransact(t, server, func(tx *Transaction) error { return text.InsertAt(tx, base, base.Len(), line) })
		if err := peer.ApplyUpdate(fromLegacy); err != nil {
			t.Fatal(err)
		}
	}
	got := text.String()
	if n := strings.Count(got, "p"); n != 50 {
		t.Errorf("%d of 50 characters typed by the peer survive in %q", n, got)
	}
	if n := strings.Count(got, "\nline"); n != 50 {
		t.Errorf("%d of 50 lines survive in %q", n, got)
	}
	if peerText.String() != got {
		t.Errorf("peer and server differ:\n%q\n%q", peerText.String(), got)
	}
}

func TestVersionRejectsOutOfRange(t *testing.T) {
	doc, _ := NewDoc(Options{ClientID: 1})
	text, _ := doc.GetText("code")
	mustTransact(t, doc, func(tx *Transaction) error { return text.Insert(tx, 0, "abc") })
	v := text.Version()
	update, err := doc.Transact(func(tx *Transaction) error {
		if err := text.InsertAt(tx, v, 4, "x"); err == nil {
			t.Error("InsertAt past the end: no error")
		}
		return text.DeleteAt(tx, v, 2, 2)
	})
	if !errors.Is(err, ErrIndexOutOfRange) || update != nil {
		t.Errorf("DeleteAt past the end: Transact = %v, %v; want no update and ErrIndexOutOfRange", update, err)
	}
	if got := text.String(); got != "abc" {
		t.Errorf("text = %q after rejected edits", got)
	}
}

// TestVersionLacking: the stretches of a version that an older version lacks are what was
// typed since, and those a newer one lacks what was deleted since.
func TestVersionLacking(t *testing.T) {
	doc, err := NewDoc(Options{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := doc.GetText("code")
	edit := func(fn func(tx *Transaction) error) {
		t.Helper()
		if _, err := doc.Transact(fn); err != nil {
			t.Fatal(err)
		}
	}
	edit(func(tx *Transaction) error { return x.Insert(tx, 0, "abcdef") })
	old := x.Version()
	edit(func(tx *Transaction) error { return x.Insert(tx, 3, "XY") }) // abcXYdef
	edit(func(tx *Transaction) error { return x.Insert(tx, 8, "Z") })  // abcXYdefZ
	edit(func(tx *Transaction) error { return x.Delete(tx, 0, 1) })    // bcXYdefZ
	now := x.Version()
	lacking := func(v, w *TextVersion, from, to int) (got []string) {
		v.Lacking(w, [][2]int{{from, to}}, func(from, to int) { got = append(got, v.String()[from:to]) })
		return got
	}
	for _, tc := range []struct {
		name     string
		v, w     *TextVersion
		from, to int
		want     []string
	}{
		{"typed since", now, old, 0, now.Len(), []string{"XY", "Z"}},
		{"typed since, from the middle", now, old, 3, 7, []string{"Y"}},
		{"deleted since", old, now, 0, old.Len(), []string{"a"}},
		{"nothing", old, old, 0, old.Len(), nil},
		{"out of range", now, old, 7, 100, []string{"Z"}},
		{"empty", now, old, 4, 4, nil},
	} {
		if got := lacking(tc.v, tc.w, tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	var got []string
	now.Lacking(old, [][2]int{{0, 2}, {3, 5}, {6, 8}}, func(from, to int) { got = append(got, now.String()[from:to]) })
	if want := []string{"Y", "Z"}; !slices.Equal(got, want) {
		t.Errorf("several spans: %q, want %q", got, want)
	}
}
