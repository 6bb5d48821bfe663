package typeddelete

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Sentinel errors, for errors.Is. Errors about models, predicates and
// relations wrap one of these; errors from the database wrap the driver's
// error (and ErrForeignKey, ErrLockTimeout, ErrSerialization or
// ErrTransactionTooLarge where its code says so); a cancelled context is
// returned as the context's error.
var (
	// ErrNotFound is returned by First and Get when no row matches. It also
	// matches sql.ErrNoRows with errors.Is.
	ErrNotFound error = notFound{}

	// ErrInvalidModel reports a value that cannot be used as a model: nil, a
	// non-pointer, a pointer to a non-struct, or a struct with no primary key.
	ErrInvalidModel = errors.New("typeddelete: invalid model")

	// ErrNotPersisted reports an object whose primary key (or any part of a
	// composite key) is the zero value, so it was never stored.
	ErrNotPersisted = errors.New("typeddelete: object has a zero primary key")

	// ErrUnknownColumn reports a column name that the model does not map.
	ErrUnknownColumn = errors.New("typeddelete: unknown column")

	// ErrInvalidValue reports a value whose type does not fit its column, a
	// wrong number of primary-key values, or a key or other argument whose
	// Value method fails (the method's error is wrapped; nothing of the
	// Commit is kept).
	ErrInvalidValue = errors.New("typeddelete: invalid value")

	// ErrInvalidPredicate reports a predicate that cannot be rendered: the
	// zero Predicate, a Column not made by Col, Raw(nil), or a Raw
	// expression that renders to nothing.
	ErrInvalidPredicate = errors.New("typeddelete: invalid predicate")

	// ErrInvalidRelation reports a Relation declaration that does not fit the
	// models or the database: an unknown column, a foreign-key field whose
	// type cannot hold the values of the column it references, two policies
	// on one relation, SetNull on a column that cannot be NULL, Database
	// where the foreign key has no ON DELETE action.
	ErrInvalidRelation = errors.New("typeddelete: invalid relation")

	// ErrRestricted reports a delete refused by a Restrict relation because
	// child rows still exist. Use errors.As with *RestrictError for details.
	ErrRestricted = errors.New("typeddelete: delete restricted by child rows")

	// ErrCycle reports tables whose foreign keys form a cycle that no delete
	// order satisfies. Nothing is sent.
	ErrCycle = errors.New("typeddelete: foreign-key cycle")

	// ErrVersionConflict reports versioned objects whose row changed or was
	// deleted since Delete registered them: the row no longer has the
	// version the object had then. Use errors.As with *StaleDataError.
	ErrVersionConflict = errors.New("typeddelete: version conflict")

	// ErrMissingWhere reports a bulk delete with no filter, or with a filter
	// that is always true. Call AllRows to delete every row on purpose.
	ErrMissingWhere = errors.New("typeddelete: bulk delete without a filter")

	// ErrStaleData reports, with strict row counts, keys that matched no row
	// at Commit. Use errors.As with *StaleDataError for the table and keys.
	ErrStaleData = errors.New("typeddelete: stale data")

	// ErrDialectMismatch reports a WithDialect that does not match the
	// database's driver.
	ErrDialectMismatch = errors.New("typeddelete: dialect does not match the driver")

	// ErrForeignKey reports a statement the database refused because a
	// foreign key still references the row. The driver's error is wrapped.
	ErrForeignKey = errors.New("typeddelete: foreign key violation")

	// ErrLockTimeout reports a statement that waited too long for a lock or
	// found the database busy. The driver's error is wrapped.
	ErrLockTimeout = errors.New("typeddelete: lock timeout")

	// ErrSerialization reports a transaction the database aborted to keep
	// transactions serializable, a deadlock included; retrying the Commit
	// may succeed. The driver's error is wrapped.
	ErrSerialization = errors.New("typeddelete: serialization failure")

	// ErrTransactionTooLarge reports a transaction, or one statement of it,
	// that the database refused for its size: more writes than one
	// transaction may hold (TiDB's txn-total-size-limit, MySQL's binlog
	// cache or lock table) or more memory than one statement may use
	// (TiDB's tidb_mem_quota_query). Everything is rolled back, so running
	// the Commit again fails the same way: delete the rows in chunks, each
	// committed on its own, with TypedQuery.Purge. The driver's error is
	// wrapped.
	ErrTransactionTooLarge = errors.New("typeddelete: transaction too large: delete in chunks with TypedQuery.Purge")

	// ErrUnknownDialect reports a database whose dialect cannot be detected
	// from its driver, or a Dialect not made by the package. Pass
	// WithDialect to NewSession with one of the package's dialects.
	ErrUnknownDialect = errors.New("typeddelete: unknown dialect")

	// ErrTooManyRows reports a Commit that would touch more rows than
	// TypedQuery.AtMost or WithMaxRows allows. Use errors.As with
	// *TooManyRowsError for details. Everything is rolled back.
	ErrTooManyRows = errors.New("typeddelete: too many rows")

	// ErrMissingScope reports a model scoped by a column (`db:",scope"`)
	// used in a session without WithScope for that column. Nothing is sent.
	ErrMissingScope = errors.New("typeddelete: missing scope")
)

