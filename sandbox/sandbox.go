// Package sandbox runs untrusted code: a room's program, in the language of its room, inside
// Debian's bubblewrap (bwrap), with limits on what it may use.
//
// Each run is one bwrap process, which gives the program:
//   - namespaces of its own (user, PID, network, IPC, UTS, cgroup): no network at all, not even
//     loopback; /proc shows only the run's processes, so no other process's environment or
//     files; and it may not make user namespaces of its own (--disable-userns);
//   - a file system of only /usr (read-only: the toolchains), the few files of /etc they need,
//     a private /proc and /dev, and two small tmpfs, /box (its working directory, with the
//     source file) and /tmp, gone when the run ends. Nothing else of the host is there: not the
//     data directory, not the server's binary, not /root, not /etc/shadow, not other runs;
//   - a clean environment (PATH, HOME, LANG): none of the server's;
//   - a user of its own: the server must run as root, and runs each program as a uid of its
//     own, from a pool of poolSize uids that concurrent runs never share, at a random place
//     above firstUID, so that two servers on one machine (make cluster) do not share theirs.
//     That makes RLIMIT_NPROC, which the kernel counts per uid across the machine and never
//     applies to root, bound the run's processes without one run's fork bomb starving
//     another's;
//   - a memory cgroup of its own (cgroup v1, where the machine has its memory controller):
//     all the run's processes together get Limits.Memory; past it the kernel kills one;
//   - resource limits, set by prlimit(1) inside the sandbox on the compiler and the program:
//     CPU time (RLIMIT_CPU: SIGXCPU at the limit), data memory (RLIMIT_DATA, which counts the
//     private writable memory a process maps, not the address space it reserves, so that
//     runtimes that reserve much (Java, Node) start), processes and threads (RLIMIT_NPROC),
//     open files (RLIMIT_NOFILE) and the size of a file (RLIMIT_FSIZE); the tmpfs sizes bound
//     what it writes in all;
//   - a wall time for the whole run, past which the server kills bwrap, and with it (by
//     --die-with-parent and the PID namespace) every process of the run; a program's
//     background processes die with it too, as the namespace's init goes;
//   - an output limit: the server keeps Limits.Output bytes of stdout and stderr and kills the
//     run once it has printed 4 times that.
//
// The sandbox does not protect against a kernel exploit: the program talks to the host's
// kernel, with no seccomp filter beyond bwrap's. Nor against side channels (CPU caches,
// timing), or against using its CPU share for its wall time (runs share the host's cores; the
// server bounds how many run at once).
package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits bound one run. A zero field takes DefaultLimits' value.
type Limits struct {
	// CPUTime is the CPU time of the program, and again of its compiler.
	CPUTime time.Duration
	// WallTime is the wall time of the whole run, compiling included.
	WallTime time.Duration
	// Memory is the data memory of each process of the run (RLIMIT_DATA), in bytes.
	Memory int64
	// Processes is how many processes and threads the run may have at once.
	Processes int
	// OpenFiles is how many files each process may have open.
	OpenFiles int
	// FileSize is the largest file the run may write, in bytes.
	FileSize int64
	// Output is how many bytes of stdout and stderr a run keeps; the rest is dropped
	// (Result.Truncated), and a program that prints 4 times as much is killed.
	Output int64
}

// DefaultLimits are the limits of a zero Limits field.
var DefaultLimits = Limits{
	CPUTime:   5 * time.Second,
	WallTime:  10 * time.Second,
	Memory:    256 << 20,
	Processes: 64,
	OpenFiles: 64,
	FileSize:  16 << 20,
	Output:    64 << 10,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	l.CPUTime = orDefault(l.CPUTime, d.CPUTime)
	l.WallTime = orDefault(l.WallTime, d.WallTime)
	l.Memory = orDefault(l.Memory, d.Memory)
	l.Processes = orDefault(l.Processes, d.Processes)
	l.OpenFiles = orDefault(l.OpenFiles, d.OpenFiles)
	l.FileSize = orDefault(l.FileSize, d.FileSize)
	l.Output = orDefault(l.Output, d.Output)
	return l
}

