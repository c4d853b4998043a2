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

	start, _ := alice.Transact(func(tx *crdt.Transaction) error { return aliceText.Insert(tx, 0, "func main() {}") })
	_ = bob.ApplyUpdate(start)

	// Concurrent edits: Alice renames, Bob fills the body.
	fromAlice, _ := alice.Transact(func(tx *crdt.Transaction) error {
		if err := aliceText.Delete(tx, 5, 4); err != nil {
			return err
		}
		return aliceText.Insert(tx, 5, "run")
	})
	fromBob, _ := bob.Transact(func(tx *crdt.Transaction) error { return bobText.Insert(tx, 13, " return ") })

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
	_, _ = server.Transact(func(tx *crdt.Transaction) error { return text.Insert(tx, 0, "print('hi')") })

	client, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
	missing, _ := server.EncodeStateAsUpdate(client.EncodeStateVector())
	_ = client.ApplyUpdate(missing)
	clientText, _ := client.GetText("code")
	fmt.Println(clientText.String(), clientText.Len())
	// Output: print('hi') 11
}

// An error from the function given to Transact rolls nothing back, as in Yjs: the edits made
// before it stay in the document, and the update returned with the error must reach the peers
// like any other.
func ExampleDoc_Transact() {
	doc, _ := crdt.NewDoc(crdt.Options{ClientID: 1})
	text, _ := doc.GetText("code")
	update, err := doc.Transact(func(tx *crdt.Transaction) error {
		if err := text.Insert(tx, 0, "x := 1"); err != nil {
			return err
		}
		return text.Delete(tx, 10, 1) // past the end
	})
	fmt.Println(err)

	peer, _ := crdt.NewDoc(crdt.Options{ClientID: 2})
	_ = peer.ApplyUpdate(update)
	peerText, _ := peer.GetText("code")
	fmt.Printf("%q %q\n", text.String(), peerText.String())
	// Output:
	// crdt: index out of range: delete 1 at 10 of 6
	// "x := 1" "x := 1"
}
