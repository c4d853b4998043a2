// Package store defines how pairpad keeps rooms durable: room metadata, the op log of accepted
// updates and snapshots of encoded state. Each backend lives in a sub-package (postgres,
// embedded) and passes the same conformance suite, storetest.Run.
package store
