package crdt

// This file holds the YATA integration of structs into a document, ported from Yjs's Item.js
// and StructStore.js so that conflicts resolve in exactly the same order.

// getItemCleanStart returns the struct starting exactly at id, splitting the one containing it.
// id must be integrated.
func (tx *Transaction) getItemCleanStart(id ID) *item {
	l := tx.doc.store.clients[id.Client]
	c, i := l.search(id.Clock)
	it := l.at(c, i)
	if it.id.Clock < id.Clock && !it.isGC() {
		right := tx.splitItem(it, int(id.Clock-it.id.Clock))
		l.insertAfter(c, i, right)
		return right
	}
	return it
}

// getItemCleanEnd returns the struct ending exactly at id, splitting the one containing it.
func (tx *Transaction) getItemCleanEnd(id ID) *item {
	l := tx.doc.store.clients[id.Client]
	c, i := l.search(id.Clock)
	it := l.at(c, i)
	if id.Clock != it.endClock()-1 && !it.isGC() {
		l.insertAfter(c, i, tx.splitItem(it, int(id.Clock-it.id.Clock)+1))
	}
	return it
}

// splitItem splits left at diff units and links the new right part after it, as Yjs's splitItem.
func (tx *Transaction) splitItem(left *item, diff int) *item {
	right := left.spliceContent(diff)
	right.setOrigin(&ID{left.id.Client, left.id.Clock + uint64(diff) - 1})
	right.left = left
	right.right = left.right
	right.setRightOrigin(left.rightOriginPtr())
	right.parent = left.parent
	right.ext = left.ext
	right.flags |= left.flags & (flagDeleted | flagKeep | flagHasParentSub)
	left.right = right
	if right.right != nil {
		right.right.left = right
	}
	tx.mergeStructs = append(tx.mergeStructs, right)
	if p := right.parent; p != nil {
		if right.hasParentSub() && right.right == nil {
			p.entries[right.parentSub()] = right
		}
		p.indexSplit(left, right)
	}
	return right
}

// missing returns the client of a struct this item depends on that is not integrated yet, if
// any; otherwise it resolves left, right and parent as Yjs's getMissing does. ok is false for a
// struct that references content of its own client at or after itself, which no honest peer
// produces.
func (tx *Transaction) missing(it *item) (client uint64, isMissing, ok bool) {
	store := &tx.doc.store
	for _, dep := range [...]*ID{it.originPtr(), it.rightOriginPtr(), it.parentIDPtr()} {
		if dep == nil {
			continue
		}
		if dep.Client == it.id.Client {
			if dep.Clock >= it.id.Clock {
				return 0, false, false
			}
			continue
		}
		if dep.Clock >= store.state(dep.Client) {
			return dep.Client, true, true
		}
	}
	if origin := it.originPtr(); origin != nil {
		it.left = tx.getItemCleanEnd(*origin)
		it.origin = it.left.lastID()
	}
	if rightOrigin := it.rightOriginPtr(); rightOrigin != nil {
		if it.left != nil && it.left.right != nil && it.left.right.id == *rightOrigin {
			it.right = it.left.right // the usual case, without a search
		} else {
			it.right = tx.getItemCleanStart(*rightOrigin)
		}
		it.rightOrigin = it.right.id
	}
	switch {
	case (it.left != nil && it.left.isGC()) || (it.right != nil && it.right.isGC()):
		it.parent = nil
	case it.parentRef() == nil:
		// Copy the parent from a neighbour.
		if it.left != nil {
			it.copyParentFrom(it.left)
		} else if it.right != nil {
			it.copyParentFrom(it.right)
		}
	case it.parentRef().isName:
		t, _ := tx.doc.root(it.parentRef().name, typeRefUnknown)
		it.parent = t
	default:
		parentItem := store.find(it.parentRef().id)
		if c, isType := parentItem.content.(*typeContent); isType && !parentItem.isGC() {
			it.parent = c.t
		} else {
			it.parent = nil
		}
	}
	return 0, false, true
}

func (it *item) parentIDPtr() *ID {
	if ref := it.parentRef(); ref != nil && !ref.isName {
		return &ref.id
	}
	return nil
}

func (it *item) copyParentFrom(n *item) {
	it.parent = n.parent
	it.ext = n.ext
	it.flags = it.flags&^flagHasParentSub | n.flags&flagHasParentSub
}

