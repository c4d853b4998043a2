package crdt

import (
	"slices"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// DeleteRange is a run of deleted content: Len units of one client starting at Clock.
type DeleteRange struct {
	Clock uint64
	Len   uint64
}

// DeleteSet lists deleted content by client. After normalize, each client's ranges are sorted by
// clock and neither overlap nor touch.
type DeleteSet map[uint64][]DeleteRange

func (ds DeleteSet) add(client, clock, length uint64) {
	ds[client] = append(ds[client], DeleteRange{Clock: clock, Len: length})
}

// normalize sorts every client's ranges and merges those that overlap or touch, as Yjs's
// sortAndMergeDeleteSet does.
func (ds DeleteSet) normalize() {
	for client, ranges := range ds {
		ds[client] = normalizeRanges(ranges)
	}
}

func normalizeRanges(ranges []DeleteRange) []DeleteRange {
	if !slices.IsSortedFunc(ranges, compareRanges) {
		slices.SortFunc(ranges, compareRanges)
	}
	j := 1
	for i := 1; i < len(ranges); i++ {
		left, right := &ranges[j-1], ranges[i]
		if left.Clock+left.Len >= right.Clock {
			left.Len = max(left.Len, right.Clock+right.Len-left.Clock)
		} else {
			ranges[j] = right
			j++
		}
	}
	return ranges[:min(j, len(ranges))]
}

func compareRanges(a, b DeleteRange) int {
	switch {
	case a.Clock < b.Clock:
		return -1
	case a.Clock > b.Clock:
		return 1
	}
	return 0
}

// Contains reports whether id lies in a deleted range. ds must be normalized.
func (ds DeleteSet) Contains(id ID) bool {
	ranges := ds[id.Client]
	i, _ := slices.BinarySearchFunc(ranges, id.Clock, func(r DeleteRange, clock uint64) int {
		switch {
		case r.Clock+r.Len <= clock:
			return -1
		case r.Clock > clock:
			return 1
		}
		return 0
	})
	return i < len(ranges) && ranges[i].Clock <= id.Clock && id.Clock < ranges[i].Clock+ranges[i].Len
}

// mergeDeleteSets returns the normalized union of sets.
func mergeDeleteSets(sets ...DeleteSet) DeleteSet {
	merged := DeleteSet{}
	for _, ds := range sets {
		for client, ranges := range ds {
			merged[client] = append(merged[client], ranges...)
		}
	}
	merged.normalize()
	return merged
}

// writeDeleteSet writes ds with clients in descending order, as Yjs does. Clients without
// ranges are written with zero ranges only if present in ds.
func writeDeleteSet(e *lib0.Encoder, ds DeleteSet) {
	e.WriteVarUint(uint64(len(ds)))
	for _, client := range sortedClientsDesc(ds) {
		ranges := ds[client]
		e.WriteVarUint(client)
		e.WriteVarUint(uint64(len(ranges)))
		for _, r := range ranges {
			e.WriteVarUint(r.Clock)
			e.WriteVarUint(r.Len)
		}
	}
}

// readDeleteSet reads a delete set as it appears at the end of an update. Clients with no
// ranges are dropped, as in Yjs.
func readDeleteSet(d *lib0.Decoder) DeleteSet {
	ds := DeleteSet{}
	n := d.ReadVarUint()
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		client := d.ReadVarUint()
		count := d.ReadVarUint()
		if d.Err() != nil {
			break
		}
		if count == 0 {
			continue
		}
		// Each range takes at least two bytes.
		ranges := ds[client]
		ranges = slices.Grow(ranges, int(min(count, uint64(d.Remaining()/2))))
		for j := uint64(0); j < count && d.Err() == nil; j++ {
			clock := d.ReadVarUint()
			length := d.ReadVarUint()
			if err := checkRange(clock, length); err != nil {
				d.Fail(err)
			}
			ranges = append(ranges, DeleteRange{Clock: clock, Len: length})
		}
		ds[client] = ranges
	}
	return ds
}

// DecodeDeleteSet parses a delete set encoded as in an update (v1). A malformed delete set is a
// *DecodeError.
func DecodeDeleteSet(b []byte) (DeleteSet, error) {
	d := lib0.NewDecoder(b)
	ds := readDeleteSet(d)
	if d.Err() != nil {
		return nil, decodeError(d, "delete set")
	}
	return ds, nil
}

// EncodeDeleteSet writes ds as it appears at the end of an update (v1).
func EncodeDeleteSet(ds DeleteSet) []byte {
	var e lib0.Encoder
	writeDeleteSet(&e, ds)
	return e.Bytes()
}
