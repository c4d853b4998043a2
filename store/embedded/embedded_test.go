package embedded_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/pairpad/pairpad/store"
	"github.com/pairpad/pairpad/store/embedded"
	"github.com/pairpad/pairpad/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestDurable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data") // Open creates missing directories
	storetest.RunDurable(t, func(t *testing.T) store.Store { return open(t, dir) })
}

func BenchmarkAppend(b *testing.B) {
	storetest.BenchmarkAppend(b, func(b *testing.B) store.Store { return open(b, b.TempDir()) })
}

// TestOpenInUse checks that a second Open of a directory in use fails (after bbolt's lock
// timeout) instead of sharing the file.
func TestOpenInUse(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	if s, err := embedded.Open(dir); err == nil {
		s.Close()
		t.Fatal("second Open of a directory in use: err = nil, want an error")
	}
}

// TestLayout1 opens testdata/v1.db, a file in the layout the store wrote before entries had a
// time and a session (doc.go), holding storetest.OldRooms. The program testdata/genv1 wrote it
// with the store of commit cc9f3d4 ("git show cc9f3d4:store/embedded/testdata/genv1/main.go";
// a later commit deleted it, as today's store has no language to set).
func TestLayout1(t *testing.T) {
	dir := t.TempDir()
	v1, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, embedded.FileName), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	storetest.RunUpgrade(t, func(t *testing.T) store.Store { return open(t, dir) })
	checkNoLanguage(t, dir)
}

// checkNoLanguage checks that no room in the file in dir has a language key left.
func checkNoLanguage(t *testing.T, dir string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		rooms := tx.Bucket([]byte("rooms"))
		return rooms.ForEachBucket(func(id []byte) error {
			if v := rooms.Bucket(id).Get([]byte("language")); v != nil {
				t.Errorf("room %q still has a language key (%q)", id, v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNewerLayout checks that Open refuses a file of a layout it does not know, rather than
// reading it wrong.
func TestNewerLayout(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, embedded.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("rooms")); err != nil {
			return err
		}
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return meta.Put([]byte("layout"), binary.BigEndian.AppendUint64(nil, 99))
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a file of layout 99: err = nil, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a file of layout 99: err = %v, want one that says a newer pairpad wrote it", err)
	}
}

// crashDirEnv, when set, makes TestCrashChild append to the store in that directory until it
// is killed.
const crashDirEnv = "PAIRPAD_EMBEDDED_CRASH_DIR"

// TestCrash kills a process that is appending (SIGKILL, no chance to close the store) and
// checks that every Append it saw succeed is in the store after reopening, with contiguous seqs.
func TestCrash(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child prints the seq of every Append that returned nil.
	var acked uint64
	lines := bufio.NewScanner(stdout)
	for acked < 200 && lines.Scan() {
		if seq, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			if acked, err = strconv.ParseUint(seq, 10, 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if acked < 200 {
		t.Fatalf("the child stopped after %d appends: %v", acked, lines.Err())
	}

	s := open(t, dir)
	_, log, err := s.Load(t.Context(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(log)) < acked {
		t.Fatalf("after the crash the log has %d entries, want at least the %d acknowledged", len(log), acked)
	}
	for i, e := range log {
		if want := crashUpdate(uint64(i + 1)); e.Seq != uint64(i+1) || string(e.Update) != want || e.Session != "crash" {
			t.Fatalf("entry %d = {%d %q %q}, want {%d %q \"crash\"}", i, e.Seq, e.Update, e.Session, i+1, want)
		}
	}
	// The store still takes writes where the log left off.
	if got, err := s.Append(t.Context(), "crash", []store.Entry{{Update: []byte("after")}}); err != nil || got != uint64(len(log))+1 {
		t.Fatalf("Append after the crash = %d, %v; want %d", got, err, len(log)+1)
	}
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	s, err := embedded.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.CreateRoom(ctx, store.Room{ID: "crash", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // stop by itself if the parent never kills it
	for seq := uint64(1); time.Now().Before(deadline); seq++ {
		if _, err := s.Append(ctx, "crash", []store.Entry{{Update: []byte(crashUpdate(seq)), Time: time.Now(), Session: "crash"}}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("acked %d\n", seq)
	}
	t.Fatal("not killed within a minute")
}

func crashUpdate(seq uint64) string { return fmt.Sprintf("update %d", seq) }

func open(tb testing.TB, dir string) *embedded.Store {
	tb.Helper()
	s, err := embedded.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
