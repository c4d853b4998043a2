package crdt

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/pairpad/pairpad/crdt/internal/lib0"
)

// Struct and content kinds: the low five bits of a struct's info byte on the wire.
const (
	kindGC      = 0  // garbage-collected content: only a length remains
	kindDeleted = 1  // ContentDeleted: deleted content whose value was dropped
	kindJSON    = 2  // ContentJSON: JSON-encoded values (legacy)
	kindBinary  = 3  // ContentBinary: one byte array
	kindString  = 4  // ContentString: text
	kindEmbed   = 5  // ContentEmbed: one JSON value embedded in text
	kindFormat  = 6  // ContentFormat: a formatting marker (key, JSON value) in text
	kindType    = 7  // ContentType: a nested shared type
	kindAny     = 8  // ContentAny: values in lib0's any encoding
	kindDoc     = 9  // ContentDoc: a subdocument (guid and options)
	kindSkip    = 10 // Skip: a gap in an update, never integrated
)

// Bits of a struct's info byte besides the kind.
const (
	infoHasOrigin      = 0b1000_0000
	infoHasRightOrigin = 0b0100_0000
	infoHasParentSub   = 0b0010_0000
	infoKindMask       = 0b0001_1111
)

// Type references of ContentType on the wire.
const (
	typeRefArray       = 0
	typeRefMap         = 1
	typeRefText        = 2
	typeRefXmlElement  = 3
	typeRefXmlFragment = 4
	typeRefXmlHook     = 5
	typeRefXmlText     = 6
)

// jsonContent holds ContentJSON values as their JSON texts ("undefined" for undefined).
type jsonContent struct{ values []string }

// anyContent holds ContentAny values as decoded by lib0.
type anyContent struct{ values []any }

// binaryContent holds one byte array.
type binaryContent struct{ data []byte }

// embedContent holds an embed's JSON text.
type embedContent struct{ json string }

// formatContent is a formatting marker: attribute key and its JSON-encoded value ("null" ends it).
type formatContent struct {
	key   string
	value string
}

// typeContent holds a nested shared type.
type typeContent struct{ t *Type }

// docContent is a subdocument reference: its guid and its options as Yjs writes them back.
type docContent struct {
	guid string
	opts lib0.Object
}

// countableKind reports whether content of kind counts toward a sequence's length.
func countableKind(kind uint8) bool {
	return kind != kindDeleted && kind != kindFormat && kind != kindGC && kind != kindSkip
}

// utf16LenValid returns the UTF-16 length of s and whether s is valid UTF-8, in one pass that
// takes ASCII eight bytes at a time.
func utf16LenValid(s []byte) (int, bool) {
	n := 0
	i := 0
	for i < len(s) {
		if i+8 <= len(s) && binary.LittleEndian.Uint64(s[i:])&0x8080808080808080 == 0 {
			i += 8
			n += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return 0, false
		}
		i += size
		if size == 4 {
			n += 2
		} else {
			n++
		}
	}
	return n, true
}

// utf16Offset returns the byte offset in UTF-8 text s of UTF-16 offset off, and whether off
// falls between the two halves of a surrogate pair (then the offset returned is that of the
// character that is split).
func utf16Offset(s []byte, off int) (byteOff int, splitsPair bool) {
	units := 0
	for i := 0; i < len(s); {
		if units >= off {
			return i, false
		}
		c := s[i]
		switch {
		case c < 0x80:
			i++
			units++
		case c < 0xe0:
			i += 2
			units++
		case c < 0xf0:
			i += 3
			units++
		default:
			if units+1 == off {
				return i, true
			}
			i += 4
			units += 2
		}
	}
	return len(s), false
}

// replacementChar is U+FFFD in UTF-8: what a surrogate half becomes when text is split inside
// a surrogate pair (Yjs does the same, and UTF-8 cannot hold a lone surrogate anyway).
const replacementChar = "\uFFFD"

// splitText splits UTF-8 text of utf16Length units at UTF-16 offset off. Splitting inside a
// surrogate pair turns both halves into U+FFFD, as Yjs's ContentString.splice does. The left
// part's capacity is clipped so that appending to it never overwrites the right part.
func splitText(s []byte, utf16Length, off int) (left, right []byte) {
	if utf16Length == len(s) { // ASCII: units are bytes
		return s[:off:off], s[off:]
	}
	at, splitsPair := utf16Offset(s, off)
	if !splitsPair {
		return s[:at:at], s[at:]
	}
	left = make([]byte, 0, at+len(replacementChar))
	left = append(append(left, s[:at]...), replacementChar...)
	right = make([]byte, 0, len(s)-at-4+len(replacementChar))
	right = append(append(right, replacementChar...), s[at+4:]...)
	return left, right
}

// textFrom returns the text s without its first off UTF-16 units, as written by Yjs when an
// item is encoded from an offset: a lone low surrogate at the start becomes U+FFFD.
func textFrom(s []byte, utf16Length, off int) []byte {
	if off == 0 {
		return s
	}
	_, right := splitText(s, utf16Length, off)
	return right
}
