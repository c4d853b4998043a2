package crdt

// The position index of a sequence type: a splay tree over its items in list order, each node
// summing the visible length of its subtree. It turns "the item at UTF-16 offset i" and "the
// offset of this item" into O(log n) amortized operations, and O(1) for edits close to the last
// one, which is how people type. It is built on the first positional access and maintained from
// then on; types that are only synced over the network never pay for it.

func subtreeLen(n *item) int {
	if n == nil {
		return 0
	}
	return n.tsum
}

func (n *item) recompute() { n.tsum = subtreeLen(n.tl) + subtreeLen(n.tr) + n.visibleLen() }

func rotateUp(x *item) {
	p := x.tp
	g := p.tp
	if p.tl == x {
		p.tl = x.tr
		if x.tr != nil {
			x.tr.tp = p
		}
		x.tr = p
	} else {
		p.tr = x.tl
		if x.tl != nil {
			x.tl.tp = p
		}
		x.tl = p
	}
	p.tp = x
	x.tp = g
	if g != nil {
		if g.tl == p {
			g.tl = x
		} else {
			g.tr = x
		}
	}
	p.recompute()
	x.recompute()
}

// splay moves x to the root of its tree.
func splay(x *item) {
	for x.tp != nil {
		p := x.tp
		if g := p.tp; g != nil {
			if (g.tl == p) == (p.tl == x) {
				rotateUp(p)
			} else {
				rotateUp(x)
			}
		}
		rotateUp(x)
	}
}

func (t *Type) splayRoot(x *item) {
	splay(x)
	t.root = x
}

// buildIndex builds a balanced tree over the type's list.
func (t *Type) buildIndex() {
	var items []*item
	for n := t.start; n != nil; n = n.right {
		items = append(items, n)
	}
	t.root = buildBalanced(items, nil)
	t.indexed = true
}

func buildBalanced(items []*item, parent *item) *item {
	if len(items) == 0 {
		return nil
	}
	mid := len(items) / 2
	n := items[mid]
	n.tp = parent
	n.tl = buildBalanced(items[:mid], n)
	n.tr = buildBalanced(items[mid+1:], n)
	n.recompute()
	return n
}

func (t *Type) dropIndex() {
	t.root = nil
	t.indexed = false
}

func (t *Type) ensureIndex() {
	if !t.indexed {
		t.buildIndex()
	}
}

// indexInsert adds a newly linked list item to the index.
func (t *Type) indexInsert(n *item) {
	if !t.indexed {
		return
	}
	n.tp, n.tl, n.tr = nil, nil, nil
	n.recompute()
	if t.root == nil {
		t.root = n
		return
	}
	if n.left == nil {
		m := t.root
		for m.tl != nil {
			m = m.tl
		}
		m.tl = n
		n.tp = m
	} else {
		t.splayRoot(n.left)
		if n.left.tr == nil {
			n.left.tr = n
			n.tp = n.left
		} else {
			m := n.left.tr
			for m.tl != nil {
				m = m.tl
			}
			m.tl = n
			n.tp = m
		}
	}
	t.splayRoot(n)
}

// indexSplit records that left was split and right linked after it.
func (t *Type) indexSplit(left, right *item) {
	if !t.indexed || right.hasParentSub() {
		return
	}
	t.splayRoot(left)
	left.recompute()
	t.indexInsert(right)
}

// indexUpdate records a change of n's visible length.
func (t *Type) indexUpdate(n *item) {
	if !t.indexed {
		return
	}
	t.splayRoot(n)
	n.recompute()
}

// indexRemove drops n from the index.
func (t *Type) indexRemove(n *item) {
	if !t.indexed {
		return
	}
	t.splayRoot(n)
	l, r := n.tl, n.tr
	n.tl, n.tr = nil, nil
	switch {
	case l == nil:
		t.root = r
		if r != nil {
			r.tp = nil
		}
	default:
		l.tp = nil
		m := l
		for m.tr != nil {
			m = m.tr
		}
		splay(m)
		m.tr = r
		if r != nil {
			r.tp = m
		}
		m.recompute()
		t.root = m
	}
}

// itemAt returns the item holding visible unit index (0 <= index < length) and the offset of
// that unit in the item.
func (t *Type) itemAt(index int) (*item, int) {
	t.ensureIndex()
	n := t.root
	for n != nil {
		l := subtreeLen(n.tl)
		switch v := n.visibleLen(); {
		case index < l:
			n = n.tl
		case index < l+v:
			t.splayRoot(n)
			return n, index - l
		default:
			index -= l + v
			n = n.tr
		}
	}
	return nil, 0
}

// offsetOf returns the number of visible units before n.
func (t *Type) offsetOf(n *item) int {
	t.ensureIndex()
	t.splayRoot(n)
	return subtreeLen(n.tl)
}