// integrate links the item into its parent at the place YATA decides, adds it to the store and
// integrates its content. offset > 0 integrates only the part after the first offset units
// (the rest is known already).
func (tx *Transaction) integrate(it *item, offset int) {
	if offset > 0 {
		it.id.Clock += uint64(offset)
		it.left = tx.getItemCleanEnd(ID{it.id.Client, it.id.Clock - 1})
		it.origin = it.left.lastID()
		it.flags |= flagHasOrigin
		// Honest peers never send overlapping structs of one client with different parents; for
		// those that do, keep the item in the list it is linked into (Yjs keeps the parent it
		// named, linking the item into another type's list).
		it.copyParentFrom(it.left)
		if it.left.isGC() {
			it.parent = nil
		}
		cut := it.spliceContent(offset)
		it.text, it.content, it.length = cut.text, cut.content, cut.length
	}
	if it.parent == nil {
		// The parent is gone (garbage-collected): keep only the length.
		gc := &item{id: it.id, length: it.length, kind: kindGC}
		tx.addStruct(gc)
		return
	}
	p := it.parent
	if it.hasParentSub() && p.entries == nil {
		p.entries = make(map[string]*item)
	}
	if (it.left == nil && (it.right == nil || it.right.left != nil)) || (it.left != nil && it.left.right != it.right) {
		it.left = tx.resolveConflicts(it)
	}
	// Reconnect left and right, and the parent's start or map entry.
	if it.left != nil {
		it.right = it.left.right
		it.left.right = it
	} else {
		var r *item
		if it.hasParentSub() {
			r = p.entries[it.parentSub()]
			for r != nil && r.left != nil {
				r = r.left
			}
		} else {
			r = p.start
			p.start = it
		}
		it.right = r
	}
	if it.right != nil {
		it.right.left = it
	} else if it.hasParentSub() {
		// The rightmost entry is the key's current value; the previous one is overwritten.
		p.entries[it.parentSub()] = it
		if it.left != nil {
			tx.deleteItem(it.left)
		}
	}
	if !it.hasParentSub() {
		if it.countable() && !it.deleted() {
			p.length += it.length
		}
		p.indexInsert(it)
	}
	it.dropParentRef()
	tx.addStruct(it)
	tx.integrateContent(it)
	if (p.item != nil && p.item.deleted()) || (it.hasParentSub() && it.right != nil) {
		tx.deleteItem(it)
	}
}

// resolveConflicts finds the item after which it goes among the items concurrently inserted
// between its origin and right origin (YATA, as in Yjs's Item.integrate).
func (tx *Transaction) resolveConflicts(it *item) *item {
	store := &tx.doc.store
	left := it.left
	var o *item
	switch {
	case left != nil:
		o = left.right
	case it.hasParentSub():
		o = it.parent.entries[it.parentSub()]
		for o != nil && o.left != nil {
			o = o.left
		}
	default:
		o = it.parent.start
	}
	conflicting := make(map[*item]struct{})
	beforeOrigin := make(map[*item]struct{})
	// Let c in conflicting, b in beforeOrigin: ***{origin}bbbb{this}{c,b}{c,b}{o}***
	// conflicting is a subset of beforeOrigin.
	for o != nil && o != it.right {
		beforeOrigin[o] = struct{}{}
		conflicting[o] = struct{}{}
		if sameOrigin(it.originPtr(), o.originPtr()) {
			// Case 1: same origin; the lower client id goes first.
			if o.id.Client < it.id.Client {
				left = o
				clear(conflicting)
			} else if sameOrigin(it.rightOriginPtr(), o.rightOriginPtr()) {
				// Both point to the same integration points: the client id decides, and it
				// comes before o.
				break
			}
		} else if oo := o.originPtr(); oo != nil && oo.Clock < store.state(oo.Client) {
			originItem := store.find(*oo)
			if _, ok := beforeOrigin[originItem]; !ok {
				break
			}
			// Case 2: o's origin is in between; it goes after o unless o conflicts.
			if _, ok := conflicting[originItem]; !ok {
				left = o
				clear(conflicting)
			}
		} else {
			break
		}
		o = o.right
	}
	return left
}

// integrateContent does what integrating the content requires beyond linking the item.
func (tx *Transaction) integrateContent(it *item) {
	switch it.kind {
	case kindDeleted:
		tx.addDelete(it.id.Client, it.id.Clock, it.length)
		it.flags |= flagDeleted
	case kindType:
		t := it.content.(*typeContent).t
		t.doc = tx.doc
		t.item = it
		t.depth = it.parent.depth + 1
	case kindFormat:
		it.parent.hasFormatting = true
	}
}

