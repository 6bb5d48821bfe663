package conformance_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	moderncsqlite "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/typeddelete/typeddelete"
)

// failingExec is a DBTX whose every statement fails with err, as a
// caller's transaction would when the database refuses it.
type failingExec struct{ err error }

func (f failingExec) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, f.err
}

func (f failingExec) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, f.err
}

func (f failingExec) PrepareContext(context.Context, string) (*sql.Stmt, error) {
	return nil, f.err
}

func (f failingExec) QueryRowContext(context.Context, string, ...any) *sql.Row {
	return nil
}

type classified struct {
	ID int64 `db:"id,pk"`
}

// classifyCase is a driver error and the sentinel it must match (nil: none).
type classifyCase struct {
	name string
	err  error
	want error
}

// classifyCases are the driver errors of TestDriverErrorsAreClassified.
var classifyCases = []classifyCase{
	{"a PostgreSQL foreign-key violation", &pgconn.PgError{Code: "23503"}, typeddelete.ErrForeignKey},
	{"a PostgreSQL lock_not_available", &pgconn.PgError{Code: "55P03"}, typeddelete.ErrLockTimeout},
	{"a PostgreSQL serialization failure", &pgconn.PgError{Code: "40001"}, typeddelete.ErrSerialization},
	{"a PostgreSQL deadlock", &pgconn.PgError{Code: "40P01"}, typeddelete.ErrSerialization},
	{"a PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, nil},
	{"a MySQL row still referenced", &mysql.MySQLError{Number: 1451}, typeddelete.ErrForeignKey},
	{"a MySQL lock wait timeout", &mysql.MySQLError{Number: 1205}, typeddelete.ErrLockTimeout},
	{"a MySQL deadlock", &mysql.MySQLError{Number: 1213}, typeddelete.ErrSerialization},
	{"a MySQL syntax error", &mysql.MySQLError{Number: 1064}, nil},
	{"a wrapped MySQL deadlock", fmt.Errorf("exec: %w", &mysql.MySQLError{Number: 1213}), typeddelete.ErrSerialization},
	{"a MySQL binary log cache overflow", &mysql.MySQLError{Number: 1197}, typeddelete.ErrTransactionTooLarge},
	{"a MySQL lock table overflow", &mysql.MySQLError{Number: 1206}, typeddelete.ErrTransactionTooLarge},
	{"a TiDB write conflict", &mysql.MySQLError{Number: 9007, Message: "Write conflict, txnStartTS=1, conflictStartTS=2, conflictCommitTS=3, key={tableID=1, handle=1}, reason=Optimistic [try again later]"}, typeddelete.ErrSerialization},
	{"a TiDB write conflict of a stale start", &mysql.MySQLError{Number: 8005}, typeddelete.ErrSerialization},
	{"a TiDB commit safe to retry", &mysql.MySQLError{Number: 8022}, typeddelete.ErrSerialization},
	{"a TiDB schema change during the transaction", &mysql.MySQLError{Number: 8028}, typeddelete.ErrSerialization},
	{"a TiDB conflict after SELECT FOR UPDATE", &mysql.MySQLError{Number: 8002}, typeddelete.ErrSerialization},
	{"a TiDB transaction over txn-total-size-limit", &mysql.MySQLError{Number: 8004, Message: "Transaction is too large, size: 8388619"}, typeddelete.ErrTransactionTooLarge},
	{"a TiDB DELETE over txn-total-size-limit", &mysql.MySQLError{Number: 1105, Message: "txn too large, size: 8388644."}, typeddelete.ErrTransactionTooLarge},
	{"a TiDB statement out of pessimistic lock retries", &mysql.MySQLError{Number: 1105, Message: "pessimistic lock retry limit reached"}, typeddelete.ErrSerialization},
	{"a TiDB statement over tidb_mem_quota_query", &mysql.MySQLError{Number: 8175}, typeddelete.ErrTransactionTooLarge},
	{"another unknown error", &mysql.MySQLError{Number: 1105, Message: "other error"}, nil},
	{"a TiDB PD timeout, which its documentation does not call retryable", &mysql.MySQLError{Number: 9001}, nil},
	{"a modernc SQLite foreign-key failure", &moderncErr{sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY}, typeddelete.ErrForeignKey},
	{"a modernc SQLite busy database", &moderncErr{sqlite3lib.SQLITE_BUSY_SNAPSHOT}, typeddelete.ErrLockTimeout},
	{"a modernc SQLite unique failure", &moderncErr{sqlite3lib.SQLITE_CONSTRAINT_UNIQUE}, nil},
	{"an error of no driver", errors.New("boom"), nil},
}

// TestDriverErrorsAreClassified checks that each driver's codes for a
// foreign-key violation, a lock timeout, a serialization failure and a
// transaction too large match the package's sentinels with errors.Is, that
// errors.As still reaches the driver's own error, and that other errors
// match none.
func TestDriverErrorsAreClassified(t *testing.T) {
	sentinels := []error{typeddelete.ErrForeignKey, typeddelete.ErrLockTimeout, typeddelete.ErrSerialization, typeddelete.ErrTransactionTooLarge}
	for _, tt := range classifyCases {
		t.Run(tt.name, func(t *testing.T) {
			sess := typeddelete.NewSession(failingExec{tt.err}, typeddelete.WithDialect(typeddelete.SQLiteDialect()))
			if err := sess.Delete(&classified{ID: 1}); err != nil {
				t.Fatal(err)
			}
			err := sess.Commit(context.Background())
			if err == nil {
				t.Fatal("Commit succeeded over an executor that fails every statement")
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("the error %v does not wrap the driver's error %v", err, tt.err)
			}
		})
	}
}

// moderncErr has the shape of modernc.org/sqlite's *Error, whose fields
// are unexported: an error with a Code method.
type moderncErr struct{ code int }

func (e *moderncErr) Error() string { return fmt.Sprintf("sqlite error %d", e.code) }
func (e *moderncErr) Code() int     { return e.code }

// The shape above is the driver's.
var _ interface{ Code() int } = (*moderncsqlite.Error)(nil)

// TestDriverDialects checks that the dialect is detected from each driver
// the conformance suite uses, without connecting.
func TestDriverDialects(t *testing.T) {
	tests := []struct {
		name   string
		driver string
		dsn    string
		want   string
	}{
		{"the modernc driver is sqlite", "sqlite", ":memory:", "sqlite"},
		{"the pgx stdlib driver is postgres", "pgx", "postgres://127.0.0.1:1/none", "postgres"},
		{"the mysql driver is mysql", "mysql", "root@tcp(127.0.0.1:1)/none", "mysql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sql.Open(tt.driver, tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			d := typeddelete.NewSession(db).Dialect()
			if d == nil || d.Name() != tt.want {
				t.Fatalf("dialect of the %s driver = %v, want %s", tt.driver, d, tt.want)
			}
		})
	}
}
