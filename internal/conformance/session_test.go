package conformance_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
)

// The models of the sqlmock tests. Their table names are fixed so that the
// expected SQL reads plainly.

type mockUser struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func (mockUser) TableName() string { return "users" }

type mockPost struct {
	ID     int64  `db:"id,pk"`
	UserID int64  `db:"user_id"`
	Title  string `db:"title"`
}

func (mockPost) TableName() string { return "posts" }

type mockMembership struct {
	GroupID int64  `db:"group_id,pk"`
	UserID  int64  `db:"user_id,pk"`
	Role    string `db:"role"`
}

func (mockMembership) TableName() string { return "memberships" }

// mockK is named like the alias a PostgreSQL join of keys would take,
// and so is one of its columns.
type mockK struct {
	A  int64 `db:"a,pk"`
	B  int64 `db:"b,pk"`
	K1 int64 `db:"k1,scope"`
}

func (mockK) TableName() string { return "k" }

// mockNoKey has neither a pk tag nor an ID field.
type mockNoKey struct {
	Name string `db:"name"`
}

var (
	mockAge  = typeddelete.Col(func(u *mockUser) *int { return &u.Age })
	mockName = typeddelete.Col(func(u *mockUser) *string { return &u.Name })
	mockID   = typeddelete.Col(func(u *mockUser) *int64 { return &u.ID })

	// mockErrDriver is the error the mock driver returns where a test
	// makes a statement fail.
	mockErrDriver = errors.New("mock driver: statement failed")
)

// newMock returns a sqlmock database that matches every statement exactly.
func newMock(t *testing.T) (*sql.DB, sqlmock.Sqlmock) {
	t.Helper()
	db, mock, err := sqlmock.New(
		sqlmock.QueryMatcherOption(sqlmock.QueryMatcherEqual),
		sqlmock.ValueConverterOption(mockConverter{}),
	)
	if err != nil {
		t.Fatalf("sqlmock.New: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, mock
}

// mockConverter passes the key arrays that PostgresDialect sends (as pgx
// would encode them) and converts every other value as database/sql does.
type mockConverter struct{}

func (mockConverter) ConvertValue(v any) (driver.Value, error) {
	switch v.(type) {
	case []int64, []uint64, []float64, []string:
		return v, nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

// newMockSession returns a session over a new sqlmock database with the
// SQLite dialect (unless opts set another), and the log of every statement
// the session reports sending.
func newMockSession(t *testing.T, opts ...typeddelete.Option) (*typeddelete.Session, sqlmock.Sqlmock, *mockLog) {
	t.Helper()
	db, mock := newMock(t)
	log := &mockLog{}
	opts = append([]typeddelete.Option{typeddelete.WithLogger(slog.New(log))}, opts...)
	return mockNewSession(db, opts...), mock, log
}

// mockNewSession returns a session over db with the SQLite dialect (unless
// opts set another) that does not read the database's foreign keys, so that
// the mock sees only the statements of the unit of work.
func mockNewSession(db typeddelete.DBTX, opts ...typeddelete.Option) *typeddelete.Session {
	return typeddelete.NewSession(db, append([]typeddelete.Option{
		typeddelete.WithDialect(typeddelete.SQLiteDialect()),
		typeddelete.WithoutSchemaIntrospection(),
	}, opts...)...)
}

// mockVerify fails the test when an expected statement was not sent.
func mockVerify(t *testing.T, mock sqlmock.Sqlmock) {
	t.Helper()
	if err := mock.ExpectationsWereMet(); err != nil {
		t.Errorf("sqlmock: %v", err)
	}
}

// mockPending fails the test unless the session has exactly the given
// pending object and bulk deletes.
func mockPending(t *testing.T, s *typeddelete.Session, objects, bulk int) {
	t.Helper()
	if o, b := s.Pending(); o != objects || b != bulk {
		t.Errorf("Pending() = (%d, %d), want (%d, %d)", o, b, objects, bulk)
	}
}

// mockRows fails the test unless d.RowsAffected() is (n, done).
func mockRows(t *testing.T, d *typeddelete.Deletion, n int64, done bool) {
	t.Helper()
	if gotN, gotDone := d.RowsAffected(); gotN != n || gotDone != done {
		t.Errorf("RowsAffected() = (%d, %t), want (%d, %t)", gotN, gotDone, n, done)
	}
}

// mockNoError stops the test on an unexpected error.
func mockNoError(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// mockErrorIs fails the test unless err wraps want.
func mockErrorIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want one that wraps %v", what, err, want)
	}
}

// mockLastCommit fails the test unless LastCommit reports exactly the
// statements, rows deleted per table (a table absent counts as 0) and
// missing keys of want.
func mockLastCommit(t *testing.T, s *typeddelete.Session, want typeddelete.CommitResult) {
	t.Helper()
	got := s.LastCommit()
	nonZero := func(m map[string]int64) map[string]int64 {
		out := make(map[string]int64)
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	if got.Statements != want.Statements {
		t.Errorf("LastCommit().Statements = %d, want %d", got.Statements, want.Statements)
	}
	if g, w := nonZero(got.Deleted), nonZero(want.Deleted); !reflect.DeepEqual(g, w) {
		t.Errorf("LastCommit().Deleted = %v, want %v", g, w)
	}
	if g, w := nonZero(got.SoftDeleted), nonZero(want.SoftDeleted); !reflect.DeepEqual(g, w) {
		t.Errorf("LastCommit().SoftDeleted = %v, want %v", g, w)
	}
	if g, w := nonZero(got.Updated), nonZero(want.Updated); !reflect.DeepEqual(g, w) {
		t.Errorf("LastCommit().Updated = %v, want %v", g, w)
	}
	if len(got.Missing) != 0 || len(want.Missing) != 0 {
		if !reflect.DeepEqual(got.Missing, want.Missing) {
			t.Errorf("LastCommit().Missing = %+v, want %+v", got.Missing, want.Missing)
		}
	}
}

// mockExpectation is one thing the mock database expects, in order.
type mockExpectation interface {
	expect(sqlmock.Sqlmock)
}

type mockBegin struct{ err error }

func (e mockBegin) expect(m sqlmock.Sqlmock) {
	b := m.ExpectBegin()
	if e.err != nil {
		b.WillReturnError(e.err)
	}
}

type mockCommit struct{ err error }

func (e mockCommit) expect(m sqlmock.Sqlmock) {
	c := m.ExpectCommit()
	if e.err != nil {
		c.WillReturnError(e.err)
	}
}

type mockRollback struct{ err error }

func (e mockRollback) expect(m sqlmock.Sqlmock) {
	r := m.ExpectRollback()
	if e.err != nil {
		r.WillReturnError(e.err)
	}
}

// mockExec is a statement sent with exactly args (none when args is
// empty) that affects rows rows, or fails with err.
type mockExec struct {
	query string
	args  []driver.Value
	rows  int64
	err   error
	// prepared marks the second sending of a statement text within one
	// transaction: the session prepares it then and reuses it after.
	prepared bool
}

func (e mockExec) expect(m sqlmock.Sqlmock) {
	if e.prepared {
		m.ExpectPrepare(e.query)
	}
	x := m.ExpectExec(e.query)
	if len(e.args) == 0 {
		x.WithoutArgs()
	} else {
		x.WithArgs(e.args...)
	}
	if e.err != nil {
		x.WillReturnError(e.err)
		return
	}
	x.WillReturnResult(sqlmock.NewResult(0, e.rows))
}

// mockQuery is a query sent with exactly args that returns rows of cols,
// or fails with err; with rowErr, reading its first row fails instead.
type mockQuery struct {
	query  string
	args   []driver.Value
	cols   []string
	rows   [][]driver.Value
	err    error
	rowErr error
}

func (e mockQuery) expect(m sqlmock.Sqlmock) {
	q := m.ExpectQuery(e.query)
	if len(e.args) == 0 {
		q.WithoutArgs()
	} else {
		q.WithArgs(e.args...)
	}
	if e.err != nil {
		q.WillReturnError(e.err)
		return
	}
	rs := sqlmock.NewRows(e.cols)
	for _, r := range e.rows {
		rs.AddRow(r...)
	}
	if e.rowErr != nil {
		rs.RowError(0, e.rowErr)
	}
	q.WillReturnRows(rs)
}

// mockSavepoint, mockRelease and mockRollbackTo are the statements a
// session sends in a caller's transaction.
var (
	mockSavepoint  = mockExec{query: "SAVEPOINT typeddelete_unit"}
	mockRelease    = mockExec{query: "RELEASE SAVEPOINT typeddelete_unit"}
	mockRollbackTo = mockExec{query: "ROLLBACK TO SAVEPOINT typeddelete_unit"}
)

// mockExpect queues expectations on the mock, in order.
func mockExpect(m sqlmock.Sqlmock, es ...mockExpectation) {
	for _, e := range es {
		e.expect(m)
	}
}

// mockArgs is shorthand for a list of driver values.
func mockArgs(vs ...driver.Value) []driver.Value { return vs }

// mockLog is a slog.Handler that keeps every statement a session logs.
type mockLog struct {
	mu    sync.Mutex
	stmts []mockLogged
}

type mockLogged struct {
	msg  string // what the statement does: "typeddelete: delete", ...
	sql  string
	args []any
}

func (l *mockLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *mockLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *mockLog) WithGroup(string) slog.Handler            { return l }

func (l *mockLog) Handle(_ context.Context, r slog.Record) error {
	st := mockLogged{msg: r.Message}
	if st.msg == "typeddelete: retry" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "sql":
			st.sql = a.Value.String()
		case "args":
			st.args, _ = a.Value.Any().([]any)
		}
		return true
	})
	l.mu.Lock()
	l.stmts = append(l.stmts, st)
	l.mu.Unlock()
	return nil
}

// sent returns the statements logged so far.
func (l *mockLog) sent() []mockLogged {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mockLogged(nil), l.stmts...)
}

