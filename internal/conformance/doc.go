// Package conformance holds typeddelete's tests of its public API: the
// suite that runs it against real databases (SQLite through two drivers,
// PostgreSQL and MySQL/MariaDB) and the exact-SQL tests over go-sqlmock.
// It is a module of its own so that the drivers it needs are not
// requirements of the library. Server databases are read from environment
// variables and skipped with a message when unset (failed under CI=true).
package conformance
