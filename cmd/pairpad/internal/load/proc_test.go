package load

import (
	"os"
	"runtime"
	"testing"
)

func TestProcessUsage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	self, err := selfUsage()
	if err != nil {
		t.Fatal(err)
	}
	byPID, err := processUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if byPID.rss <= 0 || self.rss <= 0 {
		t.Errorf("resident memory: /proc/pid %d, self %d bytes", byPID.rss, self.rss)
	}
	// /proc counts in ticks of 10 ms, getrusage in microseconds: they agree within a few ticks.
	if diff := self.cpu - byPID.cpu; diff < -50e6 || diff > 50e6 {
		t.Errorf("CPU time: /proc/pid %v, getrusage %v", byPID.cpu, self.cpu)
	}
}
