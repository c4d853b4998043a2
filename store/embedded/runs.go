package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pairpad/pairpad/store"
)

// bucketRuns is a room's bucket of runs, in its bucket of "rooms": made by its first SaveRun,
// so that stores written before runs existed need no new layout.
var bucketRuns = []byte("runs")

// runRecord is a run as a runs bucket keeps it, in JSON.
type runRecord struct {
	ID        string    `json:"id"`
	Language  string    `json:"language"`
	StartedBy string    `json:"startedBy"`
	StartedAt time.Time `json:"startedAt"`
	Duration  int64     `json:"duration"` // nanoseconds
	ExitCode  int       `json:"exitCode"`
	// Output need not be text: as bytes, JSON keeps it exactly (base64).
	Stdout    []byte `json:"stdout"`
	Stderr    []byte `json:"stderr"`
	TimedOut  bool   `json:"timedOut"`
	Truncated bool   `json:"truncated"`
}

// SaveRun puts run under the bucket's next sequence number, so that keys sort in save order,
// after deleting the room's run with the same id, then deletes the oldest past keep.
func (s *Store) SaveRun(ctx context.Context, id string, run store.Run, keep int) error {
	if err := store.CheckRun(run); err != nil {
		return err
	}
	if keep < 1 {
		return fmt.Errorf("store/embedded: save run: keep %d is not positive", keep)
	}
	rec, err := json.Marshal(runRecord{ID: run.ID, Language: run.Language, StartedBy: run.StartedBy,
		StartedAt: run.StartedAt.UTC().Truncate(time.Microsecond), Duration: int64(run.Duration), ExitCode: run.ExitCode,
		Stdout: []byte(run.Stdout), Stderr: []byte(run.Stderr), TimedOut: run.TimedOut, Truncated: run.Truncated})
	if err == nil {
		err = s.write(ctx, func(tx *bolt.Tx) (func(), error) {
			b, err := roomBucket(tx, id)
			if err != nil {
				return nil, err
			}
			runs, err := b.CreateBucketIfNotExists(bucketRuns)
			if err != nil {
				return nil, err
			}
			return func() {}, saveRun(runs, run.ID, rec, keep)
		})
	}
	if err != nil {
		return fmt.Errorf("store/embedded: save run of room %q: %w", id, err)
	}
	return nil
}

func saveRun(runs *bolt.Bucket, runID string, rec []byte, keep int) error {
	var keys [][]byte
	c := runs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var r runRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: run %x: %v", errCorrupt, k, err)
		}
		if r.ID != runID {
			keys = append(keys, k)
		} else if err := runs.Delete(k); err != nil {
			return err
		}
	}
	seq, err := runs.NextSequence()
	if err != nil {
		return err
	}
	if err := runs.Put(seqKey(seq), rec); err != nil {
		return err
	}
	for _, k := range keys[:max(0, len(keys)+1-keep)] {
		if err := runs.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Runs reads the room's runs bucket from its last key back.
func (s *Store) Runs(ctx context.Context, id string, limit int) ([]store.Run, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store/embedded: runs of room %q: limit %d is not positive", id, limit)
	}
	var out []store.Run
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := roomBucket(tx, id)
		if err != nil {
			return err
		}
		runs := b.Bucket(bucketRuns)
		if runs == nil {
			return nil
		}
		c := runs.Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var r runRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: run %x: %v", errCorrupt, k, err)
			}
			out = append(out, store.Run{ID: r.ID, Language: r.Language, StartedBy: r.StartedBy, StartedAt: r.StartedAt.UTC(),
				Duration: time.Duration(r.Duration), ExitCode: r.ExitCode, Stdout: string(r.Stdout), Stderr: string(r.Stderr),
				TimedOut: r.TimedOut, Truncated: r.Truncated})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store/embedded: runs of room %q: %w", id, err)
	}
	return out, nil
}
