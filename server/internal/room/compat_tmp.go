package room

import "github.com/pairpad/pairpad/crdt"

// TEMPORARY until crdt.Doc.Transact returns an error.
func transactDoc(d *crdt.Doc, fn func(tx *crdt.Transaction) error) ([]byte, error) {
	var err error
	u := d.Transact(func(tx *crdt.Transaction) { err = fn(tx) })
	return u, err
}