// orDefault returns v, or d if v is not positive.
func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// Options configure a Sandbox.
type Options struct {
	Limits Limits
	// Bwrap is the path of bwrap (default: found in PATH).
	Bwrap string
}

// ErrUnavailable reports that code cannot run here: bwrap is missing or does not work, or the
// server cannot switch to the runs' users. Code never runs outside the sandbox.
var ErrUnavailable = errors.New("sandbox: unavailable")

// ErrNoToolchain reports a language this machine cannot run.
var ErrNoToolchain = errors.New("sandbox: no toolchain for the language")

// Sandbox runs programs. It is safe for concurrent use.
type Sandbox struct {
	bwrap  string
	limits Limits
	langs  map[string]toolchain
	uids   chan int // free users for runs
	// cgroups is where runs' memory cgroups go; "" where the machine has none to give.
	cgroups string
	// goCache is the warmed Go build cache, once it is (see warmGoCache); Go runs only then.
	goCache atomic.Pointer[string]
}

// Runs run as poolSize uids from a random multiple of poolSize above firstUID: a run takes
// one for its duration, and more concurrent runs than poolSize wait for one.
const (
	firstUID = 1 << 20
	poolSize = 64
)

// New checks that the sandbox works, by running a command in it, and finds the toolchains of
// this machine. It returns an error wrapping ErrUnavailable, which says what to do, when it
// cannot.
func New(opts Options) (*Sandbox, error) {
	bwrap := opts.Bwrap
	if bwrap == "" {
		var err error
		if bwrap, err = exec.LookPath("bwrap"); err != nil {
			return nil, fmt.Errorf("%w: bwrap is not installed (Debian: apt-get install bubblewrap)", ErrUnavailable)
		}
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: runs are run as users of their own, which only root can switch to; run pairpad as root to run code",
			ErrUnavailable)
	}
	s := &Sandbox{bwrap: bwrap, limits: opts.Limits.withDefaults(), langs: available(), uids: make(chan int, poolSize)}
	base := firstUID + rand.IntN(1<<20)*poolSize
	for i := range poolSize {
		s.uids <- base + i
	}
	s.cgroups = newCgroups()
	if _, ok := s.langs["go"]; ok {
		go func() {
			if dir, err := warmGoCache(context.Background()); err == nil {
				s.goCache.Store(&dir)
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, Request{Language: probe, Code: "echo ok"}, nil)
	if err != nil || res.ExitCode != 0 || res.Stdout != "ok\n" {
		return nil, fmt.Errorf("%w: %s cannot make a sandbox here (%v; exit code %d, stderr %q)", ErrUnavailable, bwrap, err, res.ExitCode, res.Stderr)
	}
	return s, nil
}

// Languages returns the ids of the languages (package language) this sandbox runs, sorted. Go
// joins them once its build cache is warm: at once after the first start on a machine, which
// takes about 20 s (warmGoCache).
func (s *Sandbox) Languages() []string {
	var ids []string
	for id := range s.langs {
		if _, ok := s.toolchain(id); ok && id != probe {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// toolchain returns the toolchain of language id, if this sandbox runs it now.
func (s *Sandbox) toolchain(id string) (toolchain, bool) {
	tc, ok := s.langs[id]
	if ok && tc.goCache && s.goCache.Load() == nil {
		return tc, false
	}
	return tc, ok
}

// Request is a program to run: its language's id, its source and its standard input.
type Request struct {
	Language, Code, Stdin string
}

// Stream tells stdout from stderr.
type Stream int

const (
	Stdout Stream = iota
	Stderr
)

// Result is how a run ended.
type Result struct {
	// ExitCode is the program's exit code, or its compiler's when compiling failed (Phase);
	// 128 + the signal's number when a signal killed it: by a limit (SIGXCPU, 152, for CPU
	// time; SIGKILL, 137, for wall time, output or a stop) or by itself.
	ExitCode       int
	Stdout, Stderr string
	Duration       time.Duration
	// TimedOut reports that the wall time or the CPU time ran out; Truncated that the output
	// went past Limits.Output.
	TimedOut, Truncated bool
	// Phase is "compile" when compiling failed, else "run".
	Phase string
}

// Run compiles req.Code if its language needs it, and runs it with req.Stdin, in the sandbox.
// It calls output, if not nil, with each chunk of output as it comes (one call at a time, in
// order, Limits.Output bytes in all). Cancelling ctx kills the run at once; it ends as a
// program killed by SIGKILL. A program's failure, crash or time-out is a Result; an error is a
// failure of the sandbox itself, or ErrNoToolchain.
func (s *Sandbox) Run(ctx context.Context, req Request, output func(Stream, []byte)) (Result, error) {
	tc, ok := s.toolchain(req.Language)
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrNoToolchain, req.Language)
	}
	var uid int
	select {
	case uid = <-s.uids:
		defer func() { s.uids <- uid }()
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	start := time.Now()
	wallCtx, cancel := context.WithTimeout(ctx, s.limits.WallTime)
	defer cancel()
	res, err := s.run(wallCtx, uid, tc, req, output)
	res.Duration = time.Since(start)
	if errors.Is(wallCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		res.TimedOut = true
	}
	return res, err
}

func (s *Sandbox) run(ctx context.Context, uid int, tc toolchain, req Request, output func(Stream, []byte)) (Result, error) {
	source, err := dataFile(req.Code)
	if err != nil {
		return Result{}, err
	}
	defer source.Close()
	compiled, compiledW, err := os.Pipe()
	if err != nil {
		return Result{}, err
	}
	defer compiled.Close()
	var binds []string
	if tc.goCache {
		dir, remove, err := goRunCache(*s.goCache.Load(), uid)
		if err != nil {
			return Result{}, err
		}
		defer remove()
		binds = append(binds, "--bind", dir, "/gocache")
	}
	argv := append([]string{s.bwrap}, s.args(tc, binds)...)
	if s.cgroups != "" {
		procs, remove, err := s.cgroup(uid)
		if err != nil {
			return Result{}, err
		}
		defer remove()
		// The shell moves itself into the cgroup before it becomes bwrap: every process of the
		// run is in it from the start.
		argv = append([]string{"/bin/sh", "-c", `echo $$ > "$0" && exec "$@"`, procs}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = []string{}
	cmd.Stdin = strings.NewReader(req.Stdin)
	cmd.ExtraFiles = []*os.File{source, compiledW} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)},
		Pdeathsig:  syscall.SIGKILL,
	}
	cmd.WaitDelay = time.Second
	out := newCollector(s.limits.Output, output, func() { _ = cmd.Process.Kill() })
	cmd.Stdout, cmd.Stderr = out.writer(Stdout), out.writer(Stderr)
	err = cmd.Start()
	compiledW.Close()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: start bwrap: %w", err)
	}
	phase := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(compiled)
		if tc.compile == nil || bytes.Equal(b, []byte("ok")) {
			phase <- "run"
		} else {
			phase <- "compile"
		}
	}()
	err = cmd.Wait()
	res := Result{Phase: <-phase}
	res.Stdout, res.Stderr, res.Truncated = out.result()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exitCode(exit)
		if res.ExitCode == 128+int(syscall.SIGXCPU) {
			res.TimedOut = true
		}
	case errors.Is(err, exec.ErrWaitDelay):
	default:
		return res, fmt.Errorf("sandbox: bwrap: %w", err)
	}
	return res, nil
}

