package typeddelete

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"
	"unsafe"
)

// DBTX is what a Session sends statements through, and what hooks receive:
// *sql.DB, *sql.Conn and *sql.Tx implement it, and so it is the DBTX
// interface that sqlc generates, so generated queries run inside a hook
// as they are. When the value passed to NewSession also has BeginTx
// (*sql.DB, *sql.Conn), the session runs each Commit in a transaction of
// its own; otherwise (*sql.Tx) it works inside the caller's transaction.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// beginner is a DBTX that can start a transaction.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Statement kinds the log names.
const (
	readCatalog = "read catalog"
	readQuery   = "select"
)

// execStmt sends a statement through ps, its prepared form, or as a plain
// Exec on db when ps is nil, logs it, and returns the rows it affected.
func (s *Session) execStmt(ctx context.Context, db DBTX, ps *sql.Stmt, kind, query string, args []any) (int64, error) {
	start := time.Now()
	safe := safeArgs(args)
	var res sql.Result
	var err error
	if ps != nil {
		res, err = ps.ExecContext(ctx, safe...)
	} else {
		res, err = db.ExecContext(ctx, query, safe...)
	}
	n := int64(-1)
	if err == nil {
		n, err = res.RowsAffected()
	}
	err = checked(err)
	s.log(ctx, kind, query, args, start, n, err)
	return n, err
}

// query sends a read through db and logs it.
func (s *Session) query(ctx context.Context, db DBTX, kind string, q sqlizer) (*sql.Rows, error) {
	query, args, err := q.ToSql()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rows, err := db.QueryContext(ctx, query, safeArgs(args)...)
	err = checked(err)
	s.log(ctx, kind, query, args, start, -1, err)
	return rows, err
}

// count runs a SELECT COUNT(*) and returns the count.
func (s *Session) count(ctx context.Context, db DBTX, kind string, q sqlizer) (int64, error) {
	var n int64
	err := s.scalar(ctx, db, kind, q, &n)
	return n, err
}

// scalar runs a read of one value and scans it into dest.
func (s *Session) scalar(ctx context.Context, db DBTX, kind string, q sqlizer, dest any) error {
	rows, err := s.query(ctx, db, kind, q)
	if err != nil {
		return err
	}
	return scanAll(rows, func() error { return rows.Scan(dest) })
}

// checked classifies a statement's error, turns a panic in a caller's
// Valuer, which safeArgs caught, back into a panic once database/sql has
// released everything, and an error of a caller's Valuer into
// ErrInvalidValue.
func checked(err error) error {
	repanic(err)
	var v *valuerError
	if errors.As(err, &v) {
		return fmt.Errorf("%w: %w", ErrInvalidValue, err)
	}
	return classify(err)
}

// repanic raises again the panic that err carries from a safeValuer or a
// safeScanner, if it does.
func repanic(err error) {
	var p *panicError
	if errors.As(err, &p) {
		panic(p.value)
	}
}

// valuerError is the error of a caller's Value method, marked by
// safeValuer as it passes through database/sql.
type valuerError struct{ err error }

func (e *valuerError) Error() string { return "Value failed: " + e.err.Error() }
func (e *valuerError) Unwrap() error { return e.err }

// panicError carries a panic out of code database/sql calls (a Valuer, a
// Scanner), so that database/sql returns normally and releases its locks;
// the session panics again with the value once it is safe.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// safeValuer calls a caller's Valuer, turning a panic into a panicError.
type safeValuer struct{ v driver.Valuer }

// Value returns the wrapped Valuer's value.
func (s safeValuer) Value() (v driver.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	if v, err = s.v.Value(); err != nil {
		return nil, &valuerError{err}
	}
	return v, nil
}

