//go:build cgo

package conformance_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// The mattn driver, the embedded default, runs first.
func init() {
	dbKinds = append([]dbKind{{"sqlite", openMattn}}, dbKinds...)
	classifyCases = append(classifyCases,
		classifyCase{"a mattn SQLite foreign-key failure", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintForeignKey}, typeddelete.ErrForeignKey},
		classifyCase{"a mattn SQLite busy database", sqlite3.Error{Code: sqlite3.ErrBusy, ExtendedCode: sqlite3.ErrBusySnapshot}, typeddelete.ErrLockTimeout},
		classifyCase{"a mattn SQLite unique failure", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, nil},
	)
}

func openMattn(t *testing.T) *sql.DB {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// isMattnFKError reports whether e is mattn's foreign-key error.
func isMattnFKError(e error) bool {
	se, ok := e.(sqlite3.Error)
	return ok && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}