// notFound is ErrNotFound's type: it matches sql.ErrNoRows too.
type notFound struct{}

func (notFound) Error() string        { return "typeddelete: no row found" }
func (notFound) Is(target error) bool { return target == sql.ErrNoRows }

// StaleDataError lists the keys of one table that matched no row during a
// Commit: with strict row counts, or always for a versioned model, whose
// rows may also have changed version. It matches ErrStaleData with
// errors.Is, and ErrVersionConflict too when Version is set.
type StaleDataError struct {
	Table   string  // table name
	Keys    [][]any // each key as its primary-key values, in column order
	Version bool    // the model is versioned: each row changed or is gone
}

// Error names the table and the keys that matched no row.
func (e *StaleDataError) Error() string {
	if e.Version {
		return fmt.Sprintf("typeddelete: version conflict: %d row(s) of %q changed or gone since Delete registered them: %s",
			len(e.Keys), e.Table, formatKeys(e.Keys))
	}
	return fmt.Sprintf("typeddelete: stale data: %d key(s) of %q matched no row: %s",
		len(e.Keys), e.Table, formatKeys(e.Keys))
}

// Is reports whether target is ErrStaleData, or ErrVersionConflict for a
// versioned model.
func (e *StaleDataError) Is(target error) bool {
	return target == ErrStaleData || e.Version && target == ErrVersionConflict
}

// RestrictError reports child rows that a Restrict or Protect relation
// protects.
type RestrictError struct {
	Parent string   // parent table
	Child  string   // child table
	Count  int64    // child rows that reference the deleted parents and would remain
	Policy OnDelete // Restrict or Protect
}

// Error names the tables and the count.
func (e *RestrictError) Error() string {
	return fmt.Sprintf("typeddelete: delete restricted by child rows: cannot delete from %q: %d row(s) of %q reference it (%s)", e.Parent, e.Count, e.Child, e.Policy)
}

// Is reports whether target is ErrRestricted.
func (e *RestrictError) Is(target error) bool { return target == ErrRestricted }

// TooManyRowsError reports a limit a Commit passed.
type TooManyRowsError struct {
	Table string // the bulk delete's table for AtMost; where the limit was passed for WithMaxRows
	Limit int64  // the limit
	Count int64  // rows touched when the Commit stopped, at least Limit+1
	Scope string // "AtMost" or "WithMaxRows"
}

// Error names the table, the limit and the count.
func (e *TooManyRowsError) Error() string {
	return fmt.Sprintf("typeddelete: too many rows: deleting from %q touches at least %d row(s), over the %s limit of %d", e.Table, e.Count, e.Scope, e.Limit)
}

// Is reports whether target is ErrTooManyRows.
func (e *TooManyRowsError) Is(target error) bool { return target == ErrTooManyRows }

// wrapError returns err with what it was doing, the package's prefix once,
// at the front: "typeddelete: what: err".
func wrapError(what string, err error) error {
	if err == nil {
		return nil
	}
	return &prefixError{what: what, err: err}
}

// inner returns err with context what, for an error that a caller wraps
// again with the package's prefix: "what: err", err's own prefix dropped.
func inner(what string, err error) error {
	return &contextError{what: what, err: err}
}

// contextError is an error with what was being done, without the prefix.
type contextError struct {
	what string
	err  error
}

func (e *contextError) Error() string {
	return e.what + ": " + strings.TrimPrefix(e.err.Error(), prefix)
}

func (e *contextError) Unwrap() error { return e.err }

// prefixed returns err with the package's prefix at the front, unless its
// message has it already.
func prefixed(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), prefix) {
		return err
	}
	return &prefixError{err: err}
}

const prefix = "typeddelete: "

// prefixError is an error from inside the package with its context. Its
// message has the package's prefix once, whatever the inner errors say.
type prefixError struct {
	what string
	err  error
}

func (e *prefixError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), prefix)
	if e.what != "" {
		msg = e.what + ": " + msg
	}
	return prefix + msg
}

func (e *prefixError) Unwrap() error { return e.err }

