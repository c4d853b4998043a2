package room

import (
	"slices"
	"testing"
	"time"

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

func TestRefineBudget(t *testing.T) {
	var unbounded *refineBudget // the step-by-step simulations: every code may take seedRefineTime
	if got := unbounded.limit(); got != seedRefineTime {
		t.Errorf("without a budget: %v, want %v", got, seedRefineTime)
	}
	r := newRefineBudget()
	if got := r.limit(); got != seedRefineTime {
		t.Errorf("at first: %v, want %v", got, seedRefineTime)
	}
	r.spent(seedRefineBurst + time.Second) // crafted codes, each reaching its bound
	if got := r.limit(); got != seedRefineFloor {
		t.Errorf("spent: %v, want %v", got, seedRefineFloor)
	}
	r.at = r.at.Add(-time.Minute) // a minute later
	if got := r.limit(); got != seedRefineTime {
		t.Errorf("a minute later: %v, want %v", got, seedRefineTime)
	}
}