// mockNothingSent fails the test when the session logged any statement.
func mockNothingSent(t *testing.T, l *mockLog) {
	t.Helper()
	if s := l.sent(); len(s) > 0 {
		t.Errorf("the session sent %d statement(s), want none; first: %q", len(s), s[0].sql)
	}
}

func TestMockNothingIsSentBeforeCommitOrFlush(t *testing.T) {
	t.Run("Session.Delete registers objects and sends nothing", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, []*mockUser{{ID: 2}, {ID: 3}}))
		mockPending(t, s, 3, 0)
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})
	t.Run("Query.Delete registers a bulk delete and sends nothing", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Gt(30)).Delete()
		mockNoError(t, "Query.Delete", err)
		if d.Table() != "users" {
			t.Errorf("Deletion.Table() = %q, want %q", d.Table(), "users")
		}
		mockRows(t, d, 0, false)
		mockPending(t, s, 0, 1)
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})
	t.Run("Commit with nothing pending sends nothing, not even BEGIN", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		mockNoError(t, "Commit", s.Commit(context.Background()))
		mockLastCommit(t, s, typeddelete.CommitResult{})
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})
	t.Run("Flush with nothing pending sends nothing", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		mockNoError(t, "Flush", s.Flush(context.Background()))
		mockNoError(t, "Commit", s.Commit(context.Background()))
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})
	t.Run("Rollback before Flush discards the pending work and sends nothing", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		d, err := typeddelete.Query[mockUser](s).FilterBy("age", 3).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Rollback", s.Rollback(context.Background()))
		mockPending(t, s, 0, 0)
		mockRows(t, d, 0, false)
		mockNoError(t, "Commit", s.Commit(context.Background()))
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})
}

func TestMockTransactionBoundaries(t *testing.T) {
	ctx := context.Background()
	t.Run("each Commit on a *sql.DB runs in a BEGIN and COMMIT of its own", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockCommit{},
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(2, 3), rows: 2},
			mockCommit{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		mockNoError(t, "first Commit", s.Commit(ctx))
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 1, Deleted: map[string]int64{"users": 1}})
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 3}, &mockUser{ID: 2}))
		mockNoError(t, "second Commit", s.Commit(ctx))
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 1, Deleted: map[string]int64{"users": 2}})
		mockPending(t, s, 0, 0)
		mockVerify(t, mock)
	})

	t.Run("on a caller's *sql.Tx the work runs in a savepoint and the caller commits", func(t *testing.T) {
		db, mock := newMock(t)
		mockExpect(mock, mockBegin{})
		tx, err := db.Begin()
		mockNoError(t, "db.Begin", err)
		s := mockNewSession(tx, typeddelete.WithDialect(typeddelete.SQLiteDialect()))
		mockExpect(mock,
			mockSavepoint,
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
			mockExec{query: `DELETE FROM "users" WHERE "age" > ?`, args: mockArgs(60), rows: 4},
			mockRelease,
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 2}, &mockUser{ID: 1}))
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Gt(60)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 4, true)
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 2, Deleted: map[string]int64{"users": 6}})
		// The session has not committed: the caller's COMMIT is the next
		// thing the mock sees.
		mockVerify(t, mock)
		mockExpect(mock, mockCommit{})
		mockNoError(t, "tx.Commit", tx.Commit())
		mockVerify(t, mock)
	})

	t.Run("on a caller's *sql.Tx a failure rolls back to the savepoint and releases it", func(t *testing.T) {
		db, mock := newMock(t)
		mockExpect(mock, mockBegin{})
		tx, err := db.Begin()
		mockNoError(t, "db.Begin", err)
		s := mockNewSession(tx, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		mockExpect(mock,
			mockSavepoint,
			mockExec{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
			mockExec{query: `DELETE FROM "posts" WHERE "id" = ANY($1)`, args: mockArgs([]int64{7}), err: mockErrDriver},
			mockRollbackTo,
			mockRelease,
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockPost{ID: 7}))
		err = s.Commit(ctx)
		mockErrorIs(t, "Commit", err, mockErrDriver)
		mockPending(t, s, 2, 0)
		mockVerify(t, mock)
		// The caller's transaction is still usable and still the caller's.
		mockExpect(mock, mockRollback{})
		mockNoError(t, "tx.Rollback", tx.Rollback())
		mockVerify(t, mock)
	})

	t.Run("on a caller's *sql.Tx Rollback after Flush rolls back to the savepoint", func(t *testing.T) {
		db, mock := newMock(t)
		mockExpect(mock, mockBegin{})
		tx, err := db.Begin()
		mockNoError(t, "db.Begin", err)
		s := mockNewSession(tx, typeddelete.WithDialect(typeddelete.MySQLDialect()))
		mockExpect(mock,
			mockSavepoint,
			mockExec{query: "DELETE FROM `users` WHERE `id` IN (5)", rows: 1},
			mockRollbackTo,
			mockRelease,
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 5}))
		mockNoError(t, "Flush", s.Flush(ctx))
		mockNoError(t, "Rollback", s.Rollback(context.Background()))
		mockPending(t, s, 0, 0)
		mockVerify(t, mock)
	})
}

