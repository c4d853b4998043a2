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

// depthUnknown is the parent depth of a struct that would not be integrated into a type: its
// parent is garbage-collected or not a type.
const depthUnknown = -1

// checkDepth returns an ErrTooDeep error if integrating u would create a type nested deeper
// than MaxNestingDepth. It considers the structs of u that can integrate now, with what the
// document and u hold, and finds their parents as integration would. Structs that wait for
// content neither holds are left pending by integration, which turns one that turns out too
// deep when it integrates into a GC struct (pendingStructs.step): refusing the update that
// completes it would refuse an honest peer's edit, and a room's stored state with it.
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
			if !c.integrable(s) {
				continue
			}
			if depth := c.parentDepth(s); depth >= MaxNestingDepth {
				return fmt.Errorf("%w: struct %v would be at depth %d, beyond %d",
					ErrTooDeep, s.id, depth+1, MaxNestingDepth)
			}
		}
	}
	return nil
}

// depthCheck finds which structs of an update can integrate and the depth of the type each
// would be integrated into. Both follow chains of structs as long as the update, so both walk
// them with slices of their own rather than by recursion.
type depthCheck struct {
	doc        *Doc
	structs    map[uint64][][]*item // the update's structs by client, in runs sorted by clock
	integrates map[*item]verdict
	depths     map[*item]int // parent depths
}

// verdict is whether a struct of the update can integrate: undecided while its dependencies are
// examined.
type verdict uint8

const (
	undecided verdict = iota + 1
	integrates
	waits
)

func newDepthCheck(d *Doc, u *decodedUpdate) *depthCheck {
	c := &depthCheck{
		doc:        d,
		structs:    make(map[uint64][][]*item),
		integrates: make(map[*item]verdict),
		depths:     make(map[*item]int),
	}
	for _, cs := range u.clients {
		c.structs[cs.client] = append(c.structs[cs.client], cs.structs)
	}
	return c
}

// integrable reports whether s can integrate now: everything it depends on is in the document
// or in the update and can integrate, and no cycle of dependencies runs through it.
func (c *depthCheck) integrable(s *item) bool {
	if v, ok := c.integrates[s]; ok {
		return v == integrates
	}
	c.integrates[s] = undecided
	stack := []*item{s}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		v, next := c.examine(cur)
		if next != nil {
			c.integrates[next] = undecided
			stack = append(stack, next)
			continue
		}
		c.integrates[cur] = v
		stack = stack[:len(stack)-1]
	}
	return c.integrates[s] == integrates
}

// examine returns the verdict on s once its dependencies have theirs, or the first one without.
func (c *depthCheck) examine(s *item) (v verdict, next *item) {
	deps, found := c.dependencies(s)
	if !found {
		return waits, nil
	}
	for _, dep := range deps {
		if dep == nil {
			break
		}
		switch c.integrates[dep] {
		case 0:
			return undecided, dep
		case undecided, waits: // undecided: on the stack, so a cycle
			return waits, nil
		}
	}
	return integrates, nil
}

// dependencies returns the structs of the update that s waits for, as Transaction.missing and
// pendingStructs.step wait: its own client's previous content, its origin, its right origin and
// the item holding its parent. found is false if one of them is neither in the document nor in
// the update.
func (c *depthCheck) dependencies(s *item) (deps [4]*item, found bool) {
	n := 0
	ids := [...]*ID{nil, s.originPtr(), s.rightOriginPtr(), s.parentIDPtr()}
	if s.id.Clock > 0 {
		ids[0] = &ID{s.id.Client, s.id.Clock - 1}
	}
	for _, id := range ids {
		if id == nil {
			continue
		}
		dep, inDoc := c.find(*id)
		switch {
		case inDoc:
		case dep == nil:
			return deps, false
		default:
			deps[n] = dep
			n++
		}
	}
	return deps, true
}

// parentDepth returns the depth of the type an integrable struct s would be integrated into, or
// depthUnknown.
func (c *depthCheck) parentDepth(s *item) int {
	type link struct {
		s     *item
		added int // what s's parent depth adds to the next one's
	}
	var path []link
	depth := depthUnknown
	for cur := s; ; {
		if known, ok := c.depths[cur]; ok {
			depth = known
			break
		}
		next, added, base := c.parentSource(cur)
		if next == nil {
			depth = base
			c.depths[cur] = base
			break
		}
		path = append(path, link{cur, added})
		cur = next
	}
	for _, l := range slices.Backward(path) {
		if depth != depthUnknown {
			depth += l.added
		}
		c.depths[l.s] = depth
	}
	return depth
}

// parentSource tells where the parent of an integrable struct s comes from, as
// Transaction.missing finds it: either a depth known at once (base), or another struct of the
// update (next) whose parent depth plus added is s's. A parent named by ID is the type that
// struct holds (added is 1); a parent copied from a neighbour is the neighbour's own (added is 0).
func (c *depthCheck) parentSource(s *item) (next *item, added, base int) {
	left, leftInDoc := c.findPtr(s.originPtr())
	right, rightInDoc := c.findPtr(s.rightOriginPtr())
	if (left != nil && left.isGC()) || (right != nil && right.isGC()) {
		return nil, 0, depthUnknown // the parent was garbage-collected
	}
	if ref := s.parentRef(); ref != nil {
		if ref.isName {
			return nil, 0, 0
		}
		holder, inDoc := c.find(ref.id)
		switch {
		case holder.kind != kindType:
			return nil, 0, depthUnknown
		case inDoc:
			return nil, 0, holder.content.(*typeContent).t.depth
		}
		return holder, 1, 0
	}
	neighbour, inDoc := left, leftInDoc
	if neighbour == nil {
		neighbour, inDoc = right, rightInDoc
	}
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

func (c *depthCheck) findPtr(id *ID) (s *item, inDoc bool) {
	if id == nil {
		return nil, false
	}
	return c.find(*id)
}

// find returns the struct containing id, in the document (inDoc) or in the update, or nil.
// Skips, which hold nothing, are not found.
func (c *depthCheck) find(id ID) (s *item, inDoc bool) {
	store := &c.doc.store
	if id.Clock < store.state(id.Client) {
		return store.find(id), true
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
		if ok && run[i].kind != kindSkip {
			return run[i], false
		}
	}
	return nil, false
}
