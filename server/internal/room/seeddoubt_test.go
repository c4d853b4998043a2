package room

import (
	"slices"
	"testing"

	"github.com/pairpad/pairpad/crdt"
)

func TestAppendDeletion(t *testing.T) {
	del := func(s string) crdt.VersionEdit { return crdt.VersionEdit{Op: crdt.EditDelete, Text: s} }
	omit := func(s string) crdt.VersionEdit { return crdt.VersionEdit{Op: crdt.EditOmit, Text: s} }
	for _, tc := range []struct {
		name     string
		pos      int
		doubtful [][2]int
		want     []crdt.VersionEdit
	}{
		{"none in doubt", 10, [][2]int{{0, 10}, {15, 20}}, []crdt.VersionEdit{del("a😀bc")}},
		{"all in doubt", 10, [][2]int{{5, 30}}, []crdt.VersionEdit{omit("a😀bc")}},
		{"a surrogate pair by its first unit", 10, [][2]int{{11, 12}}, []crdt.VersionEdit{del("a"), omit("😀"), del("bc")}},
		{"its second unit alone", 10, [][2]int{{12, 13}}, []crdt.VersionEdit{del("a😀bc")}},
		{"two spans", 0, [][2]int{{0, 1}, {4, 5}}, []crdt.VersionEdit{omit("a"), del("😀b"), omit("c")}},
	} {
		if got := appendDeletion(nil, "a😀bc", tc.pos, tc.doubtful); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
