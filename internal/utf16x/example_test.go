package utf16x_test

import (
	"fmt"

	"github.com/pairpad/pairpad/internal/utf16x"
)

// A browser's cursor after "a😀" is at position 3 (the emoji is two UTF-16 units); in Go's
// UTF-8 string it is at byte 5.
func Example() {
	code := "a😀b"
	fmt.Println(utf16x.Len(code))
	fmt.Println(utf16x.ByteOffset(code, 3))
	fmt.Println(utf16x.ByteOffset(code, 2)) // inside the emoji: its start
	fmt.Println(utf16x.ByteOffset(code, 99))
	// Output:
	// 4
	// 5
	// 1
	// 6
}
