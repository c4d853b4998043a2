package harness

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MachineBusy starts measuring how busy the machine's cores are, from /proc/stat (Linux). The
// function it returns gives the share of all cores' time that went to anything but idle and
// I/O wait since then, in %; -1 where /proc/stat cannot be read.
func MachineBusy() func() float64 {
	busy0, total0, err := cpuTimes()
	return func() float64 {
		busy1, total1, err1 := cpuTimes()
		if err != nil || err1 != nil || total1 <= total0 {
			return -1
		}
		return 100 * float64(busy1-busy0) / float64(total1-total0)
	}
}

// cpuTimes returns the busy and total time of all cores, in clock ticks, from the first line
// of /proc/stat: user nice system idle iowait irq softirq steal, then guest and guest_nice,
// which user and nice already count.
func cpuTimes() (busy, total uint64, err error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return 0, 0, err
	}
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, f := range fields[1:min(len(fields), 9)] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, nil
}