// deleteItem marks it deleted, as Yjs's Item.delete, and with it every child of a type it holds,
// nested types included. The types whose children are still to delete wait on a stack of their
// own rather than on the goroutine's: Yjs recurses once per level of nesting, which an update
// nesting types deeply enough turns into a stack overflow.
func (tx *Transaction) deleteItem(it *item) {
	types := tx.markDeleted(it, nil)
	for len(types) > 0 {
		t := types[len(types)-1]
		types = tx.deleteTypeContent(t, types[:len(types)-1])
	}
}

// markDeleted marks it deleted and returns types with the type it holds, if any, appended: its
// children are to delete too.
func (tx *Transaction) markDeleted(it *item, types []*Type) []*Type {
	if it.deleted() {
		return types
	}
	p := it.parent
	if it.countable() && !it.hasParentSub() {
		p.length -= it.length
	}
	it.flags |= flagDeleted
	if !it.hasParentSub() {
		p.indexUpdate(it)
	}
	tx.addDelete(it.id.Client, it.id.Clock, it.length)
	if it.kind == kindType {
		types = append(types, it.content.(*typeContent).t)
	}
	return types
}

// deleteTypeContent marks every child of a deleted type deleted, as ContentType.delete does, and
// returns types with the types those children hold appended.
func (tx *Transaction) deleteTypeContent(t *Type, types []*Type) []*Type {
	for n := t.start; n != nil; n = n.right {
		types = tx.deleteChild(n, types)
	}
	for _, n := range t.entries {
		types = tx.deleteChild(n, types)
	}
	return types
}

func (tx *Transaction) deleteChild(n *item, types []*Type) []*Type {
	if !n.deleted() {
		return tx.markDeleted(n, types)
	}
	if n.id.Clock < tx.beforeState(n.id.Client) {
		// Deleted earlier: merge it with its neighbours once it is garbage-collected.
		tx.mergeStructs = append(tx.mergeStructs, n)
	}
	return types
}

// gc drops the content of a deleted item and garbage-collects the children of a type it holds,
// nested types included, with a stack of its own for the same reason as deleteItem. With
// parentGCd the item is replaced by a GC struct in the store, since its parent type is gone too.
func (it *item) gc(store *structStore, parentGCd bool) {
	types := it.dropContent(store, parentGCd, nil)
	for len(types) > 0 {
		t := types[len(types)-1]
		types = t.gcChildren(store, types[:len(types)-1])
	}
}

// dropContent does gc's work for the item alone and returns types with the type it held, if
// any, appended: its children are to garbage-collect too.
func (it *item) dropContent(store *structStore, parentGCd bool, types []*Type) []*Type {
	if it.kind == kindType {
		types = append(types, it.content.(*typeContent).t)
	}
	if parentGCd {
		store.clients[it.id.Client].replace(&item{id: it.id, length: it.length, kind: kindGC})
		return types
	}
	it.kind = kindDeleted
	it.text = nil
	it.content = nil
	return types
}

// gcChildren garbage-collects every child of a deleted type and returns types with the types
// those children held appended.
func (t *Type) gcChildren(store *structStore, types []*Type) []*Type {
	for n := t.start; n != nil; n = n.right {
		types = n.dropContent(store, true, types)
	}
	t.start = nil
	for _, n := range t.entries {
		for ; n != nil; n = n.left {
			types = n.dropContent(store, true, types)
		}
	}
	t.entries = nil
	t.dropIndex()
	return types
}

// mergeWith appends right to it if Yjs would merge the two: consecutive ids of one client,
// right created just after it, same right origin, same deletion state and mergeable content.
func (it *item) mergeWith(right *item) bool {
	if it.kind == kindGC {
		if right.kind != kindGC {
			return false
		}
		it.length += right.length
		return true
	}
	if right.kind != it.kind ||
		right.flags&flagHasOrigin == 0 || right.origin != it.lastID() ||
		it.right != right ||
		!sameOrigin(it.rightOriginPtr(), right.rightOriginPtr()) ||
		it.id.Client != right.id.Client || it.endClock() != right.id.Clock ||
		it.deleted() != right.deleted() {
		return false
	}
	switch it.kind {
	case kindString, kindDeleted, kindJSON, kindAny:
	default:
		return false
	}
	if it.parent != nil && !it.hasParentSub() {
		it.parent.indexRemove(right)
	}
	it.appendContent(right)
	if right.keep() {
		it.flags |= flagKeep
	}
	it.right = right.right
	if it.right != nil {
		it.right.left = it
	}
	if it.parent != nil && !it.hasParentSub() {
		it.parent.indexUpdate(it)
	}
	return true
}
