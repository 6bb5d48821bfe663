package typeddelete

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// TestClassify checks that each driver's codes for a foreign-key violation,
// a lock timeout and a serialization failure match the package's sentinels,
// with the driver's error still reachable, and that other errors pass
// through unchanged.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error // nil: returned as it is
	}{
		{"a PostgreSQL foreign-key violation", &pgconn.PgError{Code: "23503"}, ErrForeignKey},
		{"a PostgreSQL lock_not_available", &pgconn.PgError{Code: "55P03"}, ErrLockTimeout},
		{"a PostgreSQL serialization failure", &pgconn.PgError{Code: "40001"}, ErrSerialization},
		{"a PostgreSQL deadlock", &pgconn.PgError{Code: "40P01"}, ErrSerialization},
		{"a PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, nil},
		{"a MySQL row still referenced", &mysql.MySQLError{Number: 1451}, ErrForeignKey},
		{"a MySQL lock wait timeout", &mysql.MySQLError{Number: 1205}, ErrLockTimeout},
		{"a MySQL deadlock", &mysql.MySQLError{Number: 1213}, ErrSerialization},
		{"a MySQL syntax error", &mysql.MySQLError{Number: 1064}, nil},
		{"a SQLite foreign-key failure", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintForeignKey}, ErrForeignKey},
		{"a busy SQLite database", sqlite3.Error{Code: sqlite3.ErrBusy, ExtendedCode: sqlite3.ErrBusySnapshot}, ErrLockTimeout},
		{"a SQLite unique failure", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, nil},
		{"a wrapped MySQL deadlock", fmt.Errorf("exec: %w", &mysql.MySQLError{Number: 1213}), ErrSerialization},
		{"an error of no driver", errors.New("boom"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			if tt.want == nil {
				if got != tt.err {
					t.Fatalf("classify(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if !errors.Is(got, tt.want) {
				t.Fatalf("classify(%v) = %v, want errors.Is %v", tt.err, got, tt.want)
			}
			if !errors.Is(got, tt.err) && !errors.Is(errors.Unwrap(got), tt.err) {
				t.Fatalf("classify(%v) = %v, which does not wrap the driver's error", tt.err, got)
			}
		})
	}
	if classify(nil) != nil {
		t.Fatal("classify(nil) is not nil")
	}
}
