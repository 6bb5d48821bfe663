// Package sqlite opens SQLite databases for typeddelete sessions through
// github.com/mattn/go-sqlite3, the embedded default. It is a package of its
// own so that programs on other databases do not build SQLite (or need
// cgo): import it only where SQLite is used.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Open opens the SQLite database file at path with github.com/mattn/go-sqlite3,
// set up for a unit of work: foreign keys ON, WAL journal, synchronous=NORMAL,
// a 5-second busy timeout and BEGIN IMMEDIATE transactions (so a commit
// takes the write lock up front instead of failing half way). The file is
// created if missing. ":memory:" opens an in-memory database on a single
// connection. It pings the database before returning.
func Open(path string) (*sql.DB, error) {
	if path == "" || strings.ContainsRune(path, 0) {
		return nil, fmt.Errorf("sqlite: Open: invalid path %q", path)
	}
	// The DSN is a SQLite URI filename: escape what a URI would read as
	// its query, fragment or an escape.
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	dsn := "file:" + escaped + "?_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: Open %q: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: Open %q: %w", path, err)
	}
	return db, nil
}
