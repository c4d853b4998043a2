package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pairpad/pairpad/language"
)

// newSandbox returns a sandbox with limits, or skips the test when this machine has none,
// unless REQUIRE_SANDBOX=1 (as in CI): then it fails.
func newSandbox(t *testing.T, limits Limits) *Sandbox {
	t.Helper()
	s, err := New(Options{Limits: limits})
	if errors.Is(err, ErrUnavailable) && os.Getenv("REQUIRE_SANDBOX") != "1" {
		t.Skipf("no sandbox here (REQUIRE_SANDBOX=1 makes this a failure): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s *Sandbox, lang, code string) Result {
	t.Helper()
	res, err := s.Run(t.Context(), Request{Language: lang, Code: code, Stdin: "abc\n"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestLanguages: each language prints, reads stdin, writes to stderr and exits non-zero.
func TestLanguages(t *testing.T) {
	s := newSandbox(t, Limits{})
	awaitGo(t, s)
	programs := map[string]string{
		"python":     "import sys\nprint('out', input())\nprint('err', file=sys.stderr)\nsys.exit(3)\n",
		"javascript": "const l = require('fs').readFileSync(0, 'utf8').trim()\nconsole.log('out', l)\nconsole.error('err')\nprocess.exit(3)\n",
		"shell":      "read x\necho out $x\necho err >&2\nexit 3\n",
		"c":          "#include <stdio.h>\nint main(void){char b[8];scanf(\"%7s\",b);printf(\"out %s\\n\",b);fprintf(stderr,\"err\\n\");return 3;}\n",
		"cpp":        "#include <iostream>\nint main(){std::string s;std::cin>>s;std::cout<<\"out \"<<s<<std::endl;std::cerr<<\"err\"<<std::endl;return 3;}\n",
		"go":         "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tvar s string\n\tfmt.Scan(&s)\n\tfmt.Println(\"out\", s)\n\tfmt.Fprintln(os.Stderr, \"err\")\n\tos.Exit(3)\n}\n",
		"java":       "import java.util.*;\npublic class Main { public static void main(String[] a) { System.out.println(\"out \" + new Scanner(System.in).next()); System.err.println(\"err\"); System.exit(3); } }\n",
	}
	for _, lang := range s.Languages() {
		if _, ok := language.Lookup(lang); !ok {
			t.Errorf("%q is not a language of the catalogue", lang)
		}
		if programs[lang] == "" {
			t.Errorf("%s runs here, but has no program in this test", lang)
		}
	}
	for lang, code := range programs {
		t.Run(lang, func(t *testing.T) {
			if !slices.Contains(s.Languages(), lang) {
				t.Skipf("no toolchain for %s here", lang)
			}
			t.Parallel()
			res := run(t, s, lang, code)
			if res.Stdout != "out abc\n" || res.Stderr != "err\n" || res.ExitCode != 3 || res.Phase != "run" || res.TimedOut || res.Truncated {
				t.Errorf("%+v", res)
			}
			t.Logf("%s: %v", lang, res.Duration)
		})
	}
}

// awaitGo waits until s runs Go, when the machine has it: after the first start, its build
// cache is warm at once.
func awaitGo(t *testing.T, s *Sandbox) {
	t.Helper()
	if _, ok := s.langs["go"]; !ok {
		return
	}
	for deadline := time.Now().Add(3 * time.Minute); !slices.Contains(s.Languages(), "go"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Go's build cache is not warm after 3 minutes")
		}
	}
}

func TestCompileError(t *testing.T) {
	s := newSandbox(t, Limits{})
	res := run(t, s, "c", "int main(void) { syntax error }\n")
	if res.Phase != "compile" || res.ExitCode == 0 || !strings.Contains(res.Stderr, "error") {
		t.Errorf("%+v", res)
	}
}

func TestUnavailable(t *testing.T) {
	if _, err := New(Options{Bwrap: "/nonexistent/bwrap"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("New with a missing bwrap = %v, want ErrUnavailable", err)
	}
	s := newSandbox(t, Limits{})
	if _, err := s.Run(t.Context(), Request{Language: "cobol"}, nil); !errors.Is(err, ErrNoToolchain) {
		t.Errorf("Run of cobol = %v, want ErrNoToolchain", err)
	}
}

// TestOutputLive: output reaches the callback as the program writes it, not at its end. The
// program prints the time (the sandbox shares the host's clock) before each pause of 0.5 s; the
// delay from its write to the callback is logged.
func TestOutputLive(t *testing.T) {
	s := newSandbox(t, Limits{})
	var delays []time.Duration
	res, err := s.Run(t.Context(), Request{Language: "shell", Code: "for i in 1 2 3 4 5; do date +%s%N; sleep 0.5; done"}, func(_ Stream, b []byte) {
		now := time.Now()
		for line := range strings.Lines(string(b)) {
			ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
			if err != nil {
				t.Errorf("line %q: %v", line, err)
				continue
			}
			delays = append(delays, now.Sub(time.Unix(0, ns)))
		}
	})
	if err != nil || res.ExitCode != 0 || len(delays) != 5 {
		t.Fatalf("%+v %v; %d lines", res, err, len(delays))
	}
	t.Logf("from a write to the callback: %v", delays)
	// Output held until the end would make the first line's delay 2 s. The bound is loose, for
	// a busy machine; the log says what it was.
	if worst := slices.Max(delays); worst > time.Second {
		t.Errorf("a line reached the callback %v after it was written: not live", worst)
	}
}

// TestHostile runs programs that attack the machine, each bounded, and checks what stopped it.
// A normal program runs alongside them all and must be unaffected.
func TestHostile(t *testing.T) {
	limits := Limits{WallTime: 4 * time.Second, CPUTime: time.Second, Output: 4 << 10, FileSize: 1 << 20, Memory: 64 << 20, Processes: 32}
	s := newSandbox(t, limits)
	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, "secret"), []byte("room data"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	self, _ := os.Executable()
	marker := fmt.Sprintf("pairpad-orphan-%d", time.Now().UnixNano())

	cases := []struct {
		name, lang, code string
		check            func(t *testing.T, res Result)
	}{
		{"infinite loop", "python", "while True: pass\n", func(t *testing.T, res Result) {
			// The CPU limit (TestCPULimit), or on a busy machine the wall time first.
			if !res.TimedOut || (res.ExitCode != 152 && res.ExitCode != 137) {
				t.Errorf("want a time limit: %+v", res)
			}
		}},
		{"sleep past the wall time", "shell", "sleep 30\n", func(t *testing.T, res Result) {
			if !res.TimedOut || res.Duration > limits.WallTime+2*time.Second {
				t.Errorf("want the wall limit: %+v", res)
			}
		}},
		{"fork bomb", "shell", "f() { f | f & }; f; sleep 5\n", func(t *testing.T, res Result) {
			if !strings.Contains(res.Stderr, "fork") && !strings.Contains(res.Stderr, "Resource temporarily unavailable") {
				t.Errorf("want the process limit to refuse forks: %+v", res)
			}
		}},
		{"memory without end", "python", "a = []\nwhile True: a.append(bytearray(1 << 20))\n", func(t *testing.T, res Result) {
			if res.ExitCode == 0 || !strings.Contains(res.Stderr, "MemoryError") {
				t.Errorf("want the memory limit: %+v", res)
			}
		}},
		{"memory across processes", "shell", "for i in 1 2 3 4 5 6; do python3 -c \"a = b'x' * (40 << 20); import time; time.sleep(1.5); print('alive')\" & done; wait\n", func(t *testing.T, res Result) {
			// Each process is within its own limit (64 MiB); together they are not.
			t.Logf("%d of 6 processes lived", strings.Count(res.Stdout, "alive"))
			if alive := strings.Count(res.Stdout, "alive"); s.cgroups != "" && alive > 1 {
				t.Errorf("%d processes of 40 MiB lived in a run of 64 MiB: %+v", alive, res)
			} else if s.cgroups == "" {
				t.Logf("no memory cgroup on this machine: %d of 6 lived", alive)
			}
		}},
		{"files without end", "python", "fs = [open('/dev/null') for _ in range(1000)]\nprint('opened', len(fs))\n", func(t *testing.T, res Result) {
			if res.ExitCode == 0 || !strings.Contains(res.Stderr, "Too many open files") {
				t.Errorf("want the open files limit: %+v", res)
			}
		}},
		{"a huge file", "python", "f = open('big', 'wb')\nwhile True: f.write(b'x' * 65536)\n", func(t *testing.T, res Result) {
			// Python ignores SIGXFSZ: its write fails with EFBIG.
			if res.ExitCode == 0 || !strings.Contains(res.Stderr, "File too large") {
				t.Errorf("want the file size limit: %+v", res)
			}
		}},
		{"printing without end", "python", "while True: print('y' * 100)\n", func(t *testing.T, res Result) {
			if !res.Truncated || len(res.Stdout) != int(limits.Output) || res.ExitCode != 137 || res.TimedOut {
				t.Errorf("want the output limit to kill it: %+v (%d bytes)", res.ExitCode, len(res.Stdout))
			}
		}},
		{"a socket to the server's port", "python", fmt.Sprintf("import socket\nsocket.create_connection(('127.0.0.1', %d), timeout=1)\nprint('connected')\n", port), func(t *testing.T, res Result) {
			if strings.Contains(res.Stdout, "connected") || res.ExitCode == 0 {
				t.Errorf("connected: %+v", res)
			}
		}},
		{"a socket to the outside", "python", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\nprint('connected')\n", func(t *testing.T, res Result) {
			if strings.Contains(res.Stdout, "connected") || !strings.Contains(res.Stderr, "unreachable") {
				t.Errorf("want no network: %+v", res)
			}
		}},
		{"the data directory", "shell", "cat " + filepath.Join(dataDir, "secret") + "; ls " + dataDir + "\n", func(t *testing.T, res Result) {
			if strings.Contains(res.Stdout, "room data") || res.ExitCode == 0 {
				t.Errorf("read the data directory: %+v", res)
			}
		}},
		{"the server's environment", "shell", fmt.Sprintf("cat /proc/%d/environ; cat /proc/1/environ | tr '\\0' '\\n'\n", os.Getpid()), func(t *testing.T, res Result) {
			if strings.Contains(res.Stdout, "GOPATH") || strings.Contains(res.Stdout, "TEST_DATABASE_URL") || strings.Contains(res.Stdout, "HOME=/root") {
				t.Errorf("read the server's environment: %+v", res)
			}
		}},
		{"/etc/shadow", "shell", "cat /etc/shadow\n", func(t *testing.T, res Result) {
			if res.ExitCode == 0 || res.Stdout != "" {
				t.Errorf("read /etc/shadow: %+v", res)
			}
		}},
		{"the server's binary", "shell", "ls -la " + self + "\n", func(t *testing.T, res Result) {
			if res.ExitCode == 0 {
				t.Errorf("saw the server's binary: %+v", res)
			}
		}},
		{"a process left behind", "shell", "(exec -a " + marker + " sleep 60 &)\nnohup sleep 61 >/dev/null 2>&1 &\necho started\n", func(t *testing.T, res Result) {
			if res.Stdout != "started\n" {
				t.Errorf("%+v", res)
			}
			time.Sleep(300 * time.Millisecond)
			if left := processesNamed(t, marker, "sleep 61"); len(left) > 0 {
				t.Errorf("processes survived the run: %v", left)
			}
		}},
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 5 {
			res, err := s.Run(context.Background(), Request{Language: "python", Code: "print(sum(range(1000)))"}, nil)
			if err != nil || res.Stdout != "499500\n" || res.ExitCode != 0 {
				t.Errorf("a normal run beside the hostile ones: %+v %v", res, err)
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, s, c.lang, c.code)
			if res.Duration > limits.WallTime+2*time.Second {
				t.Errorf("took %v, past the wall time", res.Duration)
			}
			c.check(t, res)
		})
	}
	wg.Wait()
	select {
	case <-accepted:
		t.Error("a run connected to the test's listener")
	default:
	}
}

// TestCPULimit: a program that computes without end is stopped by its CPU time (SIGXCPU), with
// a wall time long enough that even a busy machine gives it the CPU second first.
func TestCPULimit(t *testing.T) {
	s := newSandbox(t, Limits{CPUTime: time.Second, WallTime: time.Minute})
	res := run(t, s, "python", "while True: pass\n")
	if !res.TimedOut || res.ExitCode != 128+int(syscall.SIGXCPU) {
		t.Errorf("want the CPU limit: %+v", res)
	}
}

// processesNamed returns the command lines of the processes on this machine that contain any
// of names.
func processesNamed(t *testing.T, names ...string) []string {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(cmdline), "\x00", " ")
		for _, n := range names {
			if strings.Contains(line, n) {
				found = append(found, line)
			}
		}
	}
	return found
}