func TestMockObjectDeleteSQL(t *testing.T) {
	tests := []struct {
		name    string
		opts    []typeddelete.Option
		objs    []any
		stmts   []mockExec
		deleted map[string]int64
	}{
		{
			name:    "keys are sorted and duplicates sent once",
			objs:    []any{&mockUser{ID: 3}, &mockUser{ID: 1}, &mockUser{ID: 2}, &mockUser{ID: 1, Name: "another copy"}},
			stmts:   []mockExec{{query: `DELETE FROM "users" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3), rows: 3}},
			deleted: map[string]int64{"users": 3},
		},
		{
			name: "object deletes are grouped by table in order of first registration",
			objs: []any{&mockPost{ID: 10}, &mockUser{ID: 2}, &mockPost{ID: 5}, &mockUser{ID: 1}},
			stmts: []mockExec{
				{query: `DELETE FROM "posts" WHERE "id" IN (?,?)`, args: mockArgs(5, 10), rows: 2},
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
			},
			deleted: map[string]int64{"posts": 2, "users": 2},
		},
		{
			name: "a batch size of 2 sends 5 keys in 3 statements",
			opts: []typeddelete.Option{typeddelete.WithBatchSize(2)},
			objs: []any{[]*mockUser{{ID: 5}, {ID: 4}, {ID: 3}, {ID: 2}, {ID: 1}}},
			stmts: []mockExec{
				// Two full batches share one text, prepared at its first use.
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2, prepared: true},
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(3, 4), rows: 2},
				{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(5), rows: 1},
			},
			deleted: map[string]int64{"users": 5},
		},
		{
			name: "composite keys are matched as row values, sorted part by part",
			objs: []any{&mockMembership{GroupID: 2, UserID: 1}, &mockMembership{GroupID: 1, UserID: 2}, &mockMembership{GroupID: 1, UserID: 1}},
			stmts: []mockExec{{
				query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?), (?,?), (?,?))`,
				args:  mockArgs(1, 1, 1, 2, 2, 1), rows: 3,
			}},
			deleted: map[string]int64{"memberships": 3},
		},
		{
			name: "composite keys are batched by key, not by parameter",
			opts: []typeddelete.Option{typeddelete.WithBatchSize(2)},
			objs: []any{&mockMembership{GroupID: 1, UserID: 1}, &mockMembership{GroupID: 1, UserID: 2}, &mockMembership{GroupID: 1, UserID: 3}},
			stmts: []mockExec{
				{query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?), (?,?))`, args: mockArgs(1, 1, 1, 2), rows: 2},
				{query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?))`, args: mockArgs(1, 3), rows: 1},
			},
			deleted: map[string]int64{"memberships": 3},
		},
		{
			name: "full batches of composite keys share one text",
			opts: []typeddelete.Option{typeddelete.WithBatchSize(2)},
			objs: []any{&mockMembership{GroupID: 1, UserID: 1}, &mockMembership{GroupID: 1, UserID: 2}, &mockMembership{GroupID: 2, UserID: 1}, &mockMembership{GroupID: 2, UserID: 2}},
			stmts: []mockExec{
				{query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?), (?,?))`, args: mockArgs(1, 1, 1, 2), rows: 2, prepared: true},
				{query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?), (?,?))`, args: mockArgs(2, 1, 2, 2), rows: 2},
			},
			deleted: map[string]int64{"memberships": 4},
		},
		{
			name:    "PostgreSQL sends a one-column key set as one array",
			opts:    []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresDialect())},
			objs:    []any{&mockUser{ID: 2}, &mockUser{ID: 1}, &mockUser{ID: 3}, &mockUser{ID: 2}},
			stmts:   []mockExec{{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1, 2, 3}), rows: 3}},
			deleted: map[string]int64{"users": 3},
		},
		{
			name: "PostgreSQL with a batch size of 2 sends arrays of at most 2 keys",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithBatchSize(2)},
			objs: []any{&mockUser{ID: 3}, &mockUser{ID: 2}, &mockUser{ID: 1}},
			stmts: []mockExec{
				{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1, 2}), rows: 2},
				{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{3}), rows: 1, prepared: true},
			},
			deleted: map[string]int64{"users": 3},
		},
		{
			name:    "PostgresINDialect numbers the placeholders of an IN list",
			opts:    []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresINDialect())},
			objs:    []any{&mockUser{ID: 2}, &mockUser{ID: 1}},
			stmts:   []mockExec{{query: `DELETE FROM "users" WHERE "id" IN ($1,$2)`, args: mockArgs(1, 2), rows: 2}},
			deleted: map[string]int64{"users": 2},
		},
		{
			name: "PostgreSQL sends an integer composite key as one array per column",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresDialect())},
			objs: []any{&mockMembership{GroupID: 3, UserID: 4}, &mockMembership{GroupID: 1, UserID: 2}},
			stmts: []mockExec{{
				query: `DELETE FROM "memberships" USING unnest($1::bigint[], $2::bigint[]) AS "k" ("k1", "k2") WHERE "group_id" = "k"."k1" AND "user_id" = "k"."k2"`,
				args:  mockArgs([]int64{1, 3}, []int64{2, 4}), rows: 2,
			}},
			deleted: map[string]int64{"memberships": 2},
		},
		{
			name: "PostgreSQL names the joined arrays apart from the table and its columns",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithScope("k1", int64(5))},
			objs: []any{&mockK{K1: 5, A: 1, B: 2}},
			stmts: []mockExec{{
				query: `DELETE FROM "k" USING unnest($1::bigint[], $2::bigint[]) AS "_k" ("_k1", "k2") WHERE "a" = "_k"."_k1" AND "b" = "_k"."k2" AND "k1" = $3`,
				args:  mockArgs([]int64{1}, []int64{2}, 5), rows: 1,
			}},
			deleted: map[string]int64{"k": 1},
		},
		{
			name: "PostgresINDialect numbers the placeholders of row values",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresINDialect())},
			objs: []any{&mockMembership{GroupID: 3, UserID: 4}, &mockMembership{GroupID: 1, UserID: 2}},
			stmts: []mockExec{{
				query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (($1,$2), ($3,$4))`,
				args:  mockArgs(1, 2, 3, 4), rows: 2,
			}},
			deleted: map[string]int64{"memberships": 2},
		},
		{
			name:    "MySQL quotes identifiers with backticks and writes integer keys as literals",
			opts:    []typeddelete.Option{typeddelete.WithDialect(typeddelete.MySQLDialect())},
			objs:    []any{&mockUser{ID: 9}, &mockUser{ID: 8}},
			stmts:   []mockExec{{query: "DELETE FROM `users` WHERE `id` IN (8,9)", rows: 2}},
			deleted: map[string]int64{"users": 2},
		},
		{
			name: "MySQL matches integer composite keys as literal row values",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.MySQLDialect())},
			objs: []any{&mockMembership{GroupID: 1, UserID: 2}},
			stmts: []mockExec{{
				query: "DELETE FROM `memberships` WHERE (`group_id`, `user_id`) IN ((1,2))", rows: 1,
			}},
			deleted: map[string]int64{"memberships": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, mock, _ := newMockSession(t, tt.opts...)
			mockExpect(mock, mockBegin{})
			for _, st := range tt.stmts {
				mockExpect(mock, st)
			}
			mockExpect(mock, mockCommit{})
			mockNoError(t, "Delete", s.Delete(tt.objs...))
			mockNoError(t, "Commit", s.Commit(context.Background()))
			mockLastCommit(t, s, typeddelete.CommitResult{Statements: len(tt.stmts), Deleted: tt.deleted})
			mockPending(t, s, 0, 0)
			mockVerify(t, mock)
		})
	}
}

func TestMockOrderOfObjectAndBulkDeletes(t *testing.T) {
	type op struct {
		objs []any                           // Session.Delete, when set
		bulk typeddelete.Predicate[mockUser] // else Query.Delete with this filter
	}
	tests := []struct {
		name  string
		ops   []op
		stmts []mockExec
	}{
		{
			name: "object deletes registered before a bulk delete are sent before it",
			ops: []op{
				{objs: []any{&mockUser{ID: 2}, &mockUser{ID: 1}}},
				{bulk: mockAge.Lt(18)},
			},
			stmts: []mockExec{
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
				{query: `DELETE FROM "users" WHERE "age" < ?`, args: mockArgs(18), rows: 3},
			},
		},
		{
			name: "object deletes registered after a bulk delete are sent after it",
			ops: []op{
				{bulk: mockAge.Lt(18)},
				{objs: []any{&mockUser{ID: 2}, &mockUser{ID: 1}}},
			},
			stmts: []mockExec{
				{query: `DELETE FROM "users" WHERE "age" < ?`, args: mockArgs(18), rows: 3},
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
			},
		},
		{
			name: "object deletes on both sides of bulk deletes keep their places",
			ops: []op{
				{objs: []any{&mockUser{ID: 3}}},
				{objs: []any{&mockPost{ID: 1}, &mockUser{ID: 1}}},
				{bulk: mockAge.Lt(18)},
				{objs: []any{&mockUser{ID: 7}}},
				{bulk: mockName.Eq("bob")},
				{objs: []any{&mockPost{ID: 2}}},
			},
			stmts: []mockExec{
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 3), rows: 2},
				{query: `DELETE FROM "posts" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
				{query: `DELETE FROM "users" WHERE "age" < ?`, args: mockArgs(18), rows: 3},
				{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(7), rows: 1},
				{query: `DELETE FROM "users" WHERE "name" = ?`, args: mockArgs("bob"), rows: 1},
				{query: `DELETE FROM "posts" WHERE "id" IN (?)`, args: mockArgs(2), rows: 1, prepared: true},
			},
		},
		{
			name: "a key registered before and after a bulk delete is sent only before it",
			ops: []op{
				{objs: []any{&mockUser{ID: 1}, &mockUser{ID: 2}}},
				{bulk: mockAge.Lt(18)},
				{objs: []any{&mockUser{ID: 2}, &mockUser{ID: 3}}},
			},
			stmts: []mockExec{
				{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
				{query: `DELETE FROM "users" WHERE "age" < ?`, args: mockArgs(18), rows: 3},
				{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(3), rows: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, mock, _ := newMockSession(t)
			mockExpect(mock, mockBegin{})
			for _, st := range tt.stmts {
				mockExpect(mock, st)
			}
			mockExpect(mock, mockCommit{})
			var handles []*typeddelete.Deletion
			for _, o := range tt.ops {
				if o.objs != nil {
					mockNoError(t, "Delete", s.Delete(o.objs...))
					continue
				}
				d, err := typeddelete.Query[mockUser](s).Filter(o.bulk).Delete()
				mockNoError(t, "Query.Delete", err)
				handles = append(handles, d)
			}
			mockNoError(t, "Commit", s.Commit(context.Background()))
			var bulkRows []int64
			for _, st := range tt.stmts {
				if !strings.Contains(st.query, `"id" IN`) {
					bulkRows = append(bulkRows, st.rows)
				}
			}
			for i, d := range handles {
				mockRows(t, d, bulkRows[i], true)
			}
			var want int64
			for _, st := range tt.stmts {
				want += st.rows
			}
			if got := s.LastCommit(); got.Statements != len(tt.stmts) || got.Deleted["users"]+got.Deleted["posts"] != want {
				t.Errorf("LastCommit() = %+v, want %d statements deleting %d rows", got, len(tt.stmts), want)
			}
			mockVerify(t, mock)
		})
	}
}

