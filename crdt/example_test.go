package crdt_test

import (
	"fmt"

	"github.com/pairpad/pairpad/crdt"
)

// Two replicas edit the same text concurrently and exchange the updates their transactions
// produced; both end with the same text, whatever the order the updates arrive in.
func Example() {
	alice, _ := crdt.NewDoc(crdt.Options{ClientID: 1})
	bob, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
	aliceText, _ := alice.GetText("code")
	bobText, _ := bob.GetText("code")

	start := alice.Transact(func(tx *crdt.Transaction) { aliceText.Insert(tx, 0, "func main() {}") })
	_ = bob.ApplyUpdate(start)

	// Concurrent edits: Alice renames, Bob fills the body.
	fromAlice := alice.Transact(func(tx *crdt.Transaction) {
		_ = aliceText.Delete(tx, 5, 4)
		_ = aliceText.Insert(tx, 5, "run")
	})
	fromBob := bob.Transact(func(tx *crdt.Transaction) { _ = bobText.Insert(tx, 13, " return ") })

	_ = alice.ApplyUpdate(fromBob)
	_ = bob.ApplyUpdate(fromAlice)
	fmt.Println(aliceText.String())
	fmt.Println(bobText.String())
	// Output:
	// func run() { return }
	// func run() { return }
}

// A state vector tells a peer what to send: EncodeStateAsUpdate writes only what is missing.
func ExampleDoc_EncodeStateAsUpdate() {
	server, _ := crdt.NewDoc(crdt.Options{ClientID: 1})
	text, _ := server.GetText("code")
	server.Transact(func(tx *crdt.Transaction) { _ = text.Insert(tx, 0, "print('hi')") })

	client, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
	missing, _ := server.EncodeStateAsUpdate(client.EncodeStateVector())
	_ = client.ApplyUpdate(missing)
	clientText, _ := client.GetText("code")
	fmt.Println(clientText.String(), clientText.Len())
	// Output: print('hi') 11
}
