package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// memoryHierarchy is where cgroup v1 mounts its memory controller.
const memoryHierarchy = "/sys/fs/cgroup/memory"

// newCgroups makes the memory cgroup that runs' cgroups go in, one for every server on the
// machine (a run's is named by its uid, which no two runs share), and returns its path; ""
// where it cannot (no cgroup v1 memory controller, or not writable): then runs have
// per-process limits only.
func newCgroups() string {
	if _, err := os.Stat(filepath.Join(memoryHierarchy, "memory.limit_in_bytes")); err != nil {
		return ""
	}
	dir := filepath.Join(memoryHierarchy, "pairpad-sandbox")
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return ""
	}
	return dir
}

// cgroup makes the memory cgroup of a run as uid, limited to Limits.Memory, and returns the
// file that moves a process into it (writable by uid) and the function that removes it once
// the run's processes are gone.
func (s *Sandbox) cgroup(uid int) (procs string, remove func(), err error) {
	dir := filepath.Join(s.cgroups, "run-"+strconv.Itoa(uid))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", nil, fmt.Errorf("sandbox: memory cgroup: %w", err)
	}
	remove = func() {
		// The kernel lets a cgroup go once its last process has been reaped, a moment after.
		for range 50 {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	limit := []byte(strconv.FormatInt(s.limits.Memory, 10))
	procs = filepath.Join(dir, "cgroup.procs")
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), limit, 0); err != nil {
		remove()
		return "", nil, fmt.Errorf("sandbox: memory cgroup: %w", err)
	}
	if err := os.Chown(procs, uid, uid); err != nil {
		remove()
		return "", nil, fmt.Errorf("sandbox: memory cgroup: %w", err)
	}
	return procs, remove, nil
}
