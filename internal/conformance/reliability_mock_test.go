package conformance_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/typeddelete/typeddelete"
)

// Every statement's error goes through one classification: a deadlock
// reported while reading rows is ErrSerialization, and the Commit runs
// again, as for a failed write.

var (
	mockDeadlockMySQL = &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}
	mockDeadlockPG    = &pgconn.PgError{Severity: "ERROR", Code: "40P01", Message: "deadlock detected"}
)

func TestMockDeadlocksOnReadsAreRetried(t *testing.T) {
	ctx := context.Background()
	bulkRest := []mockExpectation{
		mockQuery{query: "SELECT `id` FROM `projects` WHERE `team_id` IN (1) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{10}}},
		mockExec{query: "DELETE FROM `tasks` WHERE `project_id` IN (10)", rows: 2},
		mockExec{query: "DELETE FROM `projects` WHERE `id` IN (10)", rows: 1},
		mockExec{query: "DELETE FROM `teams` WHERE `id` IN (1)", rows: 1},
		mockCommit{},
	}
	readTeams := mockQuery{query: "SELECT `id` FROM `teams` WHERE `name` = ? FOR UPDATE", args: mockArgs("red"), cols: []string{"id"}, rows: [][]driver.Value{{1}}}
	tests := []struct {
		name   string
		opts   []typeddelete.Option
		first  mockExpectation // the read that fails in the first attempt
		second []mockExpectation
	}{
		{
			name:   "a deadlock returned by a locking read is retried",
			opts:   []typeddelete.Option{typeddelete.WithDialect(typeddelete.MySQLDialect())},
			first:  mockQuery{query: readTeams.query, args: readTeams.args, err: mockDeadlockMySQL},
			second: append([]mockExpectation{mockBegin{}, readTeams}, bulkRest...),
		},
		{
			name:   "a deadlock reported while its rows are read is retried",
			opts:   []typeddelete.Option{typeddelete.WithDialect(typeddelete.MySQLDialect())},
			first:  mockQuery{query: readTeams.query, args: readTeams.args, cols: []string{"id"}, rows: [][]driver.Value{{1}}, rowErr: mockDeadlockMySQL},
			second: append([]mockExpectation{mockBegin{}, readTeams}, bulkRest...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, mock, _ := newMockSession(t, tt.opts...)
			_, err := typeddelete.Query[planTeam](s).FilterBy("name", "red").Delete()
			planMust(t, "Query.Delete", err)
			mockExpect(mock, mockBegin{}, tt.first, mockRollback{})
			mockExpect(mock, tt.second...)
			planMust(t, "Commit", s.Commit(ctx))
			mockVerify(t, mock)
			mockLastCommit(t, s, typeddelete.CommitResult{Statements: 5, Deleted: map[string]int64{"teams": 1, "projects": 1, "tasks": 2}})
		})
	}

	t.Run("a deadlock in a Restrict count is retried", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		planMust(t, "Delete", s.Delete(&planCustomer{ID: 3}))
		count := `SELECT COUNT(*) FROM "orders" WHERE "customer_id" = ANY($1)`
		mockExpect(mock,
			mockBegin{},
			mockQuery{query: count, args: mockArgs([]int64{3}), err: mockDeadlockPG},
			mockRollback{},
			mockBegin{},
			mockQuery{query: count, args: mockArgs([]int64{3}), cols: []string{"n"}, rows: planCount(0)},
			mockExec{query: `DELETE FROM "customers" WHERE "id" = ANY($1)`, args: mockArgs([]int64{3}), rows: 1},
			mockCommit{},
		)
		planMust(t, "Commit", s.Commit(ctx))
		mockVerify(t, mock)
	})

	t.Run("with retries off a read's deadlock reaches the caller as ErrSerialization", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.MySQLDialect()), typeddelete.WithRetries(0))
		_, err := typeddelete.Query[planTeam](s).FilterBy("name", "red").Delete()
		planMust(t, "Query.Delete", err)
		mockExpect(mock, mockBegin{}, mockQuery{query: readTeams.query, args: readTeams.args, err: mockDeadlockMySQL}, mockRollback{})
		err = s.Commit(ctx)
		var me *mysql.MySQLError
		if !errors.Is(err, typeddelete.ErrSerialization) || !errors.As(err, &me) || me.Number != 1213 {
			t.Errorf("Commit error = %v, want ErrSerialization wrapping the driver's error 1213", err)
		}
		if want := "typeddelete: read from \"teams\": serialization failure: Error 1213: Deadlock found when trying to get lock"; err == nil || err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		mockVerify(t, mock)
		mockPending(t, s, 0, 1)
	})
}

