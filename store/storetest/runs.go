package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/store"
)

// runsTests are the subtests of store.Runs, part of Run.
var runsTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"RunsRoundTrip", testRunsRoundTrip},
	{"RunsKeep", testRunsKeep},
	{"RunsReplace", testRunsReplace},
	{"RunsRefused", testRunsRefused},
	{"RunsNotFound", testRunsNotFound},
	{"RunsDeletedRoom", testRunsDeletedRoom},
	{"RunsConcurrent", testRunsConcurrent},
}

// newRun returns a run with every field set, id and output from n.
func newRun(n int) store.Run {
	return store.Run{
		ID: fmt.Sprintf("run-%d", n), Language: "python", StartedBy: "Ada Lovelace ✓",
		StartedAt: time.Date(2026, 12, 2, 19, 30, n, 123_456_000, time.UTC), Duration: 1234567 * time.Microsecond,
		ExitCode: 3 + n, Stdout: fmt.Sprintf("out %d\n\x00é\xff", n), Stderr: "err\n", TimedOut: n%2 == 0, Truncated: n%3 == 0,
	}
}

func mustSaveRun(t *testing.T, s store.Store, id string, run store.Run, keep int) {
	t.Helper()
	if err := s.SaveRun(t.Context(), id, run, keep); err != nil {
		t.Fatalf("SaveRun(%q, %q): %v", id, run.ID, err)
	}
}

// runIDs returns the ids of room id's runs, newest first.
func runIDs(t *testing.T, s store.Store, id string, limit int) []string {
	t.Helper()
	runs, err := s.Runs(t.Context(), id, limit)
	if err != nil {
		t.Fatalf("Runs(%q): %v", id, err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

func testRunsRoundTrip(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "a", CreatedAt: created}, nil)
	mustCreate(t, s, store.Room{ID: "b", CreatedAt: created}, nil)
	if ids := runIDs(t, s, "a", 10); len(ids) != 0 {
		t.Errorf("a new room has runs %v", ids)
	}
	for n := range 3 {
		mustSaveRun(t, s, "a", newRun(n), 10)
	}
	mustSaveRun(t, s, "b", newRun(9), 10)
	got, err := s.Runs(t.Context(), "a", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Run{newRun(2), newRun(1), newRun(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs of a (-want +got):\n%s", diff)
	}
	if ids := runIDs(t, s, "a", 2); !cmp.Equal(ids, []string{"run-2", "run-1"}) {
		t.Errorf("the newest 2 runs of a: %v", ids)
	}
	if ids := runIDs(t, s, "b", 10); !cmp.Equal(ids, []string{"run-9"}) {
		t.Errorf("runs of b: %v", ids)
	}
	if _, err := s.Runs(t.Context(), "a", 0); err == nil {
		t.Error("Runs with limit 0 did not fail")
	}
}

func testRunsKeep(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	for n := range 7 {
		mustSaveRun(t, s, "r", newRun(n), 3)
	}
	if ids := runIDs(t, s, "r", 10); !cmp.Equal(ids, []string{"run-6", "run-5", "run-4"}) {
		t.Errorf("after 7 runs kept 3: %v", ids)
	}
	mustSaveRun(t, s, "r", newRun(7), 1)
	if ids := runIDs(t, s, "r", 10); !cmp.Equal(ids, []string{"run-7"}) {
		t.Errorf("kept 1: %v", ids)
	}
}

func testRunsReplace(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	for n := range 3 {
		mustSaveRun(t, s, "r", newRun(n), 3)
	}
	again := newRun(0)
	again.Stdout = "again"
	mustSaveRun(t, s, "r", again, 3)
	got, err := s.Runs(t.Context(), "r", 10)
	if err != nil || len(got) != 3 || got[0].ID != "run-0" || got[0].Stdout != "again" || got[1].ID != "run-2" || got[2].ID != "run-1" {
		t.Errorf("after saving run-0 again: %+v (%v)", got, err)
	}
}

func testRunsRefused(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	mustSaveRun(t, s, "r", newRun(1), 3)
	big := newRun(2)
	big.Stdout, big.Stderr = strings.Repeat("x", store.MaxRunOutput/2), strings.Repeat("y", store.MaxRunOutput/2+1)
	long := newRun(3)
	long.ID = strings.Repeat("i", store.MaxRunIDBytes+1)
	for name, run := range map[string]store.Run{"no id": {Language: "python"}, "a long id": long, "too much output": big} {
		if err := s.SaveRun(t.Context(), "r", run, 3); !errors.Is(err, store.ErrInvalidRun) {
			t.Errorf("SaveRun of a run with %s = %v, want ErrInvalidRun", name, err)
		}
	}
	if err := s.SaveRun(t.Context(), "r", newRun(4), 0); err == nil {
		t.Error("SaveRun keeping 0 did not fail")
	}
	if ids := runIDs(t, s, "r", 10); !cmp.Equal(ids, []string{"run-1"}) {
		t.Errorf("after refused saves: %v", ids)
	}
}

func testRunsNotFound(t *testing.T, s store.Store) {
	if err := s.SaveRun(t.Context(), "nope", newRun(1), 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SaveRun of an unknown room = %v, want ErrNotFound", err)
	}
	if _, err := s.Runs(t.Context(), "nope", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Runs of an unknown room = %v, want ErrNotFound", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	if err := s.SaveRun(ctx, "r", newRun(1), 3); err == nil {
		t.Error("SaveRun with a cancelled context did not fail")
	}
	if _, err := s.Runs(ctx, "r", 3); err == nil {
		t.Error("Runs with a cancelled context did not fail")
	}
}

func testRunsDeletedRoom(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	mustSaveRun(t, s, "r", newRun(1), 3)
	if err := s.DeleteRoom(t.Context(), "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Runs(t.Context(), "r", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Runs of a deleted room = %v, want ErrNotFound", err)
	}
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	if ids := runIDs(t, s, "r", 3); len(ids) != 0 {
		t.Errorf("a room created again with a deleted room's id has its runs %v", ids)
	}
}

func testRunsConcurrent(t *testing.T, s store.Store) {
	mustCreate(t, s, store.Room{ID: "r", CreatedAt: created}, nil)
	var wg sync.WaitGroup
	for n := range 20 {
		wg.Go(func() {
			if err := s.SaveRun(context.Background(), "r", newRun(n), 5); err != nil {
				t.Errorf("SaveRun %d: %v", n, err)
			}
		})
	}
	wg.Wait()
	if ids := runIDs(t, s, "r", 50); len(ids) != 5 {
		t.Errorf("20 concurrent saves keeping 5 left %d runs: %v", len(ids), ids)
	}
}
