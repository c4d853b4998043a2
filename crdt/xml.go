package crdt

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// xmlElementParts returns the parts of an XmlElement's string, as Yjs's toString writes it:
// markup, attribute values and children, for jsString to write.
func (t *Type) xmlElementParts() []any {
	attrs := t.attributes()
	name := strings.ToLower(t.nodeName)
	parts := []any{"<" + name}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		parts = append(parts, " "+k+`="`, attrs[k], `"`)
	}
	parts = append(parts, ">")
	parts = append(parts, t.values()...)
	return append(parts, "</"+name+">")
}

// attributes returns the current values of a type's map entries.
func (t *Type) attributes() map[string]any {
	attrs := make(map[string]any)
	for key, it := range t.entries {
		if !it.deleted() {
			attrs[key] = lastValue(it)
		}
	}
	return attrs
}

// deltaOp is one run of a text's delta: inserted text or an embed, with the attributes in force.
type deltaOp struct {
	insert     any // string, embed value or *Type
	attributes Object
}

// delta returns the text as Yjs's toDelta does (without snapshots).
func (t *Type) delta() []deltaOp {
	var ops []deltaOp
	var current Object
	var str strings.Builder
	pack := func() {
		if str.Len() > 0 {
			ops = append(ops, deltaOp{insert: str.String(), attributes: cloneObject(current)})
			str.Reset()
		}
	}
	for n := t.start; n != nil; n = n.right {
		if n.deleted() {
			continue
		}
		switch n.kind {
		case kindString:
			str.Write(n.text)
		case kindType, kindEmbed:
			pack()
			ops = append(ops, deltaOp{insert: itemValues(n)[0], attributes: cloneObject(current)})
		case kindFormat:
			pack()
			c := n.content.(*formatContent)
			current = updateAttributes(current, c.key, parseJSONValue(c.value))
		}
	}
	pack()
	return ops
}

// updateAttributes applies a format marker to the attributes in force: null removes the key.
func updateAttributes(attrs Object, key string, value any) Object {
	if value == nil {
		for i, f := range attrs {
			if f.Key == key {
				return append(attrs[:i:i], attrs[i+1:]...)
			}
		}
		return attrs
	}
	// Attributes live in a JavaScript Map: insertion order, no index-key reordering.
	for i, f := range attrs {
		if f.Key == key {
			out := cloneObject(attrs)
			out[i].Value = value
			return out
		}
	}
	return append(cloneObject(attrs), Field{Key: key, Value: value})
}

// xmlTextParts returns the parts of an XmlText's string: each delta run wrapped in one element
// per attribute, for jsString to write.
func (t *Type) xmlTextParts() []any {
	type attr struct {
		key   string
		value any
	}
	type node struct {
		name  string
		attrs []attr
	}
	var parts []any
	for _, op := range t.delta() {
		var nodes []node
		for _, f := range op.attributes {
			n := node{name: f.Key}
			for _, kv := range forInPairs(f.Value) {
				n.attrs = append(n.attrs, attr{kv.Key, kv.Value})
			}
			sort.SliceStable(n.attrs, func(i, j int) bool { return n.attrs[i].key < n.attrs[j].key })
			nodes = append(nodes, n)
		}
		sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].name < nodes[j].name })
		for _, n := range nodes {
			parts = append(parts, "<"+n.name)
			for _, a := range n.attrs {
				parts = append(parts, " "+a.key+`="`, a.value, `"`)
			}
			parts = append(parts, ">")
		}
		parts = append(parts, op.insert)
		for i := len(nodes) - 1; i >= 0; i-- {
			parts = append(parts, "</"+nodes[i].name+">")
		}
	}
	return parts
}

// forInPairs returns what JavaScript's for-in enumerates over v with the values at those keys:
// an object's properties, a string's indices; nothing for other values.
func forInPairs(v any) []Field {
	switch v := v.(type) {
	case Object:
		return v
	case string:
		var out []Field
		i := 0
		for _, r := range v {
			out = append(out, Field{Key: strconv.Itoa(i), Value: string(r)})
			i++
		}
		return out
	case []any:
		var out []Field
		for i, x := range v {
			out = append(out, Field{Key: strconv.Itoa(i), Value: x})
		}
		return out
	}
	return nil
}

// jsString converts a value to a string as JavaScript's String() or template literals do; XML
// types render as Yjs's toString does. The values a value is made of (array elements, a type's
// children) wait on a stack of their own rather than on the goroutine's, so that no nesting
// overflows it.
func jsString(v any) string {
	var b strings.Builder
	todo := []any{v} // what is left to write, the next one last
	for len(todo) > 0 {
		v := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		parts, composite := jsParts(v)
		if !composite {
			b.WriteString(jsScalarString(v))
			continue
		}
		for _, part := range slices.Backward(parts) {
			todo = append(todo, part)
		}
	}
	return b.String()
}

// jsParts returns the values whose strings, one after another, make the string of a value made
// of others; composite is false for any other value.
func jsParts(v any) (parts []any, composite bool) {
	switch v := v.(type) {
	case []any:
		return joinParts(v), true
	case *Type:
		switch v.ref {
		case typeRefXmlElement:
			return v.xmlElementParts(), true
		case typeRefXmlFragment:
			return v.values(), true
		case typeRefXmlText:
			return v.xmlTextParts(), true
		case typeRefArray:
			return joinParts(v.values()), true
		}
	}
	return nil, false
}

// joinParts returns elements separated by commas, as Array.prototype.join writes them: null and
// undefined as nothing.
func joinParts(elements []any) []any {
	parts := make([]any, 0, 2*len(elements))
	for i, x := range elements {
		if i > 0 {
			parts = append(parts, ",")
		}
		if x != nil && x != (Undefined{}) {
			parts = append(parts, x)
		}
	}
	return parts
}

// jsScalarString converts a value that jsParts does not split to a string, as jsString does.
func jsScalarString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case Undefined:
		return "undefined"
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return jsNumberString(v)
	case string:
		return v
	case BigInt:
		return strconv.FormatInt(int64(v), 10)
	case []byte:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Itoa(int(x))
		}
		return strings.Join(parts, ",")
	case *Type:
		if v.ref == typeRefText {
			return v.String()
		}
	}
	return "[object Object]"
}

// jsNumberString formats a float64 as JavaScript's Number.prototype.toString does.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes e+21 and e-07; JavaScript writes e+21 and e-7.
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		return mant + "e" + string(sign) + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func cloneObject(o Object) Object { return append(Object(nil), o...) }