// exitCode is the exit code of a process, or 128 + the signal that killed it, as a shell says.
func exitCode(e *exec.ExitError) int {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return e.ExitCode()
}

// dataFile returns a file to read text from, for bwrap's --ro-bind-data.
func dataFile(text string) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		_, _ = io.WriteString(w, text)
		w.Close()
	}()
	return r, nil
}

// args returns bwrap's arguments for a run of tc: the sandbox, then a shell that compiles
// (when tc does), reports it on fd 4, and runs the program, each under prlimit.
func (s *Sandbox) args(tc toolchain, binds []string) []string {
	a := []string{
		"--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
		"--ro-bind", "/usr", "/usr",
		"--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
		"--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
		"--proc", "/proc", "--dev", "/dev",
		"--size", strconv.Itoa(tmpfsSize), "--tmpfs", "/tmp",
		"--size", strconv.Itoa(tmpfsSize), "--tmpfs", "/box",
		"--ro-bind-data", "3", "/box/" + tc.file,
		"--chdir", "/box", "--clearenv",
		"--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/box", "--setenv", "LANG", "C.UTF-8",
		"--setenv", "TMPDIR", "/tmp",
	}
	for _, dir := range etcDirs {
		if _, err := os.Stat(dir); err == nil {
			a = append(a, "--ro-bind", dir, dir)
		}
	}
	for _, b := range tc.binds {
		a = append(a, "--ro-bind", b, b)
	}
	a = append(a, binds...)
	for _, kv := range tc.env {
		k, v, _ := strings.Cut(kv, "=")
		a = append(a, "--setenv", k, v)
	}
	script := "exec 4>&-; exec " + s.limited(tc.run(s.limits))
	if tc.compile != nil {
		script = s.limited(tc.compile) + " </dev/null || exit $?; printf ok >&4; " + script
	}
	return append(a, "/bin/sh", "-c", script)
}

