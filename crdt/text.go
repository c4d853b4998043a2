package crdt

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrIndexOutOfRange reports a position or range beyond a type's length.
var ErrIndexOutOfRange = errors.New("crdt: index out of range")

// Text is a shared text: Yjs's Y.Text. Positions and lengths count UTF-16 code units.
type Text struct{ t *Type }

// GetText returns the root text named name, creating it if needed.
func (d *Doc) GetText(name string) (*Text, error) {
	t, err := d.root(name, typeRefText)
	if err != nil {
		return nil, err
	}
	return &Text{t}, nil
}

// Type returns the shared type behind the text.
func (x *Text) Type() *Type { return x.t }

// String returns the text.
func (x *Text) String() string { return x.t.String() }

// Len returns the length of the text in UTF-16 code units.
func (x *Text) Len() int { return x.t.length }

// Insert inserts s at index, as Y.Text.insert without attributes: the new text takes the
// formatting in force at index. Invalid UTF-8 in s becomes U+FFFD.
func (x *Text) Insert(tx *Transaction, index int, s string) error {
	t := x.t
	if index < 0 || index > t.length {
		return fmt.Errorf("%w: insert at %d of %d", ErrIndexOutOfRange, index, t.length)
	}
	if s == "" {
		return nil
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, replacementChar)
	}
	text := []byte(s)
	n, _ := utf16LenValid(text) // valid: s was made valid above
	if err := tx.checkClock(n); err != nil {
		return err
	}
	var left, right *item
	if t.hasFormatting {
		left, right = x.formattedInsertPosition(tx, index)
	} else {
		left = t.splitAt(tx, index)
		right = t.start
		if left != nil {
			right = left.right
		}
		// Like Yjs, insert after the deleted items that follow the position.
		for right != nil && right.deleted() {
			left, right = right, right.right
		}
	}
	it := newIndexedItem()
	it.kind, it.text, it.length = kindString, text, n
	tx.insertItem(t, left, right, it)
	return nil
}

// Delete deletes length units from index, as Y.Text.delete.
func (x *Text) Delete(tx *Transaction, index, length int) error {
	t := x.t
	if index < 0 || length < 0 || index+length > t.length {
		return fmt.Errorf("%w: delete %d at %d of %d", ErrIndexOutOfRange, length, index, t.length)
	}
	if length == 0 {
		return nil
	}
	left := t.splitAt(tx, index)
	n := t.start
	if left != nil {
		n = left.right
	}
	for ; length > 0 && n != nil; n = n.right {
		if n.deleted() {
			continue
		}
		switch n.kind {
		case kindString, kindEmbed, kindType:
			if length < n.length {
				tx.getItemCleanStart(ID{n.id.Client, n.id.Clock + uint64(length)})
			}
			length -= n.length
			tx.deleteItem(n)
		}
	}
	return nil
}

// splitAt returns the visible item ending exactly at visible offset index (nil for 0), splitting
// the item that spans it.
func (t *Type) splitAt(tx *Transaction, index int) *item {
	if index == 0 {
		return nil
	}
	it, off := t.itemAt(index - 1)
	if it == nil {
		return nil // unreachable while the length matches the list; callers checked the index
	}
	if off+1 < it.length {
		tx.getItemCleanStart(ID{it.id.Client, it.id.Clock + uint64(off) + 1})
	}
	return it
}

// insertItem links a new local item with the given content between left and right.
func (tx *Transaction) insertItem(t *Type, left, right *item, it *item) *item {
	it.id = tx.nextID()
	it.left, it.right, it.parent = left, right, t
	if left != nil {
		it.setOrigin(&ID{left.id.Client, left.endClock() - 1})
	}
	if right != nil {
		it.setRightOrigin(&right.id)
	}
	tx.integrate(it, 0)
	return it
}

// formattedInsertPosition finds where Y.Text.insert puts text at index in a text with format
// markers: it walks from the start tracking the attributes in force (Yjs does too), then skips
// deleted items and markers that do not change those attributes.
func (x *Text) formattedInsertPosition(tx *Transaction, index int) (left, right *item) {
	current := map[string]any{}
	right = x.t.start
	for count := index; right != nil && count > 0; left, right = right, right.right {
		if right.deleted() {
			continue
		}
		if right.kind == kindFormat {
			applyFormat(current, right)
			continue
		}
		if right.countable() {
			if count < right.length {
				tx.getItemCleanStart(ID{right.id.Client, right.id.Clock + uint64(count)})
			}
			count -= right.length
		}
	}
	for right != nil {
		if !right.deleted() {
			if right.kind != kindFormat {
				break
			}
			c := right.content.(*formatContent)
			if !equalAttr(current[c.key], parseJSONValue(c.value)) {
				break
			}
		}
		left, right = right, right.right
	}
	return left, right
}

func applyFormat(attrs map[string]any, it *item) {
	c := it.content.(*formatContent)
	if v := parseJSONValue(c.value); v == nil {
		delete(attrs, c.key)
	} else {
		attrs[c.key] = v
	}
}

// equalAttr compares attribute values as Yjs's equalAttrs: identical, or flat-equal objects.
func equalAttr(a, b any) bool {
	ao, aObj := a.(Object)
	bo, bObj := b.(Object)
	if aObj && bObj {
		if len(ao) != len(bo) {
			return false
		}
		for _, f := range ao {
			v, ok := bo.Get(f.Key)
			if !ok || !equalScalar(f.Value, v) {
				return false
			}
		}
		return true
	}
	return equalScalar(a, b)
}

func equalScalar(a, b any) bool {
	switch a.(type) {
	case nil, bool, float64, string, Undefined:
		return a == b
	}
	return false
}