func TestMockRowCounts(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		opts    []typeddelete.Option
		objs    []any
		expect  []mockExpectation
		missing []typeddelete.MissingKey
		deleted map[string]int64
		stmts   int
	}{
		{
			name: "SQLite reruns the transaction reading which keys exist, then deleting those, and reports the missing key",
			objs: []any{&mockUser{ID: 3}, &mockUser{ID: 1}, &mockUser{ID: 2}},
			expect: []mockExpectation{
				mockBegin{},
				mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3), rows: 2},
				mockRollback{},
				mockBegin{},
				mockQuery{query: `SELECT "id" FROM "users" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3),
					cols: []string{"id"}, rows: [][]driver.Value{{int64(1)}, {int64(3)}}},
				mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 3), rows: 2},
				mockCommit{},
			},
			missing: []typeddelete.MissingKey{{Table: "users", Key: []any{int64(2)}}},
			deleted: map[string]int64{"users": 2},
			stmts:   2,
		},
		{
			name: "PostgreSQL reruns the transaction locking the keys of the array that exist, and deletes none when none does",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresDialect())},
			objs: []any{&mockUser{ID: 1}, &mockUser{ID: 2}},
			expect: []mockExpectation{
				mockBegin{},
				mockExec{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1, 2}), rows: 0},
				mockRollback{},
				mockBegin{},
				mockQuery{query: `SELECT "id" FROM "users" WHERE "id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1, 2}),
					cols: []string{"id"}},
				mockCommit{},
			},
			missing: []typeddelete.MissingKey{{Table: "users", Key: []any{int64(1)}}, {Table: "users", Key: []any{int64(2)}}},
			deleted: map[string]int64{"users": 0},
			stmts:   1,
		},
		{
			name: "MySQL reruns the transaction reading the keys with SELECT ... FOR UPDATE, then deleting those found",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.MySQLDialect())},
			objs: []any{&mockUser{ID: 1}, &mockUser{ID: 2}},
			expect: []mockExpectation{
				mockBegin{},
				mockExec{query: "DELETE FROM `users` WHERE `id` IN (1,2)", rows: 1},
				mockRollback{},
				mockBegin{},
				mockQuery{query: "SELECT `id` FROM `users` WHERE `id` IN (1,2) FOR UPDATE",
					cols: []string{"id"}, rows: [][]driver.Value{{int64(2)}}},
				mockExec{query: "DELETE FROM `users` WHERE `id` IN (2)", rows: 1},
				mockCommit{},
			},
			missing: []typeddelete.MissingKey{{Table: "users", Key: []any{int64(1)}}},
			deleted: map[string]int64{"users": 1},
			stmts:   2,
		},
		{
			name: "MySQL sends no DELETE when SELECT ... FOR UPDATE finds none of the keys",
			opts: []typeddelete.Option{typeddelete.WithDialect(typeddelete.MySQLDialect())},
			objs: []any{&mockPost{ID: 4}},
			expect: []mockExpectation{
				mockBegin{},
				mockExec{query: "DELETE FROM `posts` WHERE `id` IN (4)", rows: 0},
				mockRollback{},
				mockBegin{},
				mockQuery{query: "SELECT `id` FROM `posts` WHERE `id` IN (4) FOR UPDATE", cols: []string{"id"}},
				mockCommit{},
			},
			missing: []typeddelete.MissingKey{{Table: "posts", Key: []any{int64(4)}}},
			deleted: map[string]int64{"posts": 0},
			stmts:   1,
		},
		{
			name: "a missing composite key is reported with every part",
			objs: []any{&mockMembership{GroupID: 1, UserID: 2}, &mockMembership{GroupID: 1, UserID: 1}},
			expect: []mockExpectation{
				mockBegin{},
				mockExec{query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?), (?,?))`, args: mockArgs(1, 1, 1, 2), rows: 1},
				mockRollback{},
				mockBegin{},
				mockQuery{query: `SELECT "group_id", "user_id" FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?), (?,?))`,
					args: mockArgs(1, 1, 1, 2), cols: []string{"group_id", "user_id"}, rows: [][]driver.Value{{int64(1), int64(1)}}},
				mockExec{query: `DELETE FROM "memberships" WHERE ("group_id", "user_id") IN (VALUES (?,?))`, args: mockArgs(1, 1), rows: 1},
				mockCommit{},
			},
			missing: []typeddelete.MissingKey{{Table: "memberships", Key: []any{int64(1), int64(2)}}},
			deleted: map[string]int64{"memberships": 1},
			stmts:   2,
		},
		{
			name: "a short batch reruns every batch of the commit in precise mode",
			opts: []typeddelete.Option{typeddelete.WithBatchSize(2)},
			objs: []any{&mockUser{ID: 1}, &mockUser{ID: 2}, &mockUser{ID: 3}, &mockUser{ID: 4}, &mockUser{ID: 5}},
			expect: []mockExpectation{
				mockBegin{},
				mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2, prepared: true},
				mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(3, 4), rows: 1},
				mockRollback{},
				mockBegin{},
				mockQuery{query: `SELECT "id" FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2),
					cols: []string{"id"}, rows: [][]driver.Value{{int64(1)}, {int64(2)}}},
				mockQuery{query: `SELECT "id" FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(3, 4),
					cols: []string{"id"}, rows: [][]driver.Value{{int64(3)}}},
				mockQuery{query: `SELECT "id" FROM "users" WHERE "id" IN (?)`, args: mockArgs(5),
					cols: []string{"id"}, rows: [][]driver.Value{{int64(5)}}},
				mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2, prepared: true},
				mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(3, 5), rows: 2},
				mockCommit{},
			},
			missing: []typeddelete.MissingKey{{Table: "users", Key: []any{int64(4)}}},
			deleted: map[string]int64{"users": 4},
			stmts:   5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, mock, _ := newMockSession(t, tt.opts...)
			mockExpect(mock, tt.expect...)
			mockNoError(t, "Delete", s.Delete(tt.objs...))
			mockNoError(t, "Commit", s.Commit(ctx))
			mockLastCommit(t, s, typeddelete.CommitResult{Statements: tt.stmts, Deleted: tt.deleted, Missing: tt.missing})
			mockPending(t, s, 0, 0)
			mockVerify(t, mock)
		})
	}

	t.Run("with strict row counts a missing key fails the Commit, rolls back and stays pending", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithStrictRowCounts())
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" > ?`, args: mockArgs(90), rows: 2},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3), rows: 2},
			mockRollback{},
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" > ?`, args: mockArgs(90), rows: 2},
			mockQuery{query: `SELECT "id" FROM "users" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3),
				cols: []string{"id"}, rows: [][]driver.Value{{int64(1)}, {int64(3)}}},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 3), rows: 2},
			mockRollback{},
		)
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Gt(90)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 3}, &mockUser{ID: 2}, &mockUser{ID: 1}))
		err = s.Commit(ctx)
		mockErrorIs(t, "Commit", err, typeddelete.ErrStaleData)
		var stale *typeddelete.StaleDataError
		if !errors.As(err, &stale) {
			t.Fatalf("Commit error %v is not a *StaleDataError", err)
		}
		if want := (&typeddelete.StaleDataError{Table: "users", Keys: [][]any{{int64(2)}}}); !reflect.DeepEqual(stale, want) {
			t.Errorf("StaleDataError = %+v, want %+v", stale, want)
		}
		if want := `typeddelete: stale data: 1 key(s) of "users" matched no row: 2`; err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		mockRows(t, d, 0, false)
		mockPending(t, s, 3, 1)
		mockLastCommit(t, s, typeddelete.CommitResult{})
		mockVerify(t, mock)

		// A retry sends the same work again.
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" > ?`, args: mockArgs(90), rows: 2},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3), rows: 3},
			mockCommit{},
		)
		mockNoError(t, "retried Commit", s.Commit(ctx))
		mockRows(t, d, 2, true)
		mockPending(t, s, 0, 0)
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 2, Deleted: map[string]int64{"users": 5}})
		mockVerify(t, mock)
	})

	t.Run("with strict row counts missing keys of several tables are all reported", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithStrictRowCounts(), typeddelete.WithDialect(typeddelete.MySQLDialect()))
		mockExpect(mock,
			mockBegin{},
			mockExec{query: "DELETE FROM `users` WHERE `id` IN (1,2)", rows: 1},
			mockRollback{},
			mockBegin{},
			mockQuery{query: "SELECT `id` FROM `users` WHERE `id` IN (1,2) FOR UPDATE",
				cols: []string{"id"}, rows: [][]driver.Value{{int64(1)}}},
			mockExec{query: "DELETE FROM `users` WHERE `id` IN (1)", rows: 1},
			mockQuery{query: "SELECT `id` FROM `posts` WHERE `id` IN (9) FOR UPDATE", cols: []string{"id"}},
			mockRollback{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockUser{ID: 2}, &mockPost{ID: 9}))
		err := s.Commit(ctx)
		mockErrorIs(t, "Commit", err, typeddelete.ErrStaleData)
		var tables []string
		for _, e := range mockLeaves(err) {
			var stale *typeddelete.StaleDataError
			if errors.As(e, &stale) {
				tables = append(tables, fmt.Sprintf("%s %v", stale.Table, stale.Keys))
			}
		}
		if want := []string{"users [[2]]", "posts [[9]]"}; !slices.Equal(tables, want) {
			t.Errorf("stale tables = %q, want %q", tables, want)
		}
		mockPending(t, s, 3, 0)
		mockVerify(t, mock)
	})

	t.Run("with strict row counts on a caller's *sql.Tx a missing key rolls back to the savepoint", func(t *testing.T) {
		db, mock := newMock(t)
		mockExpect(mock, mockBegin{})
		tx, err := db.Begin()
		mockNoError(t, "db.Begin", err)
		s := mockNewSession(tx, typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithStrictRowCounts())
		mockExpect(mock,
			mockSavepoint,
			mockExec{query: `DELETE FROM "posts" WHERE "id" = ANY($1)`, args: mockArgs([]int64{4}), rows: 0},
			mockRollbackTo,
			mockRelease,
			mockSavepoint,
			mockQuery{query: `SELECT "id" FROM "posts" WHERE "id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{4}), cols: []string{"id"}},
			mockRollbackTo,
			mockRelease,
		)
		mockNoError(t, "Delete", s.Delete(&mockPost{ID: 4}))
		err = s.Commit(ctx)
		var stale *typeddelete.StaleDataError
		if !errors.As(err, &stale) || stale.Table != "posts" || !reflect.DeepEqual(stale.Keys, [][]any{{int64(4)}}) {
			t.Errorf("Commit error = %v, want a *StaleDataError for key 4 of posts", err)
		}
		mockPending(t, s, 1, 0)
		mockVerify(t, mock)
	})
}

// mockLeaves returns the errors joined in err (err itself when it joins
// none), in order.
func mockLeaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestMockFailureRollsBack(t *testing.T) {
	ctx := context.Background()

	t.Run("a SQL error mid-commit rolls back, wraps the driver error and keeps the work pending", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" < ?`, args: mockArgs(10), rows: 4},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), err: mockErrDriver},
			mockRollback{},
		)
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Lt(10)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		err = s.Commit(ctx)
		mockErrorIs(t, "Commit", err, mockErrDriver)
		if err != nil && !strings.Contains(err.Error(), `"users"`) {
			t.Errorf("error %q does not name the table", err)
		}
		mockRows(t, d, 0, false)
		mockPending(t, s, 1, 1)
		mockLastCommit(t, s, typeddelete.CommitResult{})
		mockVerify(t, mock)

		// The retry sends everything again.
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" < ?`, args: mockArgs(10), rows: 4},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockCommit{},
		)
		mockNoError(t, "retried Commit", s.Commit(ctx))
		mockRows(t, d, 4, true)
		mockPending(t, s, 0, 0)
		mockVerify(t, mock)
	})

	t.Run("a failed COMMIT returns its error and keeps the work pending", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "name" = ?`, args: mockArgs("x"), rows: 1},
			mockExec{query: `DELETE FROM "posts" WHERE "id" IN (?)`, args: mockArgs(2), rows: 1},
			mockCommit{err: mockErrDriver},
		)
		d, err := typeddelete.Query[mockUser](s).FilterBy("name", "x").Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Delete", s.Delete(&mockPost{ID: 2}))
		err = s.Commit(ctx)
		mockErrorIs(t, "Commit", err, mockErrDriver)
		mockRows(t, d, 0, false)
		mockPending(t, s, 1, 1)
		mockLastCommit(t, s, typeddelete.CommitResult{})
		mockVerify(t, mock)
	})

	t.Run("a failed BEGIN returns its error and keeps the work pending", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock, mockBegin{err: mockErrDriver})
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		mockErrorIs(t, "Commit", s.Commit(ctx), mockErrDriver)
		mockPending(t, s, 1, 0)
		mockVerify(t, mock)
	})

	t.Run("a failed ROLLBACK is reported with the error that caused it", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		rollbackErr := errors.New("mock driver: rollback failed")
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), err: mockErrDriver},
			mockRollback{err: rollbackErr},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		err := s.Commit(ctx)
		mockErrorIs(t, "Commit", err, mockErrDriver)
		mockErrorIs(t, "Commit", err, rollbackErr)
		mockPending(t, s, 1, 0)
		mockVerify(t, mock)
	})

	t.Run("a context cancelled before Commit sends nothing and keeps the work pending", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		_, err := typeddelete.Query[mockUser](s).Filter(mockAge.Gt(1)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockErrorIs(t, "Commit", s.Commit(cctx), context.Canceled)
		mockErrorIs(t, "Flush", s.Flush(cctx), context.Canceled)
		mockPending(t, s, 1, 1)
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})

	t.Run("a context cancelled between Flush and Commit rolls back the flushed work", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockRollback{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		mockNoError(t, "Flush", s.Flush(ctx))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		mockErrorIs(t, "Commit", s.Commit(cctx), context.Canceled)
		mockPending(t, s, 1, 0)
		mockVerify(t, mock)
	})

	t.Run("Rollback after Flush sends ROLLBACK and clears the pending work", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockExec{query: `DELETE FROM "users" WHERE "age" BETWEEN ? AND ?`, args: mockArgs(20, 29), rows: 6},
			mockRollback{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Between(20, 29)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Flush", s.Flush(ctx))
		mockRows(t, d, 6, true)
		mockPending(t, s, 0, 0)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 2}))
		mockNoError(t, "Rollback", s.Rollback(context.Background()))
		mockRows(t, d, 0, false)
		mockPending(t, s, 0, 0)
		// Nothing is left to commit.
		mockNoError(t, "Commit", s.Commit(ctx))
		mockLastCommit(t, s, typeddelete.CommitResult{})
		mockVerify(t, mock)
	})
}

func TestMockFlushThenCommit(t *testing.T) {
	ctx := context.Background()

	t.Run("Flush sends the work in an open transaction and Commit only commits it", func(t *testing.T) {
		db, mock := newMock(t)
		// One connection: a read that did not go through the session's
		// transaction would wait for it and time out.
		db.SetMaxOpenConns(1)
		s := mockNewSession(db)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 2}, &mockUser{ID: 1}))
		mockNoError(t, "Flush", s.Flush(ctx))
		mockPending(t, s, 0, 0)
		mockVerify(t, mock)

		mockExpect(mock,
			mockQuery{query: `SELECT COUNT(*) FROM "users" WHERE "age" > ?`, args: mockArgs(30),
				cols: []string{"COUNT(*)"}, rows: [][]driver.Value{{int64(5)}}},
			mockQuery{query: `SELECT "id", "name", "age" FROM "users" WHERE "id" = ? ORDER BY "id" LIMIT 1`, args: mockArgs(7),
				cols: []string{"id", "name", "age"}, rows: [][]driver.Value{{int64(7), "ann", int64(40)}}},
		)
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n, err := typeddelete.Query[mockUser](s).Filter(mockAge.Gt(30)).Count(rctx)
		mockNoError(t, "Count after Flush", err)
		if n != 5 {
			t.Errorf("Count() = %d, want 5", n)
		}
		u, err := typeddelete.Query[mockUser](s).Get(rctx, int64(7))
		mockNoError(t, "Get after Flush", err)
		if want := (&mockUser{ID: 7, Name: "ann", Age: 40}); !reflect.DeepEqual(u, want) {
			t.Errorf("Get() = %+v, want %+v", u, want)
		}
		mockVerify(t, mock)

		mockExpect(mock,
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(7), rows: 1},
			mockCommit{},
		)
		mockNoError(t, "Delete", s.Delete(u))
		mockNoError(t, "Commit", s.Commit(ctx))
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 2, Deleted: map[string]int64{"users": 3}})
		mockVerify(t, mock)
	})

	t.Run("a Commit after Flush with nothing new pending sends only COMMIT", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" = ?`, args: mockArgs(3), rows: 2},
		)
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Eq(3)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Flush", s.Flush(ctx))
		mockVerify(t, mock)
		mockExpect(mock, mockCommit{})
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 2, true)
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 1, Deleted: map[string]int64{"users": 2}})
		mockVerify(t, mock)
	})

	t.Run("a failure at Commit after Flush rolls back the flushed work and makes it pending again", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(2), err: mockErrDriver},
			mockRollback{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		mockNoError(t, "Flush", s.Flush(ctx))
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 2}))
		mockErrorIs(t, "Commit", s.Commit(ctx), mockErrDriver)
		mockPending(t, s, 2, 0)
		mockVerify(t, mock)
	})

	t.Run("a row-count mismatch at Commit reruns the flushed work too", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" > ?`, args: mockArgs(80), rows: 1},
			mockExec{query: `DELETE FROM "posts" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 1},
			mockRollback{},
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "age" > ?`, args: mockArgs(80), rows: 1},
			mockQuery{query: `SELECT "id" FROM "posts" WHERE "id" IN (?,?)`, args: mockArgs(1, 2),
				cols: []string{"id"}, rows: [][]driver.Value{{int64(2)}}},
			mockExec{query: `DELETE FROM "posts" WHERE "id" IN (?)`, args: mockArgs(2), rows: 1},
			mockCommit{},
		)
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.Gt(80)).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Flush", s.Flush(ctx))
		mockNoError(t, "Delete", s.Delete(&mockPost{ID: 1}, &mockPost{ID: 2}))
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 1, true)
		mockLastCommit(t, s, typeddelete.CommitResult{
			Statements: 3,
			Deleted:    map[string]int64{"users": 1, "posts": 1},
			Missing:    []typeddelete.MissingKey{{Table: "posts", Key: []any{int64(1)}}},
		})
		mockVerify(t, mock)
	})
}

