package crdt

import (
	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// Values of shared types, as lib0's "any" encoding and Yjs's toJSON produce them: nil (null),
// bool, float64, string, []byte, []any, Object, Undefined, BigInt, map[string]any (a Map's
// JSON), *SubDoc.
type (
	// Object is a JavaScript object with its properties in JavaScript's enumeration order.
	Object = lib0.Object
	// Field is one property of an Object.
	Field = lib0.Field
	// Undefined is JavaScript's undefined.
	Undefined = lib0.Undefined
	// BigInt is a JavaScript bigint.
	BigInt = lib0.BigInt
)

// SubDoc is a subdocument stored in a shared type: Yjs's Y.Doc reference by guid.
type SubDoc struct {
	GUID    string
	Options Object
}

// typeRefUnknown marks a root type that an update created before anyone asked for its kind.
const typeRefUnknown = 255

// Type is a shared type: Yjs's AbstractType. Its sequence items form a list from start; its map
// entries are the rightmost items of each key. Typed views (Text, Map, Array, XmlFragment,
// XmlElement, XmlText) wrap it.
type Type struct {
	doc      *Doc
	item     *item  // the item holding this type; nil for a root
	name     string // a root's name
	ref      uint8  // typeRef* kind
	nodeName string // an XmlElement's node name or an XmlHook's hook name
	depth    int    // 0 for a root, 1 for a type in a root, ...; at most MaxNestingDepth

	start         *item
	entries       map[string]*item
	length        int
	hasFormatting bool

	// Position index (posindex.go).
	root    *item
	indexed bool
}

// Len returns the number of visible units of the type's sequence (UTF-16 units for text).
func (t *Type) Len() int { return t.length }

// Deleted reports whether the type was deleted (its item is deleted).
func (t *Type) Deleted() bool { return t.item != nil && t.item.deleted() }

func (t *Type) entry(key string) *item {
	if t.entries == nil {
		return nil
	}
	return t.entries[key]
}

// itemValues returns the JavaScript values an item's content holds, as getContent() does.
func itemValues(it *item) []any {
	switch it.kind {
	case kindAny:
		return it.content.(*anyContent).values
	case kindJSON:
		raw := it.content.(*jsonContent).values
		values := make([]any, len(raw))
		for i, s := range raw {
			values[i] = parseJSONValue(s)
		}
		return values
	case kindBinary:
		return []any{it.content.(*binaryContent).data}
	case kindEmbed:
		return []any{parseJSONValue(it.content.(*embedContent).json)}
	case kindType:
		return []any{it.content.(*typeContent).t}
	case kindDoc:
		c := it.content.(*docContent)
		return []any{&SubDoc{GUID: c.guid, Options: c.opts}}
	case kindString:
		// A string in a non-text sequence reads as its UTF-16 units; Go keeps whole characters.
		var chars []any
		for _, r := range string(it.text) {
			chars = append(chars, string(r))
		}
		return chars
	}
	return nil
}

// lastValue returns the value of a map entry: the last element of its content.
func lastValue(it *item) any {
	values := itemValues(it)
	if len(values) == 0 {
		return nil
	}
	return values[len(values)-1]
}

// ToJSON returns the type's content as Yjs's toJSON does for its kind: a string for text and
// XML, a map[string]any for maps, a []any for arrays. Nested types are converted too, with a
// stack of their own rather than by recursion, so that no nesting overflows the goroutine stack.
func (t *Type) ToJSON() any {
	var result any
	todo := []jsonSlot{{t, func(v any) { result = v }}}
	for len(todo) > 0 {
		slot := todo[len(todo)-1]
		var v any
		v, todo = slot.t.shallowJSON(todo[:len(todo)-1])
		slot.set(v)
	}
	return result
}

// jsonSlot is a nested type whose JSON is still to compute, and where to put it.
type jsonSlot struct {
	t   *Type
	set func(any)
}

// shallowJSON returns the type's JSON without that of the types nested in it, and todo with a
// slot for each of them appended.
func (t *Type) shallowJSON(todo []jsonSlot) (any, []jsonSlot) {
	switch t.ref {
	case typeRefText:
		return t.String(), todo
	case typeRefMap, typeRefXmlHook:
		m := make(map[string]any)
		for key, it := range t.entries {
			if it.deleted() {
				continue
			}
			v := lastValue(it)
			m[key] = v
			if nested, ok := v.(*Type); ok {
				todo = append(todo, jsonSlot{nested, func(v any) { m[key] = v }})
			}
		}
		return m, todo
	case typeRefArray:
		values := t.values()
		for i, v := range values {
			if nested, ok := v.(*Type); ok {
				todo = append(todo, jsonSlot{nested, func(v any) { values[i] = v }})
			}
		}
		return values, todo
	case typeRefXmlFragment, typeRefXmlElement, typeRefXmlText:
		return jsString(t), todo
	}
	return nil, todo
}

// values returns the visible elements of the type's sequence.
func (t *Type) values() []any {
	values := []any{}
	for n := t.start; n != nil; n = n.right {
		if !n.deleted() && n.countable() {
			values = append(values, itemValues(n)...)
		}
	}
	return values
}

// String returns the type's text: the visible string content of its sequence.
func (t *Type) String() string {
	var b []byte
	for n := t.start; n != nil; n = n.right {
		if n.kind == kindString && !n.deleted() {
			b = append(b, n.text...)
		}
	}
	return string(b)
}
