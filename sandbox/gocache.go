package sandbox

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Go compiles its standard library into a build cache: about 16 s of CPU on a 2-core machine
// for fmt and its kind, too long for a run. So the server builds a cache of the packages most
// programs use once (warmGoCache, in the background; Go is runnable once it is done), and each
// run gets a cache of its own made of hard links to it (goRunCache): its files are root's and
// read-only, so a run can add to its copy but never change what another run's build reads.

// goRoot is the Go toolchain runs use, bound read-only at the same path.
const goRoot = "/usr/local/go"

// goEnv is the environment of the go command, in the sandbox and when warming the cache: the
// cache keys depend on it.
var goEnv = []string{"GOCACHE=/gocache", "GOPATH=/box/go", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOPROXY=off",
	"GOTELEMETRY=off", "GOFLAGS=-trimpath", "GO111MODULE=off"}

// goWarm imports what the cache is warmed with.
const goWarm = `package main

import (
	_ "bufio"
	_ "bytes"
	_ "container/heap"
	_ "container/list"
	_ "errors"
	_ "fmt"
	_ "maps"
	_ "math"
	_ "math/big"
	_ "math/rand"
	_ "os"
	_ "regexp"
	_ "slices"
	_ "sort"
	_ "strconv"
	_ "strings"
	_ "sync"
	_ "time"
	_ "unicode"
)

func main() {}
`

// goCacheDir is the shared, warmed cache: one per Go version, for every server on the machine.
func goCacheDir() string {
	v, _ := os.ReadFile(filepath.Join(goRoot, "VERSION"))
	version, _, _ := strings.Cut(string(v), "\n")
	return filepath.Join(os.TempDir(), "pairpad-gocache-"+strings.TrimSpace(version))
}

// warmGoCache builds the packages of goWarm into the shared cache, under a lock that other
// servers wait for, unless it is built already; it returns the cache's directory.
func warmGoCache(ctx context.Context) (string, error) {
	dir := goCacheDir()
	if _, err := os.Stat(filepath.Join(dir, "warm")); err == nil {
		return dir, nil
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "warm")); err == nil {
		return dir, nil // another server warmed it while this one waited
	}
	work, err := os.MkdirTemp("", "pairpad-gowarm-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := os.WriteFile(filepath.Join(work, "main.go"), []byte(goWarm), 0o644); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(goRoot, "bin", "go"), "build", "-o", os.DevNull, "main.go")
	cmd.Dir = work
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + work, "GOPATH=" + filepath.Join(work, "go"), "GOCACHE=" + dir}
	for _, kv := range goEnv {
		if !strings.HasPrefix(kv, "GOCACHE=") && !strings.HasPrefix(kv, "GOPATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("sandbox: warm the Go build cache: %v: %s", err, out)
	}
	// Read-only for runs: their hard links share these files.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chmod(path, 0o444)
	})
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "warm"), nil, 0o444)
}

// goRunCache makes a run's cache, in a new directory next to the shared one (hard links need
// one file system) owned by uid, and returns it and the function that removes it.
func goRunCache(shared string, uid int) (string, func(), error) {
	dir, err := os.MkdirTemp(filepath.Dir(shared), "pairpad-gorun-")
	if err != nil {
		return "", nil, err
	}
	remove := func() { os.RemoveAll(dir) }
	err = filepath.WalkDir(shared, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(shared, path)
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			if rel != "." {
				if err := os.Mkdir(target, 0o755); err != nil {
					return err
				}
			}
			return os.Chown(target, uid, uid)
		}
		return os.Link(path, target)
	})
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("sandbox: the run's Go build cache: %w", err)
	}
	return dir, remove, nil
}
