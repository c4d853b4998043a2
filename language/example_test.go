package language_test

import (
	"fmt"

	"github.com/pairpad/pairpad/language"
)

func ExampleLookup() {
	l, ok := language.Lookup(language.Default)
	fmt.Printf("%v %s %s %q\n", ok, l.Name, l.Extension, l.Starter)
	_, ok = language.Lookup("Python") // IDs are case-sensitive
	fmt.Println(ok)
	// Output:
	// true Python .py "# Write your Python code here\n\n"
	// false
}

func ExampleAll() {
	for _, l := range language.All()[:3] {
		fmt.Println(l.ID, l.Name, l.Extension)
	}
	// Output:
	// python Python .py
	// javascript JavaScript .js
	// typescript TypeScript .ts
}
