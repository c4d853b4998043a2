package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWebAppInBrowser runs the web app's end-to-end scripts against the real binary serving the
// embedded app, each a subtest: webclient/e2e/smoke.mjs (two headless Chromium users in one
// room), webclient/e2e/access.mjs (the room's links: a viewer, the owner locking the room,
// replacing links, deleting it), webclient/e2e/history.mjs (the history panel: versions, playback,
// restoring one live) and webclient/e2e/run.mjs (running the code: output live for everyone,
// stdin, a viewer, Ctrl+Enter, Stop; it skips itself where the server does not run Python, as
// without bwrap). Screenshots go to SHOTS (default webclient/e2e/screenshots).
func TestWebAppInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary and a browser")
	}
	chromium := "/usr/bin/chromium"
	playwright, _ := filepath.Abs("../../webclient/node_modules/playwright-core")
	node, nodeErr := exec.LookPath("node")
	for _, need := range []struct {
		missing bool
		what    string
	}{
		{nodeErr != nil, "node"},
		{!exists(chromium), chromium + " (Debian's chromium package)"},
		{!exists(playwright), "webclient/node_modules (make test installs it)"},
	} {
		if need.missing {
			if os.Getenv("REQUIRE_BROWSER") == "1" {
				t.Fatalf("REQUIRE_BROWSER=1 but %s is missing", need.what)
			}
			t.Skipf("%s is missing; the browser test needs it (REQUIRE_BROWSER=1 makes this a failure)", need.what)
		}
	}
	shots := os.Getenv("SHOTS")
	if shots == "" {
		shots, _ = filepath.Abs("../../webclient/e2e/screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, buildBinary(t), "DATA_DIR="+t.TempDir())
	env := append(os.Environ(), "BASE=http://"+srv.addr, "SHOTS="+shots, "CHROMIUM="+chromium)
	for _, name := range []string{"smoke", "access", "history", "run"} {
		t.Run(name, func(t *testing.T) {
			script, _ := filepath.Abs("../../webclient/e2e/" + name + ".mjs")
			runScript(t, node, script, env)
		})
	}
	t.Logf("screenshots in %s", shots)
}

// runScript runs a node script with env, logging its output, and fails t if it fails.
func runScript(t *testing.T, node, script string, env []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the browser test failed: %v", err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
