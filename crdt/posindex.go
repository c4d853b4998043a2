package crdt

// The position index of a sequence type: a splay tree over its items in list order, each node
// summing the visible length of its subtree. It turns "the item at UTF-16 offset i" and "the
// offset of this item" into O(log n) amortized operations, and O(1) for edits close to the last
// one, which is how people type. It is built on the first positional access and maintained from
// then on; types that are only synced over the network never pay for it.

// posNode is an item's node in the splay tree: tree parent, children and the visible length of
// its subtree. Items get one only once their sequence is indexed.
type posNode struct {
	tp, tl, tr *item
	tsum       int
}

// itemWithNode allocates an item and its tree node together: local edits create items in indexed
// sequences, and one allocation is cheaper than two.
type itemWithNode struct {
	it item
	n  posNode
}

func newIndexedItem() *item {
	x := new(itemWithNode)
	x.it.node = &x.n
	return &x.it
}

func subtreeLen(n *item) int {
	if n == nil {
		return 0
	}
	return n.node.tsum
}

func (n *item) recompute() {
	n.node.tsum = subtreeLen(n.node.tl) + subtreeLen(n.node.tr) + n.visibleLen()
}

func rotateUp(x *item) {
	p := x.node.tp
	g := p.node.tp
	if p.node.tl == x {
		p.node.tl = x.node.tr
		if x.node.tr != nil {
			x.node.tr.node.tp = p
		}
		x.node.tr = p
	} else {
		p.node.tr = x.node.tl
		if x.node.tl != nil {
			x.node.tl.node.tp = p
		}
		x.node.tl = p
	}
	p.node.tp = x
	x.node.tp = g
	if g != nil {
		if g.node.tl == p {
			g.node.tl = x
		} else {
			g.node.tr = x
		}
	}
	p.recompute()
	x.recompute()
}

// splay moves x to the root of its tree.
func splay(x *item) {
	for x.node.tp != nil {
		p := x.node.tp
		if g := p.node.tp; g != nil {
			if (g.node.tl == p) == (p.node.tl == x) {
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
	nodes := make([]posNode, len(items))
	for i, n := range items {
		if n.node == nil {
			n.node = &nodes[i]
		}
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
	n.node.tp = parent
	n.node.tl = buildBalanced(items[:mid], n)
	n.node.tr = buildBalanced(items[mid+1:], n)
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
	if n.node == nil {
		n.node = new(posNode)
	}
	n.node.tp, n.node.tl, n.node.tr = nil, nil, nil
	n.recompute()
	if t.root == nil {
		t.root = n
		return
	}
	if n.left == nil {
		m := t.root
		for m.node.tl != nil {
			m = m.node.tl
		}
		m.node.tl = n
		n.node.tp = m
	} else {
		t.splayRoot(n.left)
		if n.left.node.tr == nil {
			n.left.node.tr = n
			n.node.tp = n.left
		} else {
			m := n.left.node.tr
			for m.node.tl != nil {
				m = m.node.tl
			}
			m.node.tl = n
			n.node.tp = m
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
	l, r := n.node.tl, n.node.tr
	n.node.tl, n.node.tr = nil, nil
	switch {
	case l == nil:
		t.root = r
		if r != nil {
			r.node.tp = nil
		}
	default:
		l.node.tp = nil
		m := l
		for m.node.tr != nil {
			m = m.node.tr
		}
		splay(m)
		m.node.tr = r
		if r != nil {
			r.node.tp = m
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
		l := subtreeLen(n.node.tl)
		switch v := n.visibleLen(); {
		case index < l:
			n = n.node.tl
		case index < l+v:
			t.splayRoot(n)
			return n, index - l
		default:
			index -= l + v
			n = n.node.tr
		}
	}
	return nil, 0
}

// offsetOf returns the number of visible units before n.
func (t *Type) offsetOf(n *item) int {
	t.ensureIndex()
	t.splayRoot(n)
	return subtreeLen(n.node.tl)
}