// TestMockRetriesCountSerializationFailures checks that WithRetries(n)
// bounds the retries after serialization failures only: the rerun that
// follows a short row count (to find which keys still have rows) is not
// one of them, so a deadlock in the rerun is still retried n times.
func TestMockRetriesCountSerializationFailures(t *testing.T) {
	ctx := context.Background()
	del := mockExec{query: "DELETE FROM `pets` WHERE `id` IN (41,42)", rows: 1} // 42 is gone
	read := "SELECT `id` FROM `pets` WHERE `id` IN (41,42) FOR UPDATE"
	deadlocked := []mockExpectation{mockBegin{}, mockQuery{query: read, err: mockDeadlockMySQL}, mockRollback{}}
	for _, tt := range []struct {
		name       string
		deadlocks  int
		wantCommit bool
	}{
		{"a deadlock in the rerun is retried", 1, true},
		{"a second deadlock reaches the caller", 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.MySQLDialect()), typeddelete.WithRetries(1))
			planMust(t, "Delete", s.Delete(&planPet{ID: 41}, &planPet{ID: 42}))
			mockExpect(mock, mockBegin{}, del, mockRollback{})
			for range tt.deadlocks {
				mockExpect(mock, deadlocked...)
			}
			if tt.wantCommit {
				mockExpect(mock,
					mockBegin{},
					mockQuery{query: read, cols: []string{"id"}, rows: [][]driver.Value{{41}}},
					mockExec{query: "DELETE FROM `pets` WHERE `id` IN (41)", rows: 1},
					mockCommit{})
			}
			err := s.Commit(ctx)
			mockVerify(t, mock)
			if tt.wantCommit {
				planMust(t, "Commit", err)
				if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"pets:[42]"}) {
					t.Errorf("Missing = %v, want pets:[42]", got)
				}
				return
			}
			if want := `typeddelete: read from "pets": serialization failure: Error 1213: Deadlock found when trying to get lock`; err == nil || err.Error() != want {
				t.Errorf("Commit error = %v, want %s", err, want)
			}
			mockPending(t, s, 2, 0)
		})
	}
}

// mockHooksRetried are the hook calls of a ship and its crew member whose
// first attempt failed after the crew's BeforeDelete: BeforeDelete runs
// again in the second attempt, and the rest only there.
var mockHooksRetried = []string{"crew.before 10 (attempt 1)",
	"crew.before 10 (attempt 2)", "crew.after 10 (attempt 2)", "ship.before 1 (attempt 2)", "ship.after 1 (attempt 2)"}

