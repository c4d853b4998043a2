package server

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestYWebsocketNode runs real, unmodified y-websocket clients in node against the server
// (testdata/yjs/ywebsocket-test.mjs): concurrent editing, late joiners, awareness and the
// refusal of unknown rooms.
func TestYWebsocketNode(t *testing.T) {
	const script = "testdata/yjs/ywebsocket-test.mjs"
	root := ".."
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "testdata", "yjs", "node_modules", "y-websocket", "package.json"))
	}
	if err != nil {
		msg := fmt.Sprintf("needs node and testdata/yjs/node_modules with y-websocket (cd testdata/yjs && npm ci): %v", err)
		if os.Getenv("REQUIRE_NODE") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	ts := newTestServer(t, Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, ts.URL)
	cmd.Dir = root
	cmd.WaitDelay = 5 * time.Second
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pw.Close()
		t.Fatalf("start node: %v", err)
	}
	pw.Close() // node holds the only write end now: EOF when it exits
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		t.Log("node: " + sc.Text())
	}
	err = cmd.Wait()
	t.Logf("node ran for %v", time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("node %s did not finish within 60 s: %v", script, err)
	}
	if err != nil {
		t.Fatalf("node %s failed: %v", script, err)
	}
}
