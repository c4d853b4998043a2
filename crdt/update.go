package crdt

// Update is a decoded update v1: its structs parsed but not integrated into any document.
type Update struct{ u *decodedUpdate }

// DecodeUpdate parses an update v1 without integrating it, as Y.decodeUpdate does. The result
// may alias update's bytes.
func DecodeUpdate(update []byte) (*Update, error) {
	u, err := decodeUpdate(update)
	if err != nil {
		return nil, err
	}
	return &Update{u}, nil
}

// NumStructs returns the number of structs (items, GCs and Skips) in the update.
func (u *Update) NumStructs() int {
	n := 0
	for _, cs := range u.u.clients {
		n += len(cs.structs)
	}
	return n
}

// DeleteSet returns the update's delete set.
func (u *Update) DeleteSet() DeleteSet { return u.u.ds }