// limited returns the shell command that runs argv under the limits.
func (s *Sandbox) limited(argv []string) string {
	l := s.limits
	cpu := int((l.CPUTime + time.Second - 1) / time.Second)
	cmd := []string{"/usr/bin/prlimit",
		fmt.Sprintf("--cpu=%d:%d", cpu, cpu+1),
		fmt.Sprintf("--data=%d", l.Memory),
		fmt.Sprintf("--nproc=%d", l.Processes),
		fmt.Sprintf("--nofile=%d", l.OpenFiles),
		fmt.Sprintf("--fsize=%d", l.FileSize),
		"--core=0", "--"}
	var b strings.Builder
	for i, arg := range append(cmd, argv...) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(arg))
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// tmpfsSize is the size of each of a run's tmpfs, /box and /tmp.
const tmpfsSize = 64 << 20

// etcDirs are what the toolchains need of /etc.
var etcDirs = []string{"/etc/alternatives", "/etc/ld.so.cache", "/etc/java-17-openjdk"}

// collector keeps a run's output up to its limit, hands each chunk to a callback, and kills the
// run once it has printed 4 times the limit.
type collector struct {
	mu       sync.Mutex
	limit    int64
	seen     int64
	out      [2]bytes.Buffer
	truncate bool
	emit     func(Stream, []byte)
	kill     func()
	killed   bool
}

func newCollector(limit int64, emit func(Stream, []byte), kill func()) *collector {
	return &collector{limit: limit, emit: emit, kill: kill}
}

func (c *collector) writer(st Stream) io.Writer { return streamWriter{c, st} }

type streamWriter struct {
	c  *collector
	st Stream
}

func (w streamWriter) Write(p []byte) (int, error) {
	c := w.c
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.out[0].Len() + c.out[1].Len()
	room := max(0, int(c.limit)-kept)
	chunk := p[:min(len(p), room)]
	if len(chunk) < len(p) {
		c.truncate = true
	}
	if len(chunk) > 0 {
		c.out[w.st].Write(chunk)
		if c.emit != nil {
			c.emit(w.st, chunk)
		}
	}
	c.seen += int64(len(p))
	if c.seen > 4*c.limit && !c.killed {
		c.killed = true
		c.kill()
	}
	return len(p), nil
}

func (c *collector) result() (stdout, stderr string, truncated bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out[Stdout].String(), c.out[Stderr].String(), c.truncate
}
