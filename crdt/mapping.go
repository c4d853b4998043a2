package crdt

import (
	"fmt"
	"sort"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// Map is a shared map from string keys to values: Yjs's Y.Map.
type Map struct{ t *Type }

// GetMap returns the root map named name, creating it if needed.
func (d *Doc) GetMap(name string) (*Map, error) {
	t, err := d.root(name, typeRefMap)
	if err != nil {
		return nil, err
	}
	return &Map{t}, nil
}

// Type returns the shared type behind the map.
func (m *Map) Type() *Type { return m.t }

// Get returns the value of key and whether it is set.
func (m *Map) Get(key string) (any, bool) {
	it := m.t.entry(key)
	if it == nil || it.deleted() {
		return nil, false
	}
	return lastValue(it), true
}

// Keys returns the keys that are set, sorted.
func (m *Map) Keys() []string {
	var keys []string
	for key, it := range m.t.entries {
		if !it.deleted() {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// ToJSON returns the map's content with nested types converted.
func (m *Map) ToJSON() map[string]any { return m.t.ToJSON().(map[string]any) }

// Set sets key to value, as Y.Map.set: []byte is stored as binary content, *SubDoc as a
// subdocument, anything else that lib0's any encoding takes as a JSON-like value.
func (m *Map) Set(tx *Transaction, key string, value any) error {
	it, err := contentItem(value)
	if err != nil {
		return err
	}
	if err := tx.checkClock(it.length); err != nil {
		return err
	}
	left := m.t.entry(key)
	if m.t.entries == nil {
		m.t.entries = make(map[string]*item)
	}
	it.id = tx.nextID()
	it.left = left
	if left != nil {
		it.setOrigin(&ID{left.id.Client, left.endClock() - 1})
	}
	it.parent = m.t
	it.ext = &itemExt{parentSub: key}
	it.flags |= flagHasParentSub
	tx.integrate(it, 0)
	return nil
}

// Delete removes key.
func (m *Map) Delete(tx *Transaction, key string) {
	if it := m.t.entry(key); it != nil {
		tx.deleteItem(it)
	}
}

// contentItem wraps one value in an unlinked item of the right content kind.
func contentItem(value any) (*item, error) {
	switch v := value.(type) {
	case []byte:
		return &item{kind: kindBinary, content: &binaryContent{data: append([]byte(nil), v...)}, length: 1}, nil
	case *SubDoc:
		return &item{kind: kindDoc, content: &docContent{guid: v.GUID, opts: subdocOptions(v.Options)}, length: 1}, nil
	}
	var e lib0.Encoder
	if err := e.WriteAny(value); err != nil {
		return nil, fmt.Errorf("crdt: %w", err)
	}
	// Store the value as a peer decoding it would hold it.
	v := lib0.NewDecoder(e.Bytes()).ReadAny()
	return &item{kind: kindAny, content: &anyContent{values: []any{v}}, length: 1}, nil
}

// Array is a shared array: Yjs's Y.Array.
type Array struct{ t *Type }

// GetArray returns the root array named name, creating it if needed.
func (d *Doc) GetArray(name string) (*Array, error) {
	t, err := d.root(name, typeRefArray)
	if err != nil {
		return nil, err
	}
	return &Array{t}, nil
}

// Type returns the shared type behind the array.
func (a *Array) Type() *Type { return a.t }

// Len returns the number of elements.
func (a *Array) Len() int { return a.t.length }

// ToJSON returns the elements with nested types converted.
func (a *Array) ToJSON() []any { return a.t.ToJSON().([]any) }

// Insert inserts values at index, as Y.Array.insert: consecutive JSON-like values share one item.
func (a *Array) Insert(tx *Transaction, index int, values ...any) error {
	t := a.t
	if index < 0 || index > t.length {
		return fmt.Errorf("%w: insert at %d of %d", ErrIndexOutOfRange, index, t.length)
	}
	if err := tx.checkClock(len(values)); err != nil { // each value is one unit
		return err
	}
	items := make([]*item, 0, 1)
	for _, v := range values {
		it, err := contentItem(v)
		if err != nil {
			return err
		}
		if n := len(items); n > 0 && it.kind == kindAny && items[n-1].kind == kindAny {
			items[n-1].appendContent(it)
			continue
		}
		items = append(items, it)
	}
	left := t.splitAt(tx, index)
	right := t.start
	if left != nil {
		right = left.right
	}
	for _, it := range items {
		left = tx.insertItem(t, left, right, it)
	}
	return nil
}

// Delete deletes length elements from index.
func (a *Array) Delete(tx *Transaction, index, length int) error {
	t := a.t
	if index < 0 || length < 0 || index+length > t.length {
		return fmt.Errorf("%w: delete %d at %d of %d", ErrIndexOutOfRange, length, index, t.length)
	}
	left := t.splitAt(tx, index)
	n := t.start
	if left != nil {
		n = left.right
	}
	for ; length > 0 && n != nil; n = n.right {
		if n.deleted() || !n.countable() {
			continue
		}
		if length < n.length {
			tx.getItemCleanStart(ID{n.id.Client, n.id.Clock + uint64(length)})
		}
		length -= n.length
		tx.deleteItem(n)
	}
	return nil
}

// XmlFragment, XmlElement and XmlText give read access to Yjs's XML types by name.

// GetXmlFragment returns the root XML fragment named name.
func (d *Doc) GetXmlFragment(name string) (*Type, error) { return d.root(name, typeRefXmlFragment) }

// GetXmlElement returns the root XML element named name.
func (d *Doc) GetXmlElement(name string) (*Type, error) { return d.root(name, typeRefXmlElement) }

// GetXmlText returns the root XML text named name.
func (d *Doc) GetXmlText(name string) (*Type, error) { return d.root(name, typeRefXmlText) }