func TestMockQueryPreview(t *testing.T) {
	type want struct {
		del, sel string
		args     []any
	}
	tests := []struct {
		name   string
		build  func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser]
		sqlite want
		pg     want
		mysql  want
	}{
		{
			name: "one comparison",
			build: func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser] {
				return q.Filter(mockAge.Gt(30))
			},
			sqlite: want{`DELETE FROM "users" WHERE "age" > ?`, `SELECT "id", "name", "age" FROM "users" WHERE "age" > ?`, []any{30}},
			pg:     want{`DELETE FROM "users" WHERE "age" > $1`, `SELECT "id", "name", "age" FROM "users" WHERE "age" > $1`, []any{30}},
			mysql:  want{"DELETE FROM `users` WHERE `age` > ?", "SELECT `id`, `name`, `age` FROM `users` WHERE `age` > ?", []any{30}},
		},
		{
			name: "several predicates are joined with AND",
			build: func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser] {
				return q.Filter(mockAge.Ge(18), typeddelete.Like(mockName, "a%")).FilterBy("id", []int64{1, 2})
			},
			sqlite: want{`DELETE FROM "users" WHERE ("age" >= ? AND "name" LIKE ? AND "id" IN (?,?))`,
				`SELECT "id", "name", "age" FROM "users" WHERE ("age" >= ? AND "name" LIKE ? AND "id" IN (?,?))`,
				[]any{18, "a%", int64(1), int64(2)}},
			pg: want{`DELETE FROM "users" WHERE ("age" >= $1 AND "name" LIKE $2 AND "id" = ANY($3))`,
				`SELECT "id", "name", "age" FROM "users" WHERE ("age" >= $1 AND "name" LIKE $2 AND "id" = ANY($3))`,
				[]any{18, "a%", []int64{1, 2}}},
			mysql: want{"DELETE FROM `users` WHERE (`age` >= ? AND `name` LIKE ? AND `id` IN (1,2))",
				"SELECT `id`, `name`, `age` FROM `users` WHERE (`age` >= ? AND `name` LIKE ? AND `id` IN (1,2))",
				[]any{18, "a%"}},
		},
		{
			name: "Or and Not nest in parentheses",
			build: func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser] {
				return q.Filter(typeddelete.Or(mockID.In(1, 2), typeddelete.Not(mockAge.Between(20, 30))))
			},
			sqlite: want{`DELETE FROM "users" WHERE ("id" IN (?,?) OR NOT ("age" BETWEEN ? AND ?))`,
				`SELECT "id", "name", "age" FROM "users" WHERE ("id" IN (?,?) OR NOT ("age" BETWEEN ? AND ?))`,
				[]any{int64(1), int64(2), 20, 30}},
			pg: want{`DELETE FROM "users" WHERE ("id" = ANY($1) OR NOT ("age" BETWEEN $2 AND $3))`,
				`SELECT "id", "name", "age" FROM "users" WHERE ("id" = ANY($1) OR NOT ("age" BETWEEN $2 AND $3))`,
				[]any{[]int64{1, 2}, 20, 30}},
			mysql: want{"DELETE FROM `users` WHERE (`id` IN (1,2) OR NOT (`age` BETWEEN ? AND ?))",
				"SELECT `id`, `name`, `age` FROM `users` WHERE (`id` IN (1,2) OR NOT (`age` BETWEEN ? AND ?))",
				[]any{20, 30}},
		},
		{
			name: "a Raw expression is sent as written, in parentheses",
			build: func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser] {
				return q.Filter(typeddelete.Raw[mockUser](sq.Expr("age % ? = 0", 2)))
			},
			sqlite: want{`DELETE FROM "users" WHERE (age % ? = 0)`, `SELECT "id", "name", "age" FROM "users" WHERE (age % ? = 0)`, []any{2}},
			pg:     want{`DELETE FROM "users" WHERE (age % $1 = 0)`, `SELECT "id", "name", "age" FROM "users" WHERE (age % $1 = 0)`, []any{2}},
			mysql:  want{"DELETE FROM `users` WHERE (age % ? = 0)", "SELECT `id`, `name`, `age` FROM `users` WHERE (age % ? = 0)", []any{2}},
		},
		{
			name:   "AllRows with no filter deletes every row",
			build:  func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser] { return q.AllRows() },
			sqlite: want{`DELETE FROM "users"`, `SELECT "id", "name", "age" FROM "users"`, nil},
			pg:     want{`DELETE FROM "users"`, `SELECT "id", "name", "age" FROM "users"`, nil},
			mysql:  want{"DELETE FROM `users`", "SELECT `id`, `name`, `age` FROM `users`", nil},
		},
		{
			name: "AllRows with an always-true filter deletes every row",
			build: func(q *typeddelete.TypedQuery[mockUser]) *typeddelete.TypedQuery[mockUser] {
				return q.Filter(mockID.NotIn()).AllRows()
			},
			sqlite: want{`DELETE FROM "users"`, `SELECT "id", "name", "age" FROM "users"`, nil},
			pg:     want{`DELETE FROM "users"`, `SELECT "id", "name", "age" FROM "users"`, nil},
			mysql:  want{"DELETE FROM `users`", "SELECT `id`, `name`, `age` FROM `users`", nil},
		},
	}
	dialects := []struct {
		name string
		d    *typeddelete.Dialect
		pick func(w [3]want) want
	}{
		{"sqlite", typeddelete.SQLiteDialect(), func(w [3]want) want { return w[0] }},
		{"postgres", typeddelete.PostgresDialect(), func(w [3]want) want { return w[1] }},
		{"mysql", typeddelete.MySQLDialect(), func(w [3]want) want { return w[2] }},
	}
	for _, tt := range tests {
		for _, dl := range dialects {
			t.Run(tt.name+" on "+dl.name, func(t *testing.T) {
				s, mock, log := newMockSession(t, typeddelete.WithDialect(dl.d))
				w := dl.pick([3]want{tt.sqlite, tt.pg, tt.mysql})
				q := tt.build(typeddelete.Query[mockUser](s))
				del, args, err := q.DeleteSQL()
				mockNoError(t, "DeleteSQL", err)
				if del != w.del || !mockSameArgs(args, w.args) {
					t.Errorf("DeleteSQL() = %q %#v, want %q %#v", del, args, w.del, w.args)
				}
				sel, args, err := q.SelectSQL()
				mockNoError(t, "SelectSQL", err)
				if sel != w.sel || !mockSameArgs(args, w.args) {
					t.Errorf("SelectSQL() = %q %#v, want %q %#v", sel, args, w.sel, w.args)
				}
				mockPending(t, s, 0, 0)
				mockVerify(t, mock)
				mockNothingSent(t, log)
			})
		}
	}
}

