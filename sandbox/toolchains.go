package sandbox

import (
	"os"
	"strconv"
)

// toolchain is how to run one language: the name its source file gets in /box, the compile
// command if it needs one, and the command that runs it, given the limits. binds are host
// directories outside /usr it needs (read-only), env its environment.
type toolchain struct {
	file    string
	compile []string
	run     func(Limits) []string
	binds   []string
	env     []string
	// needs are the files that must exist for it to work here.
	needs []string
}

// probe is the toolchain New runs to check the sandbox: a shell.
const probe = "probe"

// toolchains are the languages of package language that a machine may run, by id.
var toolchains = map[string]toolchain{
	probe: {file: "probe.sh", run: fixed("/bin/sh", "probe.sh"), needs: []string{"/bin/sh"}},
	"python": {file: "main.py", run: fixed("/usr/bin/python3", "-u", "main.py"), needs: []string{"/usr/bin/python3"},
		env: []string{"PYTHONDONTWRITEBYTECODE=1"}},
	"javascript": {file: "main.js", needs: []string{"/usr/bin/node"},
		run: func(l Limits) []string {
			return []string{"/usr/bin/node", "--max-old-space-size=" + strconv.FormatInt(l.Memory/2>>20, 10), "main.js"}
		}},
	"shell": {file: "main.sh", run: fixed("/bin/bash", "main.sh"), needs: []string{"/bin/bash"}},
	"c": {file: "main.c", compile: []string{"/usr/bin/gcc", "-O2", "-o", "main", "main.c", "-lm"},
		run: fixed("./main"), needs: []string{"/usr/bin/gcc"}},
	"cpp": {file: "main.cpp", compile: []string{"/usr/bin/g++", "-O2", "-o", "main", "main.cpp"},
		run: fixed("./main"), needs: []string{"/usr/bin/g++"}},
	// Java's launcher compiles a single source file in memory and runs its first class.
	"java": {file: "Main.java", needs: []string{"/usr/bin/java"},
		run: func(l Limits) []string {
			return []string{"/usr/bin/java", "-Xmx" + strconv.FormatInt(l.Memory/2>>20, 10) + "m", "-Xss8m",
				"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto", "Main.java"}
		}},
}

func fixed(argv ...string) func(Limits) []string { return func(Limits) []string { return argv } }

// available returns the toolchains whose files this machine has.
func available() map[string]toolchain {
	out := make(map[string]toolchain)
	for id, tc := range toolchains {
		ok := true
		for _, f := range tc.needs {
			if _, err := os.Stat(f); err != nil {
				ok = false
			}
		}
		if ok {
			out[id] = tc
		}
	}
	return out
}