// TestMockHooksAreRetried checks that a Commit with hooks is retried too:
// the hooks run again in the new transaction, and say which attempt it is;
// WithoutHookRetries returns the error instead.
func TestMockHooksAreRetried(t *testing.T) {
	ctx := context.Background()
	crewCols := []string{"id", "ship_id", "name"}
	attempt := []mockExpectation{
		mockBegin{},
		mockQuery{query: `SELECT "id" FROM "ships" WHERE "id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
		mockQuery{query: `SELECT "id", "ship_id", "name" FROM "crew" WHERE "ship_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: crewCols, rows: [][]driver.Value{{10, 1, "x"}}},
	}
	deleteCrew := `DELETE FROM "crew" WHERE "id" = ANY($1)`
	t.Run("hooks run again in a retried transaction", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		planMust(t, "Delete", s.Delete(&planShip{ID: 1, Name: "ark"}))
		mockExpect(mock, attempt...)
		mockExpect(mock, mockExec{query: deleteCrew, args: mockArgs([]int64{10}), err: mockDeadlockPG}, mockRollback{})
		mockExpect(mock, attempt...)
		mockExpect(mock,
			mockExec{query: deleteCrew, args: mockArgs([]int64{10}), rows: 1},
			mockExec{query: `DELETE FROM "ships" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
			mockCommit{},
		)
		h := &planHooks{attempts: true}
		planMust(t, "Commit", s.Commit(h.with(ctx)))
		mockVerify(t, mock)
		if got := h.inOrder(); !slices.Equal(got, mockHooksRetried) {
			t.Errorf("hook calls = %q, want %q", got, mockHooksRetried)
		}
	})
	t.Run("WithoutHookRetries returns the error", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithoutHookRetries())
		planMust(t, "Delete", s.Delete(&planShip{ID: 1, Name: "ark"}))
		mockExpect(mock, attempt...)
		mockExpect(mock, mockExec{query: deleteCrew, args: mockArgs([]int64{10}), err: mockDeadlockPG}, mockRollback{})
		h := &planHooks{}
		if err := s.Commit(h.with(ctx)); !errors.Is(err, typeddelete.ErrSerialization) {
			t.Errorf("Commit error = %v, want ErrSerialization", err)
		}
		mockVerify(t, mock)
		mockPending(t, s, 1, 0)
	})
}

// TestMockHookDeadlocksAreRetried checks that a deadlock or serialization
// failure in a statement a hook sends (its audit INSERT) is
// ErrSerialization, as in the session's own statements: the Commit runs
// again, hooks included; with WithoutHookRetries it fails with the error.
func TestMockHookDeadlocksAreRetried(t *testing.T) {
	ctx := context.Background()
	audit := func(event string, id int64) mockExec {
		return mockExec{query: fmt.Sprintf("INSERT INTO audit (event, row_id) VALUES ('%s', %d)", event, id), rows: 1}
	}
	reads := []mockExpectation{
		mockBegin{},
		mockQuery{query: "SELECT `id` FROM `ships` WHERE `id` IN (1) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{1}}},
		mockQuery{query: "SELECT `id`, `ship_id`, `name` FROM `crew` WHERE `ship_id` IN (1) FOR UPDATE", cols: []string{"id", "ship_id", "name"}, rows: [][]driver.Value{{10, 1, "x"}}},
	}
	deadlocked := audit("crew.before", 10)
	deadlocked.err = mockDeadlockMySQL
	t.Run("a MySQL deadlock in a hook's INSERT is retried", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.MySQLDialect()))
		planMust(t, "Delete", s.Delete(&planShip{ID: 1, Name: "ark"}))
		mockExpect(mock, reads...)
		mockExpect(mock, deadlocked, mockRollback{})
		mockExpect(mock, reads...)
		mockExpect(mock,
			audit("crew.before", 10),
			mockExec{query: "DELETE FROM `crew` WHERE `id` IN (10)", rows: 1},
			audit("crew.after", 10),
			audit("ship.before", 1),
			mockExec{query: "DELETE FROM `ships` WHERE `id` IN (1)", rows: 1},
			audit("ship.after", 1),
			mockCommit{},
		)
		h := &planHooks{audit: true, attempts: true}
		planMust(t, "Commit", s.Commit(h.with(ctx)))
		mockVerify(t, mock)
		if got := h.inOrder(); !slices.Equal(got, mockHooksRetried) {
			t.Errorf("hook calls = %q, want %q", got, mockHooksRetried)
		}
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 4, Deleted: map[string]int64{"ships": 1, "crew": 1}})
	})
	t.Run("with WithoutHookRetries a PostgreSQL serialization failure in a hook is ErrSerialization", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithoutHookRetries())
		planMust(t, "Delete", s.Delete(&planShip{ID: 1, Name: "ark"}))
		serialization := &pgconn.PgError{Severity: "ERROR", Code: "40001", Message: "could not serialize access due to concurrent update"}
		mockExpect(mock,
			mockBegin{},
			mockQuery{query: `SELECT "id" FROM "ships" WHERE "id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
			mockQuery{query: `SELECT "id", "ship_id", "name" FROM "crew" WHERE "ship_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id", "ship_id", "name"}, rows: [][]driver.Value{{10, 1, "x"}}},
			mockExec{query: "INSERT INTO audit (event, row_id) VALUES ('crew.before', 10)", err: serialization},
			mockRollback{},
		)
		h := &planHooks{audit: true}
		err := s.Commit(h.with(ctx))
		var pe *pgconn.PgError
		if !errors.Is(err, typeddelete.ErrSerialization) || !errors.As(err, &pe) || pe.Code != "40001" {
			t.Errorf("Commit error = %v, want ErrSerialization wrapping the driver's 40001", err)
		}
		if want := `typeddelete: BeforeDelete of "crew" key 10: serialization failure: ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)`; err == nil || err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		mockVerify(t, mock)
		mockPending(t, s, 1, 0)
	})
}

// Scoped models for the exact statements of a tenant scope.

type sProject struct {
	ID       int64  `db:"id,pk"`
	TenantID int64  `db:"tenant_id,scope"`
	Name     string `db:"name"`
}

func (sProject) TableName() string { return "s_projects" }
func (sProject) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[sTask](typeddelete.Cascade, "project_id"),
		typeddelete.HasMany[sNote](typeddelete.SetNull, "project_id"),
		typeddelete.HasMany[sInvoice](typeddelete.Restrict, "project_id"),
	}
}

type sTask struct {
	ID        int64 `db:"id,pk"`
	TenantID  int64 `db:"tenant_id,scope"`
	ProjectID int64 `db:"project_id"`
}

func (sTask) TableName() string { return "s_tasks" }

type sNote struct {
	ID        int64  `db:"id,pk"`
	TenantID  int64  `db:"tenant_id,scope"`
	ProjectID *int64 `db:"project_id"`
}

func (sNote) TableName() string { return "s_notes" }

type sInvoice struct {
	ID        int64 `db:"id,pk"`
	TenantID  int64 `db:"tenant_id,scope"`
	ProjectID int64 `db:"project_id"`
}

func (sInvoice) TableName() string { return "s_invoices" }

// TestMockScopeInEveryStatement checks that WithScope's predicate is in
// every statement: object and bulk deletes, reads that fix rows, Restrict
// counts, SetNull updates, cascades and the reads of precise mode.
func TestMockScopeInEveryStatement(t *testing.T) {
	ctx := context.Background()
	tenant := typeddelete.WithScope("tenant_id", int64(7))
	t.Run("an object delete, its Restrict check, SetNull and Cascade, and the precise rerun", func(t *testing.T) {
		s, mock, _ := newMockSession(t, tenant)
		planMust(t, "Delete", s.Delete(&sProject{ID: 1}, &sProject{ID: 2}))
		first := []mockExpectation{
			mockQuery{query: `SELECT COUNT(*) FROM "s_invoices" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), cols: []string{"n"}, rows: planCount(0)},
			mockExec{query: `DELETE FROM "s_tasks" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), rows: 2},
			mockExec{query: `UPDATE "s_notes" SET "project_id" = ? WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(nil, 1, 2, 7), rows: 1},
		}
		mockExpect(mock, mockBegin{})
		mockExpect(mock, first...)
		mockExpect(mock,
			// Key 2 is another tenant's: one row of two.
			mockExec{query: `DELETE FROM "s_projects" WHERE "id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), rows: 1},
			mockRollback{},
			mockBegin{},
			mockQuery{query: `SELECT "id" FROM "s_projects" WHERE "id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
			mockQuery{query: `SELECT COUNT(*) FROM "s_invoices" WHERE "project_id" IN (?) AND "tenant_id" = ?`, args: mockArgs(1, 7), cols: []string{"n"}, rows: planCount(0)},
			mockExec{query: `DELETE FROM "s_tasks" WHERE "project_id" IN (?) AND "tenant_id" = ?`, args: mockArgs(1, 7), rows: 2},
			mockExec{query: `UPDATE "s_notes" SET "project_id" = ? WHERE "project_id" IN (?) AND "tenant_id" = ?`, args: mockArgs(nil, 1, 7), rows: 1},
			mockExec{query: `DELETE FROM "s_projects" WHERE "id" IN (?) AND "tenant_id" = ?`, args: mockArgs(1, 7), rows: 1},
			mockCommit{},
		)
		planMust(t, "Commit", s.Commit(ctx))
		mockVerify(t, mock)
		if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"s_projects:[2]"}) {
			t.Errorf("Missing = %v, want s_projects:[2]", got)
		}
	})
	t.Run("a bulk delete reads its rows in the scope", func(t *testing.T) {
		s, mock, _ := newMockSession(t, tenant)
		_, err := typeddelete.Query[sProject](s).FilterBy("name", "x").Delete()
		planMust(t, "Query.Delete", err)
		mockExpect(mock,
			mockBegin{},
			mockQuery{query: `SELECT "id" FROM "s_projects" WHERE "name" = ? AND "tenant_id" = ?`, args: mockArgs("x", 7), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
			mockQuery{query: `SELECT COUNT(*) FROM "s_invoices" WHERE "project_id" IN (?) AND "tenant_id" = ?`, args: mockArgs(1, 7), cols: []string{"n"}, rows: planCount(0)},
			mockExec{query: `DELETE FROM "s_tasks" WHERE "project_id" IN (?) AND "tenant_id" = ?`, args: mockArgs(1, 7), rows: 0},
			mockExec{query: `UPDATE "s_notes" SET "project_id" = ? WHERE "project_id" IN (?) AND "tenant_id" = ?`, args: mockArgs(nil, 1, 7), rows: 0},
			mockExec{query: `DELETE FROM "s_projects" WHERE "id" IN (?) AND "tenant_id" = ?`, args: mockArgs(1, 7), rows: 1},
			mockCommit{},
		)
		planMust(t, "Commit", s.Commit(ctx))
		mockVerify(t, mock)
	})
	t.Run("a Preview reads and counts in the scope, and lists scoped statements", func(t *testing.T) {
		s, mock, _ := newMockSession(t, tenant)
		_, err := typeddelete.Query[sProject](s).FilterBy("name", "x").Delete()
		planMust(t, "Query.Delete", err)
		mockExpect(mock,
			mockBegin{},
			mockQuery{query: `SELECT "id" FROM "s_projects" WHERE "name" = ? AND "tenant_id" = ?`, args: mockArgs("x", 7), cols: []string{"id"}, rows: [][]driver.Value{{1}, {2}}},
			mockQuery{query: `SELECT "id" FROM "s_invoices" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), cols: []string{"id"}},
			mockQuery{query: `SELECT COUNT(*) FROM "s_tasks" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), cols: []string{"n"}, rows: planCount(3)},
			mockQuery{query: `SELECT COUNT(*) FROM "s_notes" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, args: mockArgs(1, 2, 7), cols: []string{"n"}, rows: planCount(1)},
			mockRollback{},
		)
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		mockVerify(t, mock)
		ids := []any{int64(1), int64(2), int64(7)}
		want := []typeddelete.Statement{
			{SQL: `SELECT "id" FROM "s_projects" WHERE "name" = ? AND "tenant_id" = ?`, Args: []any{"x", int64(7)}},
			{SQL: `SELECT COUNT(*) FROM "s_invoices" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, Args: ids},
			{SQL: `DELETE FROM "s_tasks" WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, Args: ids},
			{SQL: `UPDATE "s_notes" SET "project_id" = ? WHERE "project_id" IN (?,?) AND "tenant_id" = ?`, Args: append([]any{nil}, ids...)},
			{SQL: `DELETE FROM "s_projects" WHERE "id" IN (?,?) AND "tenant_id" = ?`, Args: ids},
		}
		if !reflect.DeepEqual(pv.Statements, want) {
			t.Errorf("Preview.Statements =\n%#v\nwant\n%#v", pv.Statements, want)
		}
		if want := map[string]int64{"s_projects": 2, "s_tasks": 3}; !reflect.DeepEqual(pv.Deleted, want) {
			t.Errorf("Preview.Deleted = %v, want %v", pv.Deleted, want)
		}
		mockPending(t, s, 0, 1)
	})
	t.Run("reads are scoped", func(t *testing.T) {
		s, _, _ := newMockSession(t, tenant)
		q, args, err := typeddelete.Query[sProject](s).FilterBy("name", "x").SelectSQL()
		planMust(t, "SelectSQL", err)
		if want := `SELECT "id", "tenant_id", "name" FROM "s_projects" WHERE ("name" = ? AND "tenant_id" = ?)`; q != want || !slices.Equal(args, []any{"x", int64(7)}) {
			t.Errorf("SelectSQL() = %q %v, want %q [x 7]", q, args, want)
		}
	})
}

// TestMockConflictsAtCommitAreRetried checks that a transaction whose
// COMMIT fails as a serialization failure (a write conflict of TiDB's
// optimistic mode, error 9007; PostgreSQL's 40001 under SERIALIZABLE) runs
// again from BEGIN, flushed work included, as one a statement fails; and
// that with retries spent the error reaches the caller, the work pending.
func TestMockConflictsAtCommitAreRetried(t *testing.T) {
	ctx := context.Background()
	conflict := &mysql.MySQLError{Number: 9007, Message: "Write conflict, txnStartTS=1, conflictStartTS=2, conflictCommitTS=3, key={tableID=1, handle=1}, reason=Optimistic [try again later]"}
	del := mockExec{query: "DELETE FROM `users` WHERE `id` IN (1,2)", rows: 2}
	mysqlDialect := typeddelete.WithDialect(typeddelete.MySQLDialect())

	t.Run("a write conflict at COMMIT is retried", func(t *testing.T) {
		s, mock, _ := newMockSession(t, mysqlDialect)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockUser{ID: 2}))
		mockExpect(mock, mockBegin{}, del, mockCommit{err: conflict}, mockBegin{}, del, mockCommit{})
		mockNoError(t, "Commit", s.Commit(ctx))
		mockVerify(t, mock)
		mockLastCommit(t, s, typeddelete.CommitResult{Statements: 1, Deleted: map[string]int64{"users": 2}})
	})

	t.Run("a PostgreSQL serialization failure at COMMIT is retried", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockUser{ID: 2}))
		pgDel := mockExec{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1, 2}), rows: 2}
		mockExpect(mock, mockBegin{}, pgDel, mockCommit{err: &pgconn.PgError{Code: "40001"}}, mockBegin{}, pgDel, mockCommit{})
		mockNoError(t, "Commit", s.Commit(ctx))
		mockVerify(t, mock)
	})

	t.Run("flushed work is sent again", func(t *testing.T) {
		s, mock, _ := newMockSession(t, mysqlDialect)
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockUser{ID: 2}))
		mockExpect(mock, mockBegin{}, del)
		mockNoError(t, "Flush", s.Flush(ctx))
		mockExpect(mock, mockCommit{err: conflict}, mockBegin{}, del, mockCommit{})
		mockNoError(t, "Commit", s.Commit(ctx))
		mockVerify(t, mock)
		mockPending(t, s, 0, 0)
	})

	t.Run("with retries spent the conflict reaches the caller as ErrSerialization", func(t *testing.T) {
		s, mock, _ := newMockSession(t, mysqlDialect, typeddelete.WithRetries(1))
		mockNoError(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockUser{ID: 2}))
		mockExpect(mock, mockBegin{}, del, mockCommit{err: conflict}, mockBegin{}, del, mockCommit{err: conflict})
		err := s.Commit(ctx)
		var me *mysql.MySQLError
		if !errors.Is(err, typeddelete.ErrSerialization) || !errors.As(err, &me) || me.Number != 9007 {
			t.Errorf("Commit error = %v, want ErrSerialization wrapping the driver's error 9007", err)
		}
		mockVerify(t, mock)
		mockPending(t, s, 2, 0)
	})
}

// TestMockCollationMatchesSplitPerDialect checks that the keys a read did
// not find, asked of the database one SELECT each joined by UNION ALL, go
// in statements of as many SELECTs as the dialect takes: 200 on SQLite,
// which refuses more than 500, and 1000 on the servers.
func TestMockCollationMatchesSplitPerDialect(t *testing.T) {
	ctx := context.Background()
	const n = 201
	keys := make([]driver.Value, n)
	objs := make([]any, n)
	for i := range n {
		k := fmt.Sprintf("K%03d", i)
		keys[i], objs[i] = k, &ciUser{Name: k}
	}
	// union returns the UNION ALL of the keys from..to, as d writes it.
	union := func(d string, from, to int) (string, []driver.Value) {
		var parts []string
		var args []driver.Value
		for i := from; i < to; i++ {
			switch d {
			case "sqlite":
				parts = append(parts, fmt.Sprintf(`SELECT %d WHERE EXISTS (SELECT 1 FROM "ci_users" WHERE "name" IN (?))`, i))
				args = append(args, keys[i])
			case "postgres":
				parts = append(parts, fmt.Sprintf(`SELECT %d WHERE EXISTS (SELECT 1 FROM "ci_users" WHERE "name" = ANY($%d))`, i, i-from+1))
				args = append(args, []string{keys[i].(string)})
			case "mysql":
				parts = append(parts, fmt.Sprintf("SELECT %d FROM DUAL WHERE EXISTS (SELECT 1 FROM `ci_users` WHERE `name` IN (?))", i))
				args = append(args, keys[i])
			}
		}
		return strings.Join(parts, " UNION ALL "), args
	}
	for _, d := range planDialects {
		t.Run(fmt.Sprintf("on %s %d keys a read did not find are asked in %s", d.name, n, map[string]string{
			"sqlite": "two statements, 200 and 1", "postgres": "one statement", "mysql": "one statement"}[d.name]), func(t *testing.T) {
			s, mock, _ := newMockSession(t, typeddelete.WithDialect(d.make()))
			planMust(t, "Delete", s.Delete(objs...))
			var del, read, delOne mockExpectation
			switch d.name {
			case "sqlite":
				del = mockExec{query: `DELETE FROM "ci_users" WHERE "name" IN (` + strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`, args: keys, rows: 1}
				read = mockQuery{query: `SELECT "name" FROM "ci_users" WHERE "name" IN (` + strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`, args: keys, cols: []string{"name"}, rows: [][]driver.Value{{"k000"}}}
				delOne = mockExec{query: `DELETE FROM "ci_users" WHERE "name" IN (?)`, args: mockArgs("K000"), rows: 1}
			case "postgres":
				all := make([]string, n)
				for i, k := range keys {
					all[i] = k.(string)
				}
				del = mockExec{query: `DELETE FROM "ci_users" WHERE "name" = ANY($1)`, args: mockArgs(all), rows: 1}
				read = mockQuery{query: `SELECT "name" FROM "ci_users" WHERE "name" = ANY($1) FOR UPDATE`, args: mockArgs(all), cols: []string{"name"}, rows: [][]driver.Value{{"k000"}}}
				delOne = mockExec{query: `DELETE FROM "ci_users" WHERE "name" = ANY($1)`, args: mockArgs([]string{"K000"}), rows: 1}
			case "mysql":
				del = mockExec{query: "DELETE FROM `ci_users` WHERE `name` IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")", args: keys, rows: 1}
				read = mockQuery{query: "SELECT `name` FROM `ci_users` WHERE `name` IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ") FOR UPDATE", args: keys, cols: []string{"name"}, rows: [][]driver.Value{{"k000"}}}
				delOne = mockExec{query: "DELETE FROM `ci_users` WHERE `name` IN (?)", args: mockArgs("K000"), rows: 1}
			}
			mockExpect(mock, mockBegin{}, del, mockRollback{}, mockBegin{}, read)
			if d.name == "sqlite" {
				q, args := union(d.name, 0, 200)
				mockExpect(mock, mockQuery{query: q, args: args, cols: []string{"i"}, rows: [][]driver.Value{{0}}})
				q, args = union(d.name, 200, n)
				mockExpect(mock, mockQuery{query: q, args: args, cols: []string{"i"}})
			} else {
				q, args := union(d.name, 0, n)
				mockExpect(mock, mockQuery{query: q, args: args, cols: []string{"i"}, rows: [][]driver.Value{{0}}})
			}
			mockExpect(mock, delOne, mockCommit{})
			planMust(t, "Commit", s.Commit(ctx))
			mockVerify(t, mock)
			if got := s.LastCommit(); got.Deleted["ci_users"] != 1 || len(got.Missing) != n-1 {
				t.Errorf("LastCommit() deleted %d and missed %d keys, want 1 and %d", got.Deleted["ci_users"], len(got.Missing), n-1)
			}
		})
	}
}
