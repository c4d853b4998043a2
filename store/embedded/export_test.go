package embedded

// OpenJournalLimit is Open with a journal limit of limit bytes instead of DefaultJournalLimit,
// so that tests fold records after a few commits.
func OpenJournalLimit(dir string, limit int) (*Store, error) {
	return open(dir, options{journalLimit: limit})
}

// SnapshotChunk is the size of the chunks a large snapshot is written in.
const SnapshotChunk = snapshotChunk