// mockSameArgs compares argument lists, taking nil and empty as equal.
func mockSameArgs(got, want []any) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(got, want)
}

func TestMockBulkDeleteEdgeCases(t *testing.T) {
	ctx := context.Background()

	t.Run("AllRows sends DELETE without WHERE", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users"`, rows: 7},
			mockCommit{},
		)
		d, err := typeddelete.Query[mockUser](s).AllRows().Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 7, true)
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 1, Deleted: map[string]int64{"users": 7}})
		mockVerify(t, mock)
	})

	t.Run("In with no values previews no SQL and sends nothing at Commit", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		q := typeddelete.Query[mockUser](s).Filter(mockID.In())
		del, args, err := q.DeleteSQL()
		if del != "" || args != nil || err != nil {
			t.Errorf("DeleteSQL() = %q, %v, %v; want \"\", nil, nil", del, args, err)
		}
		d, err := q.Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 0, true)
		mockPending(t, s, 0, 0)
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})

	t.Run("Raw(squirrel.Or{}) matches no row and sends nothing at Commit", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		d, err := typeddelete.Query[mockUser](s).Filter(typeddelete.Raw[mockUser](sq.Or{})).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 0, true)
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})

	t.Run("a bulk delete that can match no row is skipped among other work", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockCommit{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		d, err := typeddelete.Query[mockUser](s).Filter(mockAge.In()).Delete()
		mockNoError(t, "Query.Delete", err)
		mockNoError(t, "Commit", s.Commit(ctx))
		mockRows(t, d, 0, true)
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 1, Deleted: map[string]int64{"users": 1}})
		mockVerify(t, mock)
	})
}

