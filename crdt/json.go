package crdt

import (
	"encoding/json"
	"strings"
)

// parseJSONValue parses JSON text as JSON.parse would: numbers become float64, objects Object
// with JavaScript's property order, "undefined" (ContentJSON's spelling) Undefined. Content was
// validated when decoded; text that does not parse yields nil.
func parseJSONValue(s string) any {
	if s == "undefined" {
		return Undefined{}
	}
	dec := json.NewDecoder(strings.NewReader(s))
	v, err := readJSONValue(dec)
	if err != nil {
		return nil
	}
	return v
}

func readJSONValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := readJSONValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		case '{':
			obj := Object{}
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readJSONValue(dec)
				if err != nil {
					return nil, err
				}
				obj = obj.Set(key.(string), v)
			}
			_, err := dec.Token()
			return obj, err
		}
	}
	return tok, nil
}
