package bench_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"sync"
	"testing"

	"github.com/typeddelete/typeddelete"
)

// noDriver is a database/sql driver that runs nothing: a statement's
// Exec reports one row per argument, and counts them as deleted; the
// statement noDriverRefill sets that count back to 0, and any query
// returns noDriverRows less it. BenchmarkNoDriver times the Go side of
// a delete against it: the library, database/sql and the floor's own
// code, without the database's work.
type noDriver struct {
	mu      sync.Mutex
	deleted int64
}

const (
	noDriverRefill = "REFILL"
	noDriverRows   = 2 * benchDeletes
)

func (d *noDriver) Open(string) (driver.Conn, error) { return noDriverConn{d}, nil }

type noDriverConn struct{ d *noDriver }

func (c noDriverConn) Prepare(q string) (driver.Stmt, error) { return noDriverStmt{c.d, q}, nil }
func (noDriverConn) Close() error                            { return nil }
func (noDriverConn) Begin() (driver.Tx, error)               { return noDriverTx{}, nil }

type noDriverStmt struct {
	d *noDriver
	q string
}

func (noDriverStmt) Close() error  { return nil }
func (noDriverStmt) NumInput() int { return -1 }

func (s noDriverStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.q == noDriverRefill {
		s.d.deleted = 0
		return driver.RowsAffected(0), nil
	}
	s.d.deleted += int64(len(args))
	return driver.RowsAffected(len(args)), nil
}

func (s noDriverStmt) Query([]driver.Value) (driver.Rows, error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return &noDriverCount{n: noDriverRows - s.d.deleted}, nil
}

type noDriverCount struct {
	n    int64
	done bool
}

func (*noDriverCount) Columns() []string { return []string{"n"} }
func (*noDriverCount) Close() error      { return nil }

func (r *noDriverCount) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, r.n
	return nil
}

type noDriverTx struct{}

func (noDriverTx) Commit() error   { return nil }
func (noDriverTx) Rollback() error { return nil }

// BenchmarkNoDriver deletes 5,000 loaded objects through a driver that
// runs nothing (noDriver): library-slice and library-commit, in the
// SQLite dialect, against the SQLite floor they send, ten prepared IN
// lists of 500 (floor-prep-in-500), and that floor reading its keys from
// the objects (objs-prep-in-500). What is left is the cost in Go of each
// way to the same statements, the part of a delete the library can cut.
func BenchmarkNoDriver(b *testing.B) {
	db := sql.OpenDB(noDriverConnector{&noDriver{}})
	b.Cleanup(func() { db.Close() })
	objs := make([]*peerRow, benchDeletes)
	ids := make([]int64, benchDeletes)
	for i := range objs {
		ids[i] = int64(2 * (i + 1))
		objs[i] = &peerRow{ID: ids[i]}
	}
	t := &benchTable{db: db, name: peerRows, rows: noDriverRows, refill: []string{noDriverRefill}, keys: benchDeletes}
	opts := []typeddelete.Option{typeddelete.WithDialect(typeddelete.SQLiteDialect()), typeddelete.WithoutSchemaIntrospection()}
	shape := benchIn(benchChunk, false, true)
	benchRunCases(b, t, benchDeletes, []benchCase{
		benchLibrarySlice(db, objs, opts...),
		benchLibraryCommit(db, objs, opts...),
		benchFloor(db, "floor-"+shape.name, shape, benchKeys(peerRows, ids)),
		benchObjsFloor(db, shape, peerRows, objs, func(r *peerRow) int64 { return r.ID }),
	})
}

// noDriverConnector opens noDriver's connections.
type noDriverConnector struct{ d *noDriver }

func (c noDriverConnector) Connect(context.Context) (driver.Conn, error) {
	return noDriverConn{c.d}, nil
}
func (c noDriverConnector) Driver() driver.Driver { return c.d }
