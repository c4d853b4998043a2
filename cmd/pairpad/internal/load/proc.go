package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// usage is a process's CPU time and resident memory at one moment.
type usage struct {
	at  time.Time
	cpu time.Duration // user + system
	rss int64         // bytes
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ, 100 on every Linux
// architecture Go runs on (sysconf(_SC_CLK_TCK) reports it; Go cannot call sysconf without cgo).
const userHZ = 100

// processUsage reads the CPU time and resident memory of process pid from /proc (Linux).
func processUsage(pid int) (usage, error) {
	u := usage{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces: count from after it.
	fields := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
	if len(fields) < 13 {
		return usage{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return usage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	u.cpu = time.Duration(ticks) * time.Second / userHZ
	u.rss, err = residentBytes(fmt.Sprintf("/proc/%d/statm", pid))
	return u, err
}

// selfUsage reads this process's CPU time (getrusage) and resident memory.
func selfUsage() (usage, error) {
	u := usage{at: time.Now()}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}, err
	}
	u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var err error
	u.rss, err = residentBytes("/proc/self/statm")
	return u, err
}

// residentBytes reads the resident set size from a statm file: its second field, in pages.
func residentBytes(statm string) (int64, error) {
	b, err := os.ReadFile(statm)
	if err != nil {
		return 0, err
	}
	fields := bytes.Fields(b)
	if len(fields) < 2 {
		return 0, fmt.Errorf("%s: %d fields", statm, len(fields))
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", statm, err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// cores is the CPU used between two samples, in cores.
func cores(from, to usage) float64 {
	wall := to.at.Sub(from.at)
	if wall <= 0 {
		return 0
	}
	return float64(to.cpu-from.cpu) / float64(wall)
}
