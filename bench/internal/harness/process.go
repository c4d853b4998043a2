// Package harness is what the benchmarks under bench share: it starts server processes and
// waits until they listen, gives them Postgres databases of their own, and runs `pairpad load`
// and reads its report.
package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is a running server process.
type Process struct {
	Cmd *exec.Cmd
	// Addr is the host:port it listens on, as it logged it (with [::] as 127.0.0.1).
	Addr string
	// LogPath is the file that holds its output.
	LogPath string
	exited  chan struct{}
	cleanup func() // after it has exited; may be nil
}

// Start runs cmd and waits until it logs, as JSON on stdout or stderr, that it listens:
// {"message":"listening","addr":"host:port"}. Its output goes to a log file. cleanup, if not
// nil, runs once the process has exited (or failed to start).
func Start(cmd *exec.Cmd, cleanup func()) (*Process, error) {
	p := &Process{Cmd: cmd, exited: make(chan struct{}), cleanup: cleanup}
	listening, err := p.start()
	if err != nil {
		p.clean()
		return nil, err
	}
	select {
	case p.Addr = <-listening:
		return p, nil
	case <-p.exited:
		p.clean()
		return nil, fmt.Errorf("%s exited before listening; log %s", cmd.Path, p.LogPath)
	case <-time.After(30 * time.Second):
		p.Stop()
		return nil, fmt.Errorf("%s did not listen within 30 s; log %s", cmd.Path, p.LogPath)
	}
}

// start starts the process with its output going to a log file, and returns where the address
// it listens on will come.
func (p *Process) start() (<-chan string, error) {
	logFile, err := os.CreateTemp("", "bench-server-*.log")
	if err != nil {
		return nil, err
	}
	p.LogPath = logFile.Name()
	r, w, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	p.Cmd.Stdout, p.Cmd.Stderr = w, w
	err = p.Cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		logFile.Close()
		return nil, err
	}
	listening := make(chan string, 1)
	go scanLog(r, logFile, listening)
	go func() { _ = p.Cmd.Wait(); close(p.exited) }()
	return listening, nil
}

// scanLog copies a server's output to its log file and reports the address of its first
// "listening" line.
func scanLog(r io.ReadCloser, logFile *os.File, listening chan<- string) {
	defer r.Close()
	defer logFile.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		logFile.Write(append(sc.Bytes(), '\n'))
		var line struct{ Message, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "listening" {
			select {
			case listening <- strings.Replace(line.Addr, "[::]", "127.0.0.1", 1):
			default:
			}
		}
	}
}

// Stop asks the process to stop (SIGTERM), kills it after 30 s, and cleans up after it. It
// may be called after Kill, or after the process exited by itself.
func (p *Process) Stop() {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		fmt.Fprintf(os.Stderr, "%s did not stop within 30 s of SIGTERM: killed\n", p.Cmd.Path)
		_ = p.Cmd.Process.Kill()
		<-p.exited
	}
	p.clean()
}

// Kill kills the process (SIGKILL), as a crash would, and waits until it has exited. Stop
// still cleans up after it.
func (p *Process) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.exited
}

// clean runs the cleanup once the process has exited (or never started), once.
func (p *Process) clean() {
	if p.cleanup != nil {
		p.cleanup()
		p.cleanup = nil
	}
}
