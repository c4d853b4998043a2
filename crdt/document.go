package crdt

import (
	"errors"
	"fmt"
)

// ErrInvalidClientID reports a client id above MaxClientID.
var ErrInvalidClientID = errors.New("crdt: client id beyond 2^53-1")

// ErrTypeMismatch reports a root type asked for as another kind than it was defined.
var ErrTypeMismatch = errors.New("crdt: root type already defined with a different kind")

// Options configure a Doc. The zero value is a document of client 0 with garbage collection on.
type Options struct {
	// ClientID identifies this replica's edits; it must be unique among the peers of a document
	// and at most MaxClientID. Yjs picks a random 32-bit number.
	ClientID uint64
	// KeepDeleted turns garbage collection off: deleted content stays in the document (and in
	// encoded state), as Yjs does with `new Y.Doc({ gc: false })`.
	KeepDeleted bool
	// MaxPendingStructs caps the structs the document keeps waiting for content it has not
	// received; zero means DefaultMaxPendingStructs. An update that could take it past the cap
	// fails with ErrTooMuchPending.
	MaxPendingStructs int
	// MaxPendingDeleteRanges caps the ranges of deletions the document keeps waiting for content
	// it has not received; zero means DefaultMaxPendingDeleteRanges. An update that could take it
	// past the cap fails with ErrTooMuchPending.
	MaxPendingDeleteRanges int
}

func (o Options) validate() error {
	if o.ClientID > MaxClientID {
		return fmt.Errorf("%w: %d", ErrInvalidClientID, o.ClientID)
	}
	if o.MaxPendingStructs < 0 || o.MaxPendingDeleteRanges < 0 {
		return fmt.Errorf("%w: negative pending cap", ErrInvalidOptions)
	}
	return nil
}

// ErrInvalidOptions reports Options NewDoc cannot use.
var ErrInvalidOptions = errors.New("crdt: invalid options")

// Doc is a Yjs document: a set of named root types and the structs that make them up.
// A Doc is not safe for concurrent use.
type Doc struct {
	clientID uint64
	gc       bool
	store    structStore
	share    map[string]*Type
	pending  pendingStructs
	// pendingDs holds deletions of content not integrated yet, normalized per client;
	// pendingRanges counts its ranges.
	pendingDs     DeleteSet
	pendingRanges int
	markedDs      DeleteSet // the pending deletions at the last ExpirePending
	limits        pendingLimits
	tx            *Transaction
	txSpare       Transaction
	// encodedSizeHint is a little more than the last encoded state: the next buffer's capacity.
	encodedSizeHint int
}

// NewDoc returns an empty document.
func NewDoc(opts Options) (*Doc, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Doc{
		clientID: opts.ClientID,
		gc:       !opts.KeepDeleted,
		store:    newStructStore(),
		share:    make(map[string]*Type),
		pending:  newPendingStructs(),
		limits:   opts.pendingLimits(),
	}, nil
}

// ClientID returns the client id of the document's local edits.
func (d *Doc) ClientID() uint64 { return d.clientID }

// StateVector returns the next expected clock of every client whose content is integrated.
func (d *Doc) StateVector() StateVector { return d.store.stateVector() }

// EncodeStateVector returns the encoded state vector, as Y.encodeStateVector.
func (d *Doc) EncodeStateVector() []byte { return EncodeStateVector(d.StateVector()) }

// HasPending reports whether the document holds structs or deletions that wait for content it
// has not received.
func (d *Doc) HasPending() bool { return !d.pending.empty() || len(d.pendingDs) > 0 }

// root returns the root type name, creating it with kind ref if needed. A root first created
// without a kind (by an update) takes the kind of its first typed access.
func (d *Doc) root(name string, ref uint8) (*Type, error) {
	t := d.share[name]
	if t == nil {
		t = &Type{doc: d, name: name, ref: ref}
		d.share[name] = t
	} else if t.ref == typeRefUnknown {
		t.ref = ref
	}
	if t.ref == typeRefXmlElement && t.nodeName == "" {
		t.nodeName = "UNDEFINED" // what Yjs names a root element
	}
	if ref != typeRefUnknown && t.ref != ref {
		return nil, fmt.Errorf("%w: %q", ErrTypeMismatch, name)
	}
	return t, nil
}

// Roots returns the names of the document's root types.
func (d *Doc) Roots() []string {
	names := make([]string, 0, len(d.share))
	for name := range d.share {
		names = append(names, name)
	}
	return names
}

// Transact runs fn in a transaction and returns the update it produced (update v1), or nil if it
// changed nothing, and fn's error.
//
// An error rolls nothing back: Yjs has no rollback, so the edits fn made before returning the
// error stay in the document and the transaction commits them like any other. The update
// returned with the error describes them; the caller persists and relays it as it would any
// update, or peers miss those edits.
//
// Calls nest: an inner Transact joins the outer transaction and returns a nil update (the outer
// one returns the update of both) and fn's error.
func (d *Doc) Transact(fn func(tx *Transaction) error) ([]byte, error) {
	if d.tx != nil {
		return nil, fn(d.tx)
	}
	tx := d.begin(true)
	err := fn(tx)
	return d.commit(tx, true), err
}

func (d *Doc) begin(local bool) *Transaction {
	// Transactions are reused: a Transaction is only valid inside the function it was passed to.
	tx := &d.txSpare
	*tx = Transaction{
		doc:          d,
		local:        local,
		before:       tx.before[:0],
		deleteSet:    tx.deleteSet,
		mergeStructs: tx.mergeStructs[:0],
		scratch:      tx.scratch[:0],
	}
	clear(tx.deleteSet)
	d.tx = tx
	return tx
}

// commit ends tx: it garbage-collects and merges structs as Yjs's cleanupTransactions does and,
// if wantUpdate, returns the update describing the transaction.
func (d *Doc) commit(tx *Transaction, wantUpdate bool) []byte {
	defer func() { d.tx = nil }()
	tx.cleanup()
	if !wantUpdate {
		return nil
	}
	return tx.encodeUpdate()
}