// formatKeys renders keys as 1, 2 or (1, "a"), (2, "b"), shortened after 20.
func formatKeys(keys [][]any) string {
	const max = 20
	var b strings.Builder
	for i, k := range keys {
		if i == max {
			fmt.Fprintf(&b, ", ... (%d more)", len(keys)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(k) == 1 {
			fmt.Fprintf(&b, "%#v", k[0])
			continue
		}
		b.WriteByte('(')
		for j, v := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%#v", v)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// dbError is a driver error classified as one of the package's sentinels.
// errors.Is matches the sentinel; errors.As and Unwrap reach the driver's
// own error.
type dbError struct {
	kind error
	err  error
}

func (e *dbError) Error() string {
	return strings.TrimPrefix(e.kind.Error(), prefix) + ": " + e.err.Error()
}
func (e *dbError) Unwrap() error        { return e.err }
func (e *dbError) Is(target error) bool { return target == e.kind }

// classify wraps a driver error in the sentinel its code means, reading the
// codes of PostgreSQL (SQLSTATE), MySQL, MariaDB and TiDB (error numbers)
// and SQLite (result codes) without importing the server drivers.
func classify(err error) error {
	var done *dbError
	if err == nil || errors.As(err, &done) {
		return err
	}
	if kind := errorKind(err); kind != nil {
		return &dbError{kind: kind, err: err}
	}
	return err
}

func errorKind(err error) error {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		switch pg.SQLState() {
		case "23503":
			return ErrForeignKey
		case "55P03":
			return ErrLockTimeout
		case "40001", "40P01":
			return ErrSerialization
		}
		return nil
	}
	if e, ok := structOf(err, "github.com/mattn/go-sqlite3", "Error"); ok {
		code, _ := intField(e, "ExtendedCode")
		return sqliteKind(int(code))
	}
	var modernc interface{ Code() int }
	if errors.As(err, &modernc) {
		return sqliteKind(modernc.Code())
	}
	if e, ok := structOf(err, "github.com/go-sql-driver/mysql", "MySQLError"); ok {
		n, _ := intField(e, "Number")
		return mysqlKind(n, e.FieldByName("Message"))
	}
	return nil
}

// mysqlKind maps a MySQL, MariaDB or TiDB error number, reading the
// message where TiDB reuses a generic number.
func mysqlKind(n int64, msg reflect.Value) error {
	switch n {
	case 1451, 1452, 1216, 1217:
		return ErrForeignKey
	case 1205:
		return ErrLockTimeout
	case 1213, // deadlock
		// TiDB's, where its documentation says to retry the transaction:
		// 9007 and 8005 write conflicts, 8022 a commit safe to retry, 8028
		// a table changed by DDL during the transaction, 8002 a conflict
		// after SELECT FOR UPDATE.
		9007, 8005, 8022, 8028, 8002:
		return ErrSerialization
	case 1197, // MySQL: the binary log cache is full
		1206, // MySQL: InnoDB's lock table is full
		8004, // TiDB: txn-total-size-limit
		8175: // TiDB: tidb_mem_quota_query
		return ErrTransactionTooLarge
	case 1105: // unknown error, which TiDB also uses for two of its own
		switch {
		case msg.Kind() != reflect.String:
		case strings.HasPrefix(msg.String(), "txn too large"): // a DELETE over txn-total-size-limit
			return ErrTransactionTooLarge
		case msg.String() == "pessimistic lock retry limit reached":
			// A statement of a pessimistic transaction met a write
			// conflict on every one of its own retries.
			return ErrSerialization
		}
	}
	return nil
}

// sqliteKind maps an extended SQLite result code.
func sqliteKind(code int) error {
	switch {
	case code == 787: // SQLITE_CONSTRAINT_FOREIGNKEY
		return ErrForeignKey
	case code&0xff == 5 || code&0xff == 6: // SQLITE_BUSY, SQLITE_LOCKED
		return ErrLockTimeout
	}
	return nil
}

// structOf finds in err's chain an error of type pkg.name (a struct or a
// pointer to one) and returns the struct. Reading driver errors by shape
// keeps the drivers out of the package's imports (and cgo out of builds
// that do not use SQLite).
func structOf(err error, pkg, name string) (reflect.Value, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				continue
			}
			v = v.Elem()
		}
		if v.Kind() == reflect.Struct && v.Type().Name() == name && v.Type().PkgPath() == pkg {
			return v, true
		}
	}
	return reflect.Value{}, false
}

// intField returns the integer field of struct v.
func intField(v reflect.Value, name string) (int64, bool) {
	switch f := v.FieldByName(name); {
	case !f.IsValid():
	case f.CanInt():
		return f.Int(), true
	case f.CanUint():
		return int64(f.Uint()), true
	}
	return 0, false
}