// safeArgs wraps each argument that implements driver.Valuer, so that a
// panic in it surfaces as an error: database/sql calls Valuers while it
// holds a transaction's lock, and a panic there would leave the lock held
// and the next Rollback waiting forever.
func safeArgs(args []any) []any {
	var out []any
	for i, a := range args {
		switch a.(type) {
		case int64, string, nil:
			// The library's own keys: no Valuer, and cheaper to tell than
			// by asking for one.
			continue
		}
		v, ok := a.(driver.Valuer)
		if !ok {
			continue
		}
		if rv := reflect.ValueOf(a); rv.Kind() == reflect.Pointer && rv.IsNil() {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = safeValuer{v}
	}
	if out == nil {
		return args
	}
	return out
}

// safeScanner calls a caller's Scanner, turning a panic into a
// panicError, for the reason of safeArgs.
type safeScanner struct{ s sql.Scanner }

// Scan scans into the wrapped Scanner.
func (s safeScanner) Scan(src any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return s.s.Scan(src)
}

// scanAll calls fn for each row, closes rows and returns the first error.
// A panic in a caller's Scanner is raised again after rows are closed.
func scanAll(rows *sql.Rows, fn func() error) error {
	var err error
	for err == nil && rows.Next() {
		err = fn()
	}
	cerr := rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err == nil {
		err = cerr
	}
	repanic(err)
	return classify(err)
}

// scanDest returns dest with each Scanner wrapped by safeScanner.
func scanDest(dest []any) []any {
	for i, d := range dest {
		if s, ok := d.(sql.Scanner); ok {
			dest[i] = safeScanner{s}
		}
	}
	return dest
}

// rowScanner scans the rows of a read: the key columns, then the
// self-reference columns of n; or, when n keeps rows, every column into a
// new object. Its destinations are allocated once per read.
type rowScanner struct {
	m     *model
	n     *node
	dest  []any
	i64   int64
	str   string
	self  []any // self-reference values
	parts []any // key parts of other keys, scanned into the field types
}

// newRowScanner returns a scanner of the rows of a read of m for n (nil
// for keys alone).
func newRowScanner(m *model, n *node) *rowScanner {
	rs := &rowScanner{m: m, n: n}
	if n != nil && n.rows {
		rs.dest = make([]any, len(m.fields))
		return rs
	}
	nself := 0
	if n != nil {
		for _, fk := range n.self {
			nself += len(fk)
		}
	}
	rs.dest = make([]any, len(m.pk)+nself)
	switch m.keyKind {
	case intKeys:
		rs.dest[0] = &rs.i64
	case strKeys:
		rs.dest[0] = &rs.str
	default:
		rs.parts = make([]any, len(m.pk))
		for i, f := range m.pk {
			t := f.typ
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			rs.dest[i] = reflect.New(t).Interface()
		}
	}
	rs.self = make([]any, nself)
	for i := range rs.self {
		rs.dest[len(m.pk)+i] = &rs.self[i]
	}
	scanDest(rs.dest)
	return rs
}

// scan scans the current row and returns its key as a keyList holds it,
// its object when rows are kept, and the keys it references.
func (rs *rowScanner) scan(rows *sql.Rows) (key any, obj unsafe.Pointer, refs []keyID, err error) {
	m, n := rs.m, rs.n
	if n != nil && n.rows {
		p := newObject(m)
		v := reflect.NewAt(m.typ, p).Elem()
		for i, f := range m.fields {
			rs.dest[i] = v.FieldByIndex(f.index).Addr().Interface()
		}
		if err := rows.Scan(scanDest(rs.dest)...); err != nil {
			return nil, nil, nil, err
		}
		for _, fk := range n.self {
			parts := make([]any, len(fk))
			for i, f := range fk {
				if parts[i], err = nullValue(v.FieldByIndex(f.index)); err != nil {
					return nil, nil, nil, fmt.Errorf("%w: %s.%s: Value failed: %w", ErrInvalidValue, m.table, f.column, err)
				}
			}
			if k, ok := m.keyFromParts(parts); ok {
				refs = append(refs, idOf(m.keyKind, k))
			}
		}
		return m.rawKey(v), p, refs, nil
	}
	if err := rows.Scan(rs.dest...); err != nil {
		return nil, nil, nil, err
	}
	switch m.keyKind {
	case intKeys:
		key = rs.i64
	case strKeys:
		key = rs.str
	default:
		parts := make([]any, len(m.pk))
		for i := range parts {
			d := rs.dest[i]
			if sc, ok := d.(safeScanner); ok {
				d = sc.s
			}
			parts[i] = reflect.ValueOf(d).Elem().Interface()
		}
		key = parts
		if len(parts) == 1 {
			key = parts[0]
		}
	}
	if n != nil && len(rs.self) > 0 {
		off := 0
		for _, fk := range n.self {
			if k, ok := m.keyFromParts(rs.self[off : off+len(fk)]); ok {
				refs = append(refs, idOf(m.keyKind, k))
			}
			off += len(fk)
		}
	}
	return key, nil, refs, nil
}

// newObject allocates a zero object of m's type.
func newObject(m *model) unsafe.Pointer { return reflect.New(m.typ).UnsafePointer() }

// objectAt returns the object at p as a *T of m's type.
func objectAt(m *model, p unsafe.Pointer) any { return reflect.NewAt(m.typ, p).Interface() }

// log writes one statement to the session's logger: at Debug when it
// succeeded, at Error when it failed, at Warn when the failure will be
// retried.
func (s *Session) log(ctx context.Context, kind, query string, args []any, start time.Time, rows int64, err error) {
	if s.logger == nil {
		return
	}
	level, msg := slog.LevelDebug, "typeddelete: "+kind
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("sql", query))
	if s.redact {
		attrs = append(attrs, slog.Int("args", len(args)))
	} else {
		attrs = append(attrs, slog.Any("args", args))
	}
	attrs = append(attrs, slog.Duration("duration", time.Since(start)))
	if rows >= 0 {
		attrs = append(attrs, slog.Int64("rows", rows))
	}
	if err != nil {
		level = slog.LevelError
		if s.willRetry(ctx, err) {
			level = slog.LevelWarn
		}
		attrs = append(attrs, slog.Any("error", err))
	}
	s.logger.LogAttrs(ctx, level, msg, attrs...)
}