// mockBulkErrs runs DeleteSQL and Delete on q and returns both errors.
func mockBulkErrs[T any](q *typeddelete.TypedQuery[T]) []error {
	_, _, sqlErr := q.DeleteSQL()
	d, err := q.Delete()
	if d != nil && err != nil {
		err = fmt.Errorf("Delete returned a Deletion with error %w", err)
	}
	return []error{sqlErr, err}
}

func TestMockBadInputIsRejectedAndSendsNothing(t *testing.T) {
	users := func(s *typeddelete.Session) *typeddelete.TypedQuery[mockUser] { return typeddelete.Query[mockUser](s) }
	notAStruct := 5
	tests := []struct {
		name string
		run  func(s *typeddelete.Session) []error
		want error
	}{
		{"a bulk delete with no filter fails with ErrMissingWhere", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s))
		}, typeddelete.ErrMissingWhere},
		{"And() with no predicates counts as no filter", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.And[mockUser]()))
		}, typeddelete.ErrMissingWhere},
		{"NotIn() with no values counts as no filter", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(mockAge.NotIn()))
		}, typeddelete.ErrMissingWhere},
		{"Raw(squirrel.Eq{}) counts as no filter", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Raw[mockUser](sq.Eq{})))
		}, typeddelete.ErrMissingWhere},
		{"Raw(squirrel.And{}) counts as no filter", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Raw[mockUser](sq.And{})))
		}, typeddelete.ErrMissingWhere},
		{"FilterBy with an unknown column fails with ErrUnknownColumn", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).FilterBy("nope", 1))
		}, typeddelete.ErrUnknownColumn},
		{"FilterBy with a value of the wrong type fails with ErrInvalidValue", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).FilterBy("age", "old"))
		}, typeddelete.ErrInvalidValue},
		{"Raw(nil) fails with ErrInvalidPredicate", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Raw[mockUser](nil)))
		}, typeddelete.ErrInvalidPredicate},
		{"the zero Predicate fails with ErrInvalidPredicate", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Predicate[mockUser]{}))
		}, typeddelete.ErrInvalidPredicate},
		{"the zero Predicate inside Or fails with ErrInvalidPredicate", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Or(mockAge.Gt(1), typeddelete.Predicate[mockUser]{})))
		}, typeddelete.ErrInvalidPredicate},
		{"a Raw expression that renders to nothing fails with ErrInvalidPredicate", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Raw[mockUser](sq.Expr(""))))
		}, typeddelete.ErrInvalidPredicate},
		{"the zero Column fails with ErrInvalidPredicate", func(s *typeddelete.Session) []error {
			return mockBulkErrs(users(s).Filter(typeddelete.Column[mockUser, int]{}.Eq(1)))
		}, typeddelete.ErrInvalidPredicate},
		{"a query on a model with no primary key fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return mockBulkErrs(typeddelete.Query[mockNoKey](s).FilterBy("name", "x"))
		}, typeddelete.ErrInvalidModel},
		{"Delete(nil) fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return []error{s.Delete(nil)}
		}, typeddelete.ErrInvalidModel},
		{"Delete of a struct value fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return []error{s.Delete(mockUser{ID: 1})}
		}, typeddelete.ErrInvalidModel},
		{"Delete of a pointer to a non-struct fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return []error{s.Delete(&notAStruct)}
		}, typeddelete.ErrInvalidModel},
		{"Delete of a nil *mockUser fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return []error{s.Delete((*mockUser)(nil))}
		}, typeddelete.ErrInvalidModel},
		{"Delete of a model with no primary key fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return []error{s.Delete(&mockNoKey{Name: "x"})}
		}, typeddelete.ErrInvalidModel},
		{"Delete of a slice of struct values fails with ErrInvalidModel", func(s *typeddelete.Session) []error {
			return []error{s.Delete([]mockUser{{ID: 1}})}
		}, typeddelete.ErrInvalidModel},
		{"Delete of an object with a zero key fails with ErrNotPersisted", func(s *typeddelete.Session) []error {
			return []error{s.Delete(&mockUser{Name: "new"})}
		}, typeddelete.ErrNotPersisted},
		{"Delete of an object with a zero part of its composite key fails with ErrNotPersisted", func(s *typeddelete.Session) []error {
			return []error{s.Delete(&mockMembership{GroupID: 1})}
		}, typeddelete.ErrNotPersisted},
		{"one invalid object makes Delete register none of its arguments", func(s *typeddelete.Session) []error {
			return []error{s.Delete(&mockUser{ID: 1}, []*mockUser{{ID: 2}, {}})}
		}, typeddelete.ErrNotPersisted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, mock, log := newMockSession(t)
			errs := tt.run(s)
			for i, err := range errs {
				mockErrorIs(t, fmt.Sprintf("call %d", i), err, tt.want)
			}
			mockPending(t, s, 0, 0)
			mockNoError(t, "Commit", s.Commit(context.Background()))
			mockVerify(t, mock)
			mockNothingSent(t, log)
		})
	}

	t.Run("an invalid Delete keeps the objects registered before it", func(t *testing.T) {
		s, mock, _ := newMockSession(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?,?)`, args: mockArgs(1, 2), rows: 2},
			mockCommit{},
		)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}))
		mockErrorIs(t, "Delete", s.Delete(&mockUser{ID: 3}, &mockUser{}), typeddelete.ErrNotPersisted)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 2}))
		mockPending(t, s, 2, 0)
		mockNoError(t, "Commit", s.Commit(context.Background()))
		mockVerify(t, mock)
	})
}

func TestMockUnknownDriverNeedsWithDialect(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s *typeddelete.Session, driverName string) {
		t.Helper()
		if d := s.Dialect(); d != nil {
			t.Errorf("Dialect() = %v, want nil", d)
		}
		q := typeddelete.Query[mockUser](s).FilterBy("id", 1)
		_, _, delErr := q.DeleteSQL()
		_, _, selErr := q.SelectSQL()
		_, bulkErr := q.Delete()
		_, allErr := q.All(ctx)
		_, firstErr := q.First(ctx)
		_, getErr := typeddelete.Query[mockUser](s).Get(ctx, int64(1))
		_, countErr := q.Count(ctx)
		calls := []struct {
			name string
			err  error
		}{
			{"Delete", s.Delete(&mockUser{ID: 1})},
			{"Flush", s.Flush(ctx)},
			{"Commit", s.Commit(ctx)},
			{"Rollback", s.Rollback(context.Background())},
			{"DeleteSQL", delErr},
			{"SelectSQL", selErr},
			{"Query.Delete", bulkErr},
			{"All", allErr},
			{"First", firstErr},
			{"Get", getErr},
			{"Count", countErr},
		}
		for _, c := range calls {
			mockErrorIs(t, c.name, c.err, typeddelete.ErrUnknownDialect)
			if c.err != nil && !strings.Contains(c.err.Error(), driverName) {
				t.Errorf("%s: error %q does not name %s", c.name, c.err, driverName)
			}
		}
		mockPending(t, s, 0, 0)
	}

	t.Run("a *sql.DB over sqlmock without WithDialect fails every method", func(t *testing.T) {
		db, mock := newMock(t)
		s := typeddelete.NewSession(db)
		check(t, s, fmt.Sprintf("%T", db.Driver()))
		mockVerify(t, mock)
	})

	t.Run("a *sql.Tx without WithDialect fails every method", func(t *testing.T) {
		db, mock := newMock(t)
		mockExpect(mock, mockBegin{})
		tx, err := db.Begin()
		mockNoError(t, "db.Begin", err)
		s := typeddelete.NewSession(tx)
		check(t, s, "*sql.Tx")
		mockExpect(mock, mockRollback{})
		mockNoError(t, "tx.Rollback", tx.Rollback())
		mockVerify(t, mock)
	})
}

func TestMockConcurrentRegistrationAndOneCommit(t *testing.T) {
	const workers = 8
	db, mock := newMock(t)
	mock.MatchExpectationsInOrder(false)
	log := &mockLog{}
	// One key per statement makes the statements the same whatever order
	// the goroutines register in.
	s := mockNewSession(db, typeddelete.WithBatchSize(1), typeddelete.WithLogger(slog.New(log)))

	mockExpect(mock, mockBegin{})
	// User 1000 is registered by every worker and must be deleted once.
	mockExpect(mock, mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1000), rows: 1})
	// Each statement text is sent again and again: it is prepared once.
	for i := range workers {
		mockExpect(mock,
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(i + 1), rows: 1, prepared: i == 0},
			mockExec{query: `DELETE FROM "users" WHERE "age" = ?`, args: mockArgs(i + 1), rows: 10, prepared: i == 0},
		)
	}
	mockExpect(mock, mockCommit{})

	var wg sync.WaitGroup
	handles := make([]*typeddelete.Deletion, workers)
	errs := make(chan error, 2*workers)
	for i := range workers {
		wg.Go(func() {
			errs <- s.Delete(&mockUser{ID: int64(i + 1)}, &mockUser{ID: 1000})
			d, err := typeddelete.Query[mockUser](s).FilterBy("age", i+1).Delete()
			handles[i] = d
			errs <- err
			s.Pending()
			s.LastCommit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mockNoError(t, "concurrent registration", err)
	}
	mockPending(t, s, 2*workers, workers)
	mockNoError(t, "Commit", s.Commit(context.Background()))
	mockVerify(t, mock)
	for _, d := range handles {
		mockRows(t, d, 10, true)
	}
	mockLastCommit(t, s, typeddelete.CommitResult{Statements: 2*workers + 1, Deleted: map[string]int64{"users": 11*workers + 1}})

	// Each worker's object delete was sent before its bulk delete.
	sent := log.sent()
	at := make(map[string]int)
	var ids []int64
	for i, st := range sent {
		if len(st.args) != 1 {
			continue
		}
		at[fmt.Sprintf("%s %v", st.sql, st.args[0])] = i
		if strings.Contains(st.sql, `"id" IN`) {
			ids = append(ids, st.args[0].(int64))
		}
	}
	slices.Sort(ids)
	wantIDs := []int64{1, 2, 3, 4, 5, 6, 7, 8, 1000}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("object deletes sent for ids %v, want %v", ids, wantIDs)
	}
	for i := range workers {
		obj, okObj := at[fmt.Sprintf(`DELETE FROM "users" WHERE "id" IN (?) %d`, i+1)]
		bulk, okBulk := at[fmt.Sprintf(`DELETE FROM "users" WHERE "age" = ? %d`, i+1)]
		if !okObj || !okBulk || obj > bulk {
			t.Errorf("worker %d: object delete at %d (%t), bulk delete at %d (%t); want the object delete first", i, obj, okObj, bulk, okBulk)
		}
	}
}
