package postgres

// MigrateTo is migrateTo, for the tests that migrate the schema of an older pairpad.
var MigrateTo = migrateTo
