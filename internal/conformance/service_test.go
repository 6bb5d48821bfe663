package conformance_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/typeddelete/typeddelete"
)

// What a service team relies on: logs, error messages, the per-request
// session, sql.ErrNoRows.

// levelLog is a slog.Handler that keeps each record's level, message,
// attributes and context.
type levelLog struct {
	mu   sync.Mutex
	recs []levelRec
}

type levelRec struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
	ctx   context.Context
}

func (l *levelLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *levelLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *levelLog) WithGroup(string) slog.Handler            { return l }
func (l *levelLog) Handle(ctx context.Context, r slog.Record) error {
	rec := levelRec{level: r.Level, msg: r.Message, attrs: map[string]slog.Value{}, ctx: ctx}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

// lines returns "LEVEL message" for each record.
func (l *levelLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		out = append(out, r.level.String()+" "+r.msg)
	}
	return out
}

type requestKey struct{}

// TestLogging checks levels, messages and attributes: Debug for what
// succeeds, Error for what fails, Warn only for what fails and is retried
// (not a deadlock WithoutHookRetries keeps from being retried, nor a read
// after a Commit), the retry itself logged with its attempt, and the
// ROLLBACK of a failure logged with the request's context.
func TestLogging(t *testing.T) {
	ctx := context.WithValue(context.Background(), requestKey{}, "req-1")
	t.Run("a Commit that succeeds logs at Debug, naming each statement's job", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)))
		planMust(t, "Delete", s.Delete(&planAuthor{ID: 1}, &planAccount{ID: 3}))
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `UPDATE "books" SET "author_id" = ? WHERE "author_id" IN (?)`, args: mockArgs(nil, 1), rows: 2},
			mockExec{query: `DELETE FROM "authors" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockQuery{query: `SELECT "id" FROM "accounts" WHERE "id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(3), cols: []string{"id"}, rows: [][]driver.Value{{3}}},
			mockExec{query: `UPDATE "account_notes" SET "deleted_at" = ? WHERE "account_id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(planNow{}, 3), rows: 0},
			mockExec{query: `UPDATE "accounts" SET "deleted_at" = ?, "deleted_key" = "id" WHERE "id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(planNow{}, 3), rows: 1},
			mockCommit{},
		)
		planMust(t, "Commit", s.Commit(ctx))
		want := []string{"DEBUG typeddelete: begin", "DEBUG typeddelete: set null", "DEBUG typeddelete: delete",
			"DEBUG typeddelete: read", "DEBUG typeddelete: soft delete", "DEBUG typeddelete: soft delete", "DEBUG typeddelete: commit"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		del := l.recs[2]
		if d := del.attrs["duration"]; d.Kind() != slog.KindDuration {
			t.Errorf("duration is a %s, want a time.Duration", d.Kind())
		}
		if rows := del.attrs["rows"]; rows.Int64() != 1 {
			t.Errorf("rows = %v, want 1", rows)
		}
		if args, _ := del.attrs["args"].Any().([]any); !slices.Equal(args, []any{int64(1)}) {
			t.Errorf("args = %v, want [1]", del.attrs["args"])
		}
	})
	t.Run("a failure logs at Error and its ROLLBACK with the request's context", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)))
		planMust(t, "Delete", s.Delete(&planPet{ID: 1}))
		mockExpect(mock, mockBegin{}, mockExec{query: `DELETE FROM "pets" WHERE "id" IN (?)`, args: mockArgs(1), err: errors.New("disk full")}, mockRollback{})
		if err := s.Commit(ctx); err == nil {
			t.Fatal("Commit succeeded")
		}
		want := []string{"DEBUG typeddelete: begin", "ERROR typeddelete: delete", "DEBUG typeddelete: rollback"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Fatalf("log = %q, want %q", got, want)
		}
		if e := l.recs[1].attrs["error"].String(); !strings.Contains(e, "disk full") {
			t.Errorf("error attribute = %q, want the driver's error", e)
		}
		if got := l.recs[2].ctx.Value(requestKey{}); got != "req-1" {
			t.Errorf("ROLLBACK logged with context value %v, want the request's", got)
		}
	})
	t.Run("a deadlock that is retried logs at Warn, then the retry with its attempt", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)))
		planMust(t, "Delete", s.Delete(&planPet{ID: 1}))
		del := `DELETE FROM "pets" WHERE "id" IN (?)`
		mockExpect(mock, mockBegin{}, mockExec{query: del, args: mockArgs(1), err: mockDeadlockMySQL}, mockRollback{},
			mockBegin{}, mockExec{query: del, args: mockArgs(1), rows: 1}, mockCommit{})
		planMust(t, "Commit", s.Commit(ctx))
		want := []string{"DEBUG typeddelete: begin", "WARN typeddelete: delete", "DEBUG typeddelete: rollback",
			"WARN typeddelete: retry", "DEBUG typeddelete: begin", "DEBUG typeddelete: delete", "DEBUG typeddelete: commit"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Fatalf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if a := l.recs[3].attrs["attempt"]; a.Int64() != 2 {
			t.Errorf("retry attempt = %v, want 2", a)
		}
	})
	t.Run("a deadlock that is not retried, because hooks run and WithoutHookRetries is set, logs at Error", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)), typeddelete.WithoutHookRetries())
		planMust(t, "Delete", s.Delete(&planCrew{ID: 20}))
		mockExpect(mock, mockBegin{},
			mockQuery{query: `SELECT "id" FROM "crew" WHERE "id" IN (?)`, args: mockArgs(20), cols: []string{"id"}, rows: [][]driver.Value{{20}}},
			mockExec{query: `DELETE FROM "crew" WHERE "id" IN (?)`, args: mockArgs(20), err: mockDeadlockMySQL},
			mockRollback{})
		if err := s.Commit(ctx); !errors.Is(err, typeddelete.ErrSerialization) {
			t.Fatalf("Commit error = %v, want ErrSerialization", err)
		}
		mockVerify(t, mock)
		want := []string{"DEBUG typeddelete: begin", "DEBUG typeddelete: read", "ERROR typeddelete: delete", "DEBUG typeddelete: rollback"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("a purge chunk's deadlock that is not retried, because hooks run and WithoutHookRetries is set, logs at Error", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)), typeddelete.WithoutHookRetries())
		mockExpect(mock, mockBegin{},
			mockQuery{query: `SELECT "id" FROM "crew" WHERE "name" = ? ORDER BY "id" LIMIT 1000`, args: mockArgs("x"), err: mockDeadlockMySQL},
			mockRollback{})
		if _, err := typeddelete.Query[planCrew](s).FilterBy("name", "x").Purge(ctx); !errors.Is(err, typeddelete.ErrSerialization) {
			t.Fatalf("Purge error = %v, want ErrSerialization", err)
		}
		mockVerify(t, mock)
		want := []string{"DEBUG typeddelete: begin", "ERROR typeddelete: purge read", "DEBUG typeddelete: rollback"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("a read failing on a deadlock after a Commit logs at Error: reads are never retried", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)))
		planMust(t, "Delete", s.Delete(&planPet{ID: 1}))
		mockExpect(mock, mockBegin{}, mockExec{query: `DELETE FROM "pets" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1}, mockCommit{},
			mockQuery{query: `SELECT COUNT(*) FROM "pets"`, err: mockDeadlockMySQL})
		planMust(t, "Commit", s.Commit(ctx))
		if _, err := typeddelete.Query[planPet](s).Count(ctx); !errors.Is(err, typeddelete.ErrSerialization) {
			t.Fatalf("Count error = %v, want ErrSerialization", err)
		}
		mockVerify(t, mock)
		want := []string{"DEBUG typeddelete: begin", "DEBUG typeddelete: delete", "DEBUG typeddelete: commit", "ERROR typeddelete: select"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("a Restrict relation's COUNT logs as the restrict check", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)))
		planMust(t, "Delete", s.Delete(&planCustomer{ID: 1}))
		mockExpect(mock, mockBegin{},
			mockQuery{query: `SELECT COUNT(*) FROM "orders" WHERE "customer_id" IN (?)`, args: mockArgs(1), cols: []string{"n"}, rows: planCount(3)},
			mockRollback{})
		if err := s.Commit(ctx); !errors.Is(err, typeddelete.ErrRestricted) {
			t.Fatalf("Commit error = %v, want ErrRestricted", err)
		}
		mockVerify(t, mock)
		want := []string{"DEBUG typeddelete: begin", "DEBUG typeddelete: restrict check", "DEBUG typeddelete: rollback"}
		if got := l.lines(); !slices.Equal(got, want) {
			t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if q := l.recs[1].attrs["sql"].String(); q != `SELECT COUNT(*) FROM "orders" WHERE "customer_id" IN (?)` {
			t.Errorf("restrict check sql = %q", q)
		}
	})
	t.Run("WithRedactedArgs logs how many arguments, not their values", func(t *testing.T) {
		l := &levelLog{}
		s, mock, _ := newMockSession(t, typeddelete.WithLogger(slog.New(l)), typeddelete.WithRedactedArgs())
		planMust(t, "Delete", s.Delete(&planPet{ID: 41}, &planPet{ID: 42}))
		mockExpect(mock, mockBegin{}, mockExec{query: `DELETE FROM "pets" WHERE "id" IN (?,?)`, args: mockArgs(41, 42), rows: 2}, mockCommit{})
		planMust(t, "Commit", s.Commit(ctx))
		if args := l.recs[1].attrs["args"]; args.Kind() != slog.KindInt64 || args.Int64() != 2 {
			t.Errorf("args = %v, want the count 2", args)
		}
	})
}

// TestErrorMessages checks that every error names the package once, at the
// front, says what failed, and matches its sentinels.
func TestErrorMessages(t *testing.T) {
	ctx := context.Background()
	s, mock, _ := newMockSession(t)
	soft, smock, _ := newMockSession(t)
	tests := []struct {
		name string
		err  func() error
		is   error
		want string
	}{
		{"a nil object", func() error { return s.Delete(nil) }, typeddelete.ErrInvalidModel,
			"typeddelete: Delete argument 0: invalid model: nil"},
		{"a zero key in a slice", func() error { return s.Delete([]*planPet{{ID: 1}, {}}) }, typeddelete.ErrNotPersisted,
			"typeddelete: Delete argument 0: element 1: object has a zero primary key: conformance_test.planPet.ID is zero"},
		{"a nil first element of a slice", func() error { return s.Delete([]*planPet{nil, {ID: 1}}) }, typeddelete.ErrInvalidModel,
			"typeddelete: Delete argument 0: element 0: invalid model: nil *conformance_test.planPet"},
		{"a nil later element of a slice", func() error { return s.Delete([]*planPet{{ID: 1}, nil}) }, typeddelete.ErrInvalidModel,
			"typeddelete: Delete argument 0: element 1: invalid model: nil *conformance_test.planPet"},
		{"an unknown column", func() error {
			_, err := typeddelete.Query[planPet](s).FilterBy("nope", 1).Delete()
			return err
		}, typeddelete.ErrUnknownColumn, `typeddelete: unknown column: "nope" is not a column of conformance_test.planPet (table "pets")`},
		{"a bulk delete without a filter", func() error {
			_, err := typeddelete.Query[planPet](s).Delete()
			return err
		}, typeddelete.ErrMissingWhere, `typeddelete: bulk delete without a filter: delete from "pets" has no filter; call AllRows to delete every row`},
		{"a failed soft delete", func() error {
			planMust(t, "Delete", soft.Delete(&planAccountNote{ID: 5}))
			smock.ExpectBegin()
			smock.ExpectExec(`UPDATE "account_notes" SET "deleted_at" = ? WHERE "id" IN (?) AND "deleted_at" IS NULL`).
				WithArgs(planNow{}, int64(5)).WillReturnError(errors.New("read-only table"))
			smock.ExpectRollback()
			return soft.Commit(ctx)
		}, nil, `typeddelete: soft delete in "account_notes": read-only table`},
		{"a failed BEGIN", func() error {
			planMust(t, "Delete", s.Delete(&planPet{ID: 1}))
			mock.ExpectBegin().WillReturnError(mockDeadlockPG)
			err := s.Commit(ctx)
			s.Rollback(ctx)
			return err
		}, typeddelete.ErrSerialization, "typeddelete: begin: serialization failure: ERROR: deadlock detected (SQLSTATE 40P01)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %q\n want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
		})
	}
}

// TestCommitResultPrintsItsFields checks that %+v of a CommitResult shows
// only what it reports.
func TestCommitResultPrintsItsFields(t *testing.T) {
	r := typeddelete.CommitResult{Statements: 2, Deleted: map[string]int64{"pets": 1}}
	want := "{Statements:2 Deleted:map[pets:1] SoftDeleted:map[] Updated:map[] Restored:map[] Missing:[]}"
	if got := fmt.Sprintf("%+v", r); got != want {
		t.Errorf("%%+v = %s, want %s", got, want)
	}
}

// TestOptionsAreValidated checks that an option with an invalid value makes
// the session fail with ErrInvalidValue, naming the option.
func TestOptionsAreValidated(t *testing.T) {
	db, _ := newMock(t)
	for _, o := range []struct {
		opt  typeddelete.Option
		name string
	}{
		{typeddelete.WithBatchSize(-1), "WithBatchSize(-1)"},
		{typeddelete.WithRetries(-2), "WithRetries(-2)"},
		{typeddelete.WithMaxRows(-3), "WithMaxRows(-3)"},
		{typeddelete.WithCatalog(nil), "WithCatalog(nil)"},
		{typeddelete.WithScope("", 1), `WithScope("", 1)`},
		{typeddelete.WithTxOptions(nil), "WithTxOptions(nil)"},
		{typeddelete.WithTxOptions(&sql.TxOptions{ReadOnly: true}), "WithTxOptions: a read-only transaction"},
	} {
		s := typeddelete.NewSession(db, o.opt, typeddelete.WithDialect(typeddelete.SQLiteDialect()))
		err := s.Commit(context.Background())
		if !errors.Is(err, typeddelete.ErrInvalidValue) || !strings.Contains(err.Error(), o.name) {
			t.Errorf("%s: Commit = %v, want ErrInvalidValue naming it", o.name, err)
		}
	}
}

// TestNotFound checks that First and Get fail with an error that matches
// both ErrNotFound and sql.ErrNoRows, Get's naming the key.
func TestNotFound(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		planSetup(t, tdb, planOwners)
		s := tdb.session()
		_, err := typeddelete.Query[planPet](s).Get(context.Background(), int64(99))
		if !errors.Is(err, typeddelete.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("Get error = %v, want ErrNotFound and sql.ErrNoRows", err)
		}
		if want := "typeddelete: no row found: pets key 99"; err == nil || err.Error() != want {
			t.Errorf("Get error = %q, want %q", err, want)
		}
		_, err = typeddelete.Query[planPet](s).FilterBy("name", "nobody").First(context.Background())
		if !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("First error = %v, want sql.ErrNoRows", err)
		}
	})
}

// sqlcDBTX is the DBTX interface sqlc generates in db.go, as it writes it;
// its New(db DBTX) *Queries takes a hook's tx.
type sqlcDBTX interface {
	ExecContext(context.Context, string, ...interface{}) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
	QueryContext(context.Context, string, ...interface{}) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...interface{}) *sql.Row
}

// typeddelete.DBTX has the method set of sqlc's DBTX, no more and no less:
// a hook's tx goes to sqlc's New as it is, and a value sqlc code holds
// goes to NewSession. Neither line compiles if the two part.
var (
	_ sqlcDBTX         = typeddelete.DBTX(nil)
	_ typeddelete.DBTX = sqlcDBTX(nil)
)

// TestRun checks the per-request helper: what fn registers is committed,
// nothing is sent when fn fails, and a panic in fn rolls back what it
// flushed.
func TestRun(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, planOwners)
		res, err := typeddelete.Run(ctx, tdb.DB, func(s *typeddelete.Session) error {
			return s.Delete(&planPet{ID: 10})
		})
		planMust(t, "Run", err)
		if res.Deleted["pets"] != 1 {
			t.Errorf("Run result = %+v, want one pet deleted", res)
		}
		boom := errors.New("boom")
		if _, err := typeddelete.Run(ctx, tdb.DB, func(s *typeddelete.Session) error {
			if err := s.Delete(&planPet{ID: 11}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Errorf("Run = %v, want fn's error", err)
		}
		r := recovered(func() {
			typeddelete.Run(ctx, tdb.DB, func(s *typeddelete.Session) error {
				planMust(t, "Delete", s.Delete(&planPet{ID: 20}))
				planMust(t, "Flush", s.Flush(ctx))
				panic("handler panics")
			})
		})
		if r != "handler panics" {
			t.Fatalf("Run panicked with %v, want fn's panic", r)
		}
		wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := tdb.DB.ExecContext(wctx, "UPDATE owners SET name = 'x' WHERE id = 2"); err != nil {
			t.Fatalf("a write after the panic: %v", err)
		}
		p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"11|1|tom", "20|2|kit"}})
	})
}
