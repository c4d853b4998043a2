package crdt

import (
	"fmt"
	"slices"
)

// MaxNestingDepth is the deepest a shared type may be nested: a root type is at depth 0, a type
// inside a root at depth 1. ApplyUpdate refuses an update that would create a type deeper than
// this with ErrTooDeep. Real documents nest a handful of levels (a rich-text tree of nested
// lists a few dozen); without a cap, an update could build a chain of a million types that every
// walk over a type's children must then follow to the bottom.
const MaxNestingDepth = 100

// depthUnknown is the parent depth of a struct that cannot be integrated into a live type now:
// its parent is missing, garbage-collected, not a type, or part of a cycle.
const depthUnknown = -1

// depthVisiting marks a struct whose parent depth is being computed, to detect cycles.
const depthVisiting = -2

// checkDepth returns an ErrTooDeep error if integrating u would create a type nested deeper
// than MaxNestingDepth. It resolves parents through the document and u itself, as integration
// would; a struct whose parent neither holds is left to the check when it integrates
// (pendingStructs.step), since it waits for content not received yet.
func (d *Doc) checkDepth(u *decodedUpdate) error {
	var c *depthCheck
	for _, cs := range u.clients {
		state := d.store.state(cs.client)
		for _, s := range cs.structs {
			if s.kind != kindType || s.endClock() <= state {
				continue
			}
			if c == nil {
				c = newDepthCheck(d, u)
			}
			if depth := c.parentDepth(s); depth != depthUnknown && depth >= MaxNestingDepth {
				return fmt.Errorf("%w: struct %v would be at depth %d, beyond %d",
					ErrTooDeep, s.id, depth+1, MaxNestingDepth)
			}
		}
	}
	return nil
}

// depthCheck computes the depth of the type each struct of an update would be integrated into.
type depthCheck struct {
	doc     *Doc
	structs map[uint64][][]*item // the update's structs by client, in runs sorted by clock
	memo    map[*item]int        // parent depths computed so far
}

func newDepthCheck(d *Doc, u *decodedUpdate) *depthCheck {
	c := &depthCheck{doc: d, structs: make(map[uint64][][]*item), memo: make(map[*item]int)}
	for _, cs := range u.clients {
		c.structs[cs.client] = append(c.structs[cs.client], cs.structs)
	}
	return c
}

// parentDepth returns the depth of the type s would be integrated into, or depthUnknown. It
// follows the chain of structs of the update that s's parent depends on with a slice of its own,
// not by recursion: the chain may be as long as the update.
func (c *depthCheck) parentDepth(s *item) int {
	type link struct {
		s     *item
		added int // what s's parent depth adds to the next one's
	}
	var path []link
	depth := depthUnknown
	for cur := s; ; {
		if known, ok := c.memo[cur]; ok {
			if known != depthVisiting {
				depth = known
			}
			break
		}
		next, added, base := c.parentSource(cur)
		if next == nil {
			depth = base
			c.memo[cur] = base
			break
		}
		c.memo[cur] = depthVisiting
		path = append(path, link{cur, added})
		cur = next
	}
	for _, l := range slices.Backward(path) {
		if depth != depthUnknown {
			depth += l.added
		}
		c.memo[l.s] = depth
	}
	return depth
}

// parentSource tells where the parent of s comes from, as Transaction.missing resolves it:
// either a depth known at once (base), or another struct of the update (next) whose parent
// depth plus added is s's. A parent named by ID is the type that struct holds (added is 1); a
// parent copied from a neighbour is the neighbour's own (added is 0).
func (c *depthCheck) parentSource(s *item) (next *item, added, base int) {
	if ref := s.parentRef(); ref != nil {
		if ref.isName {
			return nil, 0, 0
		}
		holder, inDoc := c.find(ref.id)
		switch {
		case holder == nil || holder.kind != kindType:
			return nil, 0, depthUnknown
		case inDoc:
			return nil, 0, holder.content.(*typeContent).t.depth
		}
		return holder, 1, 0
	}
	id := s.originPtr()
	if id == nil {
		id = s.rightOriginPtr()
	}
	if id == nil {
		return nil, 0, depthUnknown
	}
	neighbour, inDoc := c.find(*id)
	switch {
	case neighbour == nil:
		return nil, 0, depthUnknown
	case inDoc && neighbour.parent == nil:
		return nil, 0, depthUnknown
	case inDoc:
		return nil, 0, neighbour.parent.depth
	}
	return neighbour, 0, 0
}

// find returns the struct containing id, in the document (inDoc) or in the update, or nil.
func (c *depthCheck) find(id ID) (s *item, inDoc bool) {
	store := &c.doc.store
	if id.Clock < store.state(id.Client) {
		found := store.find(id)
		if found.isGC() {
			return nil, true
		}
		return found, true
	}
	for _, run := range c.structs[id.Client] {
		i, ok := slices.BinarySearchFunc(run, id.Clock, func(s *item, clock uint64) int {
			switch {
			case s.endClock() <= clock:
				return -1
			case s.id.Clock > clock:
				return 1
			}
			return 0
		})
		if ok && run[i].kind != kindSkip && run[i].kind != kindGC {
			return run[i], false
		}
	}
	return nil, false
}
