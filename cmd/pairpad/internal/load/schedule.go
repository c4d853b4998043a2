package load

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// scheduler types on its peers, each on a schedule of its own: a peer's keystroke j is due at
// its first slot plus j intervals, until the measurement ends. A scheduler that falls behind
// sends the keystrokes it owes at once and counts them late: it never skips one, and never
// drifts as sleeping between keystrokes would.
type scheduler struct {
	run   *run
	rng   *rand.Rand
	slots []slot // a binary min-heap on due

	// What it did, read once loop has returned.
	typed   int64 // keystrokes sent during the measurement
	late    int64 // keystrokes sent more than LateAfter after their slot
	maxLate int64 // the most any keystroke was behind its slot, in nanoseconds
}

// slot is a peer's next keystroke.
type slot struct {
	p   *peer
	due int64 // nanoseconds since the run's epoch
}

// newScheduler schedules peers from start on, each at a random offset within the first
// interval, and sizes their record of keystrokes sent to their schedules.
func newScheduler(r *run, peers []*peer, start int64, seed uint64) *scheduler {
	s := &scheduler{run: r, rng: rand.New(rand.NewPCG(seed, uint64(len(peers))))}
	for _, p := range peers {
		due := start + s.rng.Int64N(r.interval)
		n := max(0, (r.to-due+r.interval-1)/r.interval) // the slots before r.to
		p.sent = make([]int64, n)
		if n > 0 {
			s.slots = append(s.slots, slot{p: p, due: due})
		}
	}
	slices.SortFunc(s.slots, func(a, b slot) int { return cmp.Compare(a.due, b.due) }) // sorted is a heap
	return s
}

// loop types until every schedule is done or ctx is.
func (s *scheduler) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for len(s.slots) > 0 {
		next := &s.slots[0]
		if wait := next.due - s.run.now(); wait > 0 {
			timer.Reset(time.Duration(wait))
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue
		}
		late := s.run.now() - next.due
		s.maxLate = max(s.maxLate, late)
		if late > int64(LateAfter) {
			s.late++
		}
		at, ok := next.p.keystroke(s.rng)
		if ok && s.run.inWindow(at) {
			s.typed++
		}
		next.due += s.run.interval
		if !ok || next.due >= s.run.to {
			last := len(s.slots) - 1
			s.slots[0] = s.slots[last]
			s.slots = s.slots[:last]
		}
		s.down(0)
	}
}

// down restores the heap after the due time of slot i grew.
func (s *scheduler) down(i int) {
	for {
		least := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(s.slots) && s.slots[c].due < s.slots[least].due {
				least = c
			}
		}
		if least == i {
			return
		}
		s.slots[i], s.slots[least] = s.slots[least], s.slots[i]
		i = least
	}
}
