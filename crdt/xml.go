package crdt

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// xmlString renders an XML type as Yjs's toString does.
func (t *Type) xmlString() string {
	var b strings.Builder
	t.writeXML(&b)
	return b.String()
}

func (t *Type) writeXML(b *strings.Builder) {
	switch t.ref {
	case typeRefXmlText:
		t.writeXMLText(b)
	case typeRefXmlElement:
		attrs := t.attributes()
		keys := make([]string, 0, len(attrs))
		for k := range attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		name := strings.ToLower(t.nodeName)
		b.WriteString("<" + name)
		for _, k := range keys {
			b.WriteString(" " + k + `="` + jsString(attrs[k]) + `"`)
		}
		b.WriteString(">")
		t.writeXMLChildren(b)
		b.WriteString("</" + name + ">")
	case typeRefXmlFragment:
		t.writeXMLChildren(b)
	default:
		b.WriteString(jsString(t))
	}
}

func (t *Type) writeXMLChildren(b *strings.Builder) {
	for _, v := range t.values() {
		b.WriteString(jsString(v))
	}
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

// writeXMLText renders an XmlText: each delta run wrapped in one element per attribute.
func (t *Type) writeXMLText(b *strings.Builder) {
	type attr struct{ key, value string }
	type node struct {
		name  string
		attrs []attr
	}
	for _, op := range t.delta() {
		var nodes []node
		for _, f := range op.attributes {
			n := node{name: f.Key}
			for _, kv := range forInPairs(f.Value) {
				n.attrs = append(n.attrs, attr{kv.Key, jsString(kv.Value)})
			}
			sort.SliceStable(n.attrs, func(i, j int) bool { return n.attrs[i].key < n.attrs[j].key })
			nodes = append(nodes, n)
		}
		sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].name < nodes[j].name })
		for _, n := range nodes {
			b.WriteString("<" + n.name)
			for _, a := range n.attrs {
				b.WriteString(" " + a.key + `="` + a.value + `"`)
			}
			b.WriteString(">")
		}
		b.WriteString(jsString(op.insert))
		for i := len(nodes) - 1; i >= 0; i-- {
			b.WriteString("</" + nodes[i].name + ">")
		}
	}
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

// jsString converts a value to a string as JavaScript's String() or template literals do.
func jsString(v any) string {
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
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if x != nil && x != (Undefined{}) {
				parts[i] = jsString(x)
			}
		}
		return strings.Join(parts, ",")
	case []byte:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Itoa(int(x))
		}
		return strings.Join(parts, ",")
	case *Type:
		switch v.ref {
		case typeRefXmlElement, typeRefXmlFragment, typeRefXmlText:
			return v.xmlString()
		case typeRefText:
			return v.String()
		case typeRefArray:
			return jsString(v.values())
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
