package conformance_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
)

// The reliability suite: panics in user code, limits of the databases, key
// identity, bad input and tenant scope, on every database.

// pnItem's hooks write an audit row, then panic when the context asks.
type pnItem struct {
	ID int64 `db:"id,pk"`
}

func (pnItem) TableName() string { return "pn_items" }

type pnPanic struct{}

func (i *pnItem) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO pn_audit (row_id) VALUES (%d)", i.ID)); err != nil {
		return err
	}
	if ctx.Value(pnPanic{}) == "BeforeDelete" {
		panic("hook panics")
	}
	return nil
}

func (i *pnItem) AfterDelete(ctx context.Context, tx typeddelete.DBTX) error {
	if ctx.Value(pnPanic{}) == "AfterDelete" {
		panic("hook panics")
	}
	return nil
}

// recovered runs fn and returns what it panicked with, or nil.
func recovered(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}

// TestPanicInHookRollsBack checks that a hook that panics inside Commit,
// before or after its row is deleted, rolls back, releases the
// connection, keeps the work pending and panics again; the next Commit
// then runs cleanly, its audit row written once.
func TestPanicInHookRollsBack(t *testing.T) {
	ctx := context.Background()
	for _, hook := range []string{"BeforeDelete", "AfterDelete"} {
		t.Run(hook, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				tdb.exec(t, "CREATE TABLE pn_items (id BIGINT PRIMARY KEY)", "CREATE TABLE pn_audit (row_id BIGINT NOT NULL)",
					"INSERT INTO pn_items (id) VALUES (1), (2)")
				s := tdb.session()
				planMust(t, "Delete", s.Delete(&pnItem{ID: 1}))
				r := recovered(func() { s.Commit(context.WithValue(ctx, pnPanic{}, hook)) })
				if r != "hook panics" {
					t.Fatalf("Commit panicked with %v, want the hook's panic", r)
				}
				if n := tdb.DB.Stats().InUse; n != 0 {
					t.Errorf("%d connection(s) in use after the panic, want 0", n)
				}
				// Another writer is not blocked by a transaction left open.
				wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				defer cancel()
				if _, err := tdb.DB.ExecContext(wctx, "INSERT INTO pn_items (id) VALUES (3)"); err != nil {
					t.Fatalf("a write after the panic: %v", err)
				}
				if got := tdb.ids(t, "pn_items"); !slices.Equal(got, []int64{1, 2, 3}) {
					t.Errorf("rows after the panic = %v, want [1 2 3]: the delete must be rolled back", got)
				}
				if n := tdb.count(t, "pn_audit"); n != 0 {
					t.Errorf("%d audit row(s) after the panic, want 0: the panicked attempt must not commit", n)
				}
				if o, _ := s.Pending(); o != 1 {
					t.Fatalf("Pending() = %d objects after the panic, want 1", o)
				}
				planMust(t, "Commit after the panic", s.Commit(ctx))
				if got := tdb.ids(t, "pn_items"); !slices.Equal(got, []int64{2, 3}) {
					t.Errorf("rows left = %v, want [2 3]", got)
				}
				if n := tdb.count(t, "pn_audit"); n != 1 {
					t.Errorf("%d audit row(s), want 1", n)
				}
			})
		})
	}
}

// pnBoom is a Valuer that always panics.
type pnBoom struct{}

func (pnBoom) Value() (driver.Value, error) { panic("hook valuer panics") }

// pnQuerying's BeforeDelete sends a statement of its own: the function
// the context carries under pnHookStmt.
type pnQuerying struct {
	ID int64 `db:"id,pk"`
}

func (pnQuerying) TableName() string { return "pn_querying" }

type pnHookStmt struct{}

func (q *pnQuerying) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	if send, ok := ctx.Value(pnHookStmt{}).(func(context.Context, typeddelete.DBTX) error); ok {
		return send(ctx, tx)
	}
	return nil
}

// commitWithin runs s.Commit(ctx) and returns what it panicked with and
// its error, failing the test when it has not returned within d.
func commitWithin(t *testing.T, ctx context.Context, s *typeddelete.Session, d time.Duration) (r any, err error) {
	t.Helper()
	type result struct {
		r   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		res.r = recovered(func() { res.err = s.Commit(ctx) })
		done <- res
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-time.After(d):
		t.Fatalf("Commit has not returned after %v", d)
		return nil, nil
	}
}

// TestPanicInHookStatementDoesNotHang checks that a Valuer that panics in
// a statement a hook sends through its tx leaves nothing waiting:
// database/sql would keep the transaction's lock if the panic left it,
// and the rollback would wait for it forever. The Commit rolls back,
// panics again, and the next one runs.
func TestPanicInHookStatementDoesNotHang(t *testing.T) {
	ctx := context.Background()
	stmts := []struct {
		name string
		send func(ctx context.Context, tx typeddelete.DBTX, q string) error
	}{
		{"QueryRowContext", func(ctx context.Context, tx typeddelete.DBTX, q string) error {
			var n int64
			return tx.QueryRowContext(ctx, q, pnBoom{}).Scan(&n)
		}},
		{"QueryContext", func(ctx context.Context, tx typeddelete.DBTX, q string) error {
			rows, err := tx.QueryContext(ctx, q, pnBoom{})
			if err != nil {
				return err
			}
			return rows.Close()
		}},
		{"ExecContext", func(ctx context.Context, tx typeddelete.DBTX, q string) error {
			_, err := tx.ExecContext(ctx, q, pnBoom{})
			return err
		}},
	}
	for _, st := range stmts {
		t.Run("a Valuer that panics in the hook's "+st.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				tdb.exec(t, "CREATE TABLE pn_querying (id BIGINT PRIMARY KEY)", "INSERT INTO pn_querying (id) VALUES (1), (2)")
				q := "SELECT COUNT(*) FROM pn_querying WHERE id = ?"
				if st.name == "ExecContext" {
					q = "UPDATE pn_querying SET id = id WHERE id = ?"
				}
				q = tdb.rebind(q)
				s := tdb.session()
				planMust(t, "Delete", s.Delete(&pnQuerying{ID: 1}))
				hctx := context.WithValue(ctx, pnHookStmt{}, func(ctx context.Context, tx typeddelete.DBTX) error {
					return st.send(ctx, tx, q)
				})
				if r, err := commitWithin(t, hctx, s, 20*time.Second); r != "hook valuer panics" {
					t.Fatalf("Commit = %v, panicked with %v; want the Valuer's panic", err, r)
				}
				if n := tdb.DB.Stats().InUse; n != 0 {
					t.Errorf("%d connection(s) in use after the panic, want 0", n)
				}
				if got := tdb.ids(t, "pn_querying"); !slices.Equal(got, []int64{1, 2}) {
					t.Errorf("rows after the panic = %v, want [1 2]", got)
				}
				if o, _ := s.Pending(); o != 1 {
					t.Fatalf("Pending() = %d objects after the panic, want 1", o)
				}
				r, err := commitWithin(t, ctx, s, 20*time.Second)
				if r != nil {
					t.Fatalf("the next Commit panicked with %v", r)
				}
				planMust(t, "the next Commit", err)
				if got := tdb.ids(t, "pn_querying"); !slices.Equal(got, []int64{2}) {
					t.Errorf("rows left = %v, want [2]", got)
				}
			})
		})
	}
	// A statement the hook prepared is a *sql.Stmt, which the session
	// cannot reach: the panic leaves database/sql holding the
	// transaction's lock, and no rollback can take it. The Commit gives
	// the transaction up after a bounded wait and panics again, the work
	// pending. Only on SQLite: on a server the abandoned connection keeps
	// its row locks, and the test's DROP would wait for them.
	t.Run("a Valuer that panics in a statement the hook prepared", func(t *testing.T) {
		sqliteOnly := func(name string) bool { return strings.HasPrefix(name, "sqlite") }
		forEachDBWhere(t, sqliteOnly, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE pn_querying (id BIGINT PRIMARY KEY)", "INSERT INTO pn_querying (id) VALUES (1), (2)")
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&pnQuerying{ID: 1}))
			hctx := context.WithValue(ctx, pnHookStmt{}, func(ctx context.Context, tx typeddelete.DBTX) error {
				ps, err := tx.PrepareContext(ctx, "SELECT COUNT(*) FROM pn_querying WHERE id = ?")
				if err != nil {
					return err
				}
				var n int64
				return ps.QueryRowContext(ctx, pnBoom{}).Scan(&n)
			})
			if r, err := commitWithin(t, hctx, s, 20*time.Second); r != "hook valuer panics" {
				t.Fatalf("Commit = %v, panicked with %v; want the Valuer's panic", err, r)
			}
			if o, _ := s.Pending(); o != 1 {
				t.Fatalf("Pending() = %d objects after the panic, want 1", o)
			}
		})
	})
}

// pnKey is a key type whose Valuer panics once, on key 3.
type pnKey int64

var pnKeyPanics atomic.Int32

func (k pnKey) Value() (driver.Value, error) {
	if k == 3 && pnKeyPanics.Add(-1) == 0 {
		panic("valuer panics")
	}
	return int64(k), nil
}

type pnValued struct {
	ID pnKey `db:"id,pk"`
}

func (pnValued) TableName() string { return "pn_valued" }

// TestValuerPanicDoesNotHang checks that a Valuer that panics in the
// second batch, sent through a prepared statement, leaves no transaction
// the next Commit would wait on forever.
func TestValuerPanicDoesNotHang(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "CREATE TABLE pn_valued (id BIGINT PRIMARY KEY)", "INSERT INTO pn_valued (id) VALUES (1), (2), (3), (4), (5)")
		pnKeyPanics.Store(1)
		s := tdb.session(typeddelete.WithBatchSize(2))
		planMust(t, "Delete", s.Delete(&pnValued{ID: 1}, &pnValued{ID: 2}, &pnValued{ID: 3}, &pnValued{ID: 4}))
		if r := recovered(func() { s.Commit(ctx) }); r != "valuer panics" {
			t.Fatalf("Commit panicked with %v, want the Valuer's panic", r)
		}
		done := make(chan error, 1)
		go func() { done <- s.Commit(ctx) }()
		select {
		case err := <-done:
			planMust(t, "Commit after the panic", err)
		case <-time.After(20 * time.Second):
			t.Fatal("the Commit after a Valuer's panic did not return")
		}
		if got := tdb.ids(t, "pn_valued"); !slices.Equal(got, []int64{5}) {
			t.Errorf("rows left = %v, want [5]", got)
		}
	})
}

type pnBadRelations struct {
	ID int64 `db:"id,pk"`
}

func (pnBadRelations) TableName() string { return "pn_bad" }
func (pnBadRelations) Relations() []typeddelete.Relation {
	panic("relations panic")
}

// TestRelationsPanicIsAnErrorEveryTime checks that a Relations method that
// panics is an error every time the model is used, never "no relations".
func TestRelationsPanicIsAnErrorEveryTime(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		s := tdb.session()
		for i := range 2 {
			err := s.Delete(&pnBadRelations{ID: 1})
			if !errors.Is(err, typeddelete.ErrInvalidRelation) || !strings.Contains(err.Error(), "Relations panicked: relations panic") {
				t.Errorf("Delete #%d = %v, want ErrInvalidRelation saying Relations panicked", i+1, err)
			}
		}
		if _, err := typeddelete.Query[pnBadRelations](s).FilterBy("id", int64(1)).Delete(); !errors.Is(err, typeddelete.ErrInvalidRelation) {
			t.Errorf("Query.Delete = %v, want ErrInvalidRelation", err)
		}
	})
}

// TestKeyListsPastTheParameterLimit checks that a tree with 70,000
// children, and an In list of 70,000 values, stay under every database's
// bind-parameter limit (32,766 on SQLite, 65,535 on the servers).
func TestKeyListsPastTheParameterLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 70,000 rows per database")
	}
	ctx := context.Background()
	const n = 70000
	fill := func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "CREATE TABLE categories (id BIGINT PRIMARY KEY, parent_id BIGINT, name VARCHAR(255) NOT NULL, FOREIGN KEY (parent_id) REFERENCES categories(id))",
			// Without it each deleted row's foreign-key check scans the table.
			"CREATE INDEX categories_parent ON categories (parent_id)",
			"INSERT INTO categories (id, parent_id, name) VALUES (1, NULL, 'root'), (2, NULL, 'other')")
		for lo := 0; lo < n; lo += 5000 {
			var b strings.Builder
			b.WriteString("INSERT INTO categories (id, parent_id, name) VALUES ")
			for i := lo; i < min(lo+5000, n); i++ {
				if i > lo {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "(%d, 1, 'c%d')", 10+i, i)
			}
			tdb.exec(t, b.String())
		}
	}
	roots := map[string]func(*typeddelete.Session) error{
		"an object delete": func(s *typeddelete.Session) error { return s.Delete(&planCategory{ID: 1}) },
		"a bulk delete": func(s *typeddelete.Session) error {
			_, err := typeddelete.Query[planCategory](s).FilterBy("name", "root").Delete()
			return err
		},
	}
	for name, register := range roots {
		t.Run(name+" of a tree root with 70,000 children", func(t *testing.T) {
			forEachDBLarge(t, func(t *testing.T, tdb *testDB) {
				fill(t, tdb)
				s := tdb.session()
				planMust(t, "register", register(s))
				planMust(t, "Commit", s.Commit(ctx))
				if got := tdb.ids(t, "categories"); !slices.Equal(got, []int64{2}) {
					t.Errorf("%d rows left, want only id 2", len(got))
				}
			})
		})
	}
	t.Run("a bulk delete filtered by an In list of 70,000 names", func(t *testing.T) {
		forEachDBLarge(t, func(t *testing.T, tdb *testDB) {
			fill(t, tdb)
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("c%d", i)
			}
			name := typeddelete.Col(func(c *planCategory) *string { return &c.Name })
			s := tdb.session()
			_, err := typeddelete.Query[planCategory](s).Filter(name.In(names...)).Delete()
			if tdb.Dialect.Name() == "mysql" {
				// Strings stay bound parameters on MySQL: 70,000 are
				// refused at once, before anything is sent.
				if !errors.Is(err, typeddelete.ErrInvalidPredicate) || !strings.Contains(err.Error(), "70000 parameters") {
					t.Fatalf("Query.Delete = %v, want ErrInvalidPredicate naming 70000 parameters", err)
				}
				return
			}
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if got := tdb.ids(t, "categories"); !slices.Equal(got, []int64{1, 2}) {
				t.Errorf("%d rows left, want ids 1 and 2", len(got))
			}
		})
	})
	t.Run("a bulk delete filtered by an In list of 70,000 integers", func(t *testing.T) {
		forEachDBLarge(t, func(t *testing.T, tdb *testDB) {
			fill(t, tdb)
			ids := make([]int64, n)
			for i := range ids {
				ids[i] = int64(10 + i)
			}
			id := typeddelete.Col(func(c *planCategory) *int64 { return &c.ID })
			s := tdb.session()
			_, err := typeddelete.Query[planCategory](s).Filter(id.In(ids...)).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if got := tdb.ids(t, "categories"); !slices.Equal(got, []int64{1, 2}) {
				t.Errorf("%d rows left, want ids 1 and 2", len(got))
			}
		})
	})
}

// lpItem is scoped, and its code is a pointer column, whose In values
// are bound parameters on every database.
type lpItem struct {
	ID       int64   `db:"id,pk"`
	TenantID int64   `db:"tenant_id,scope"`
	Code     *string `db:"code"`
}

func (lpItem) TableName() string { return "lp_items" }

// lpSoft is lpItem's table as a soft-deletable model.
type lpSoft struct {
	ID        int64      `db:"id,pk"`
	TenantID  int64      `db:"tenant_id,scope"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (lpSoft) TableName() string { return "lp_items" }

// TestStatementsLeaveRoomForTheirOtherParameters checks that keys and In
// lists sent as bound parameters leave room, under the database's limit,
// for the other parameters of their statements: the scope's value, the
// stamp of a soft delete. On SQLite (32,766 parameters) integer keys are
// bound parameters; the servers send them as arrays or literals.
func TestStatementsLeaveRoomForTheirOtherParameters(t *testing.T) {
	ctx := context.Background()
	const n = 33000
	sqliteOnly := func(name string) bool { return strings.HasPrefix(name, "sqlite") }
	// Tenant 1 has rows 1 to n, tenant 2 rows 1 to 3, with the same codes.
	fill := func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "CREATE TABLE lp_items (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, code VARCHAR(20), deleted_at TIMESTAMP, PRIMARY KEY (tenant_id, id))",
			"INSERT INTO lp_items (tenant_id, id, code) VALUES (2, 1, 'c1'), (2, 2, 'c2'), (2, 3, 'c3')")
		for lo := 0; lo < n; lo += 5000 {
			var b strings.Builder
			b.WriteString("INSERT INTO lp_items (tenant_id, id, code) VALUES ")
			for i := lo + 1; i <= min(lo+5000, n); i++ {
				if i > lo+1 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "(1, %d, 'c%d')", i, i)
			}
			tdb.exec(t, b.String())
		}
	}
	live := func(t *testing.T, tdb *testDB, tenant int) int {
		t.Helper()
		var c int
		q := fmt.Sprintf("SELECT COUNT(*) FROM lp_items WHERE tenant_id = %d AND deleted_at IS NULL", tenant)
		if err := tdb.DB.QueryRowContext(ctx, q).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tenant1 := typeddelete.WithScope("tenant_id", int64(1))
	// deleteScoped deletes the n objects objs of tenant 1, in a session
	// scoped to tenant 1 with WithBatchSize(40000), and checks the count
	// that done takes from the result and the live rows left.
	deleteScoped := func(t *testing.T, tdb *testDB, objs any, done func(typeddelete.CommitResult) map[string]int64) {
		t.Helper()
		fill(t, tdb)
		s := tdb.session(tenant1, typeddelete.WithBatchSize(40000))
		planMust(t, "Delete", s.Delete(objs))
		planMust(t, "Commit", s.Commit(ctx))
		if got := done(s.LastCommit())["lp_items"]; got != n {
			t.Errorf("LastCommit() counts %d rows of lp_items, want %d", got, n)
		}
		if a, b := live(t, tdb, 1), live(t, tdb, 2); a != 0 || b != 3 {
			t.Errorf("live rows = %d of tenant 1, %d of tenant 2; want 0 and 3", a, b)
		}
	}
	t.Run("33,000 keys of a scoped model with WithBatchSize(40000)", func(t *testing.T) {
		forEachDBLargeWhere(t, sqliteOnly, func(t *testing.T, tdb *testDB) {
			objs := make([]*lpItem, n)
			for i := range objs {
				objs[i] = &lpItem{ID: int64(i + 1)}
			}
			deleteScoped(t, tdb, objs, func(r typeddelete.CommitResult) map[string]int64 { return r.Deleted })
		})
	})
	t.Run("33,000 keys of a scoped soft-deletable model with WithBatchSize(40000)", func(t *testing.T) {
		forEachDBLargeWhere(t, sqliteOnly, func(t *testing.T, tdb *testDB) {
			objs := make([]*lpSoft, n)
			for i := range objs {
				objs[i] = &lpSoft{ID: int64(i + 1)}
			}
			deleteScoped(t, tdb, objs, func(r typeddelete.CommitResult) map[string]int64 { return r.SoftDeleted })
		})
	})
	code := typeddelete.Col(func(i *lpItem) **string { return &i.Code })
	codes := func(k int) []*string {
		out := make([]*string, k)
		for i := range out {
			c := fmt.Sprintf("c%d", i+1)
			out[i] = &c
		}
		return out
	}
	t.Run("an In list of 32,766 bound values on a scoped model is refused at Delete", func(t *testing.T) {
		forEachDBLargeWhere(t, sqliteOnly, func(t *testing.T, tdb *testDB) {
			fill(t, tdb)
			s := tdb.session(tenant1)
			_, err := typeddelete.Query[lpItem](s).Filter(code.In(codes(32766)...)).Delete()
			if !errors.Is(err, typeddelete.ErrInvalidPredicate) || !strings.Contains(err.Error(), "a filter of 32766 parameters") {
				t.Fatalf("Query.Delete = %v, want ErrInvalidPredicate naming 32766 parameters", err)
			}
			if o, b := s.Pending(); o+b != 0 {
				t.Errorf("Pending() = (%d, %d), want nothing registered", o, b)
			}
			if a, b := live(t, tdb, 1), live(t, tdb, 2); a != n || b != 3 {
				t.Errorf("rows = %d of tenant 1, %d of tenant 2; want %d and 3", a, b, n)
			}
		})
	})
	t.Run("an In list of 32,765 bound values on a scoped model is sent with the scope", func(t *testing.T) {
		forEachDBLargeWhere(t, sqliteOnly, func(t *testing.T, tdb *testDB) {
			fill(t, tdb)
			s := tdb.session(tenant1)
			d, err := typeddelete.Query[lpItem](s).Filter(code.In(codes(32765)...)).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if got, ok := d.RowsAffected(); got != 32765 || !ok {
				t.Errorf("RowsAffected() = %d, %v; want 32765, true", got, ok)
			}
			if a, b := live(t, tdb, 1), live(t, tdb, 2); a != n-32765 || b != 3 {
				t.Errorf("rows left = %d of tenant 1, %d of tenant 2; want %d and 3", a, b, n-32765)
			}
		})
	})
}

// injKey has a composite key of byte strings, which may hold NUL.
type injKey struct {
	A []byte `db:"a,pk"`
	B []byte `db:"b,pk"`
}

func (injKey) TableName() string { return "inj_keys" }

// TestCompositeKeysAreIdentifiedInjectively checks that ("x\x00y", "z")
// and ("x", "y\x00z") are two keys: both rows are deleted.
func TestCompositeKeysAreIdentifiedInjectively(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		col := map[string]string{"postgres": "BYTEA", "mysql": "VARBINARY(20)"}[tdb.Dialect.Name()]
		if col == "" {
			col = "BLOB"
		}
		tdb.exec(t, "CREATE TABLE inj_keys (a "+col+" NOT NULL, b "+col+" NOT NULL, PRIMARY KEY (a, b))")
		keys := []injKey{{[]byte("x\x00y"), []byte("z")}, {[]byte("x"), []byte("y\x00z")}, {[]byte("k"), []byte("k")}}
		for _, k := range keys {
			if _, err := tdb.DB.Exec(tdb.rebind("INSERT INTO inj_keys (a, b) VALUES (?, ?)"), k.A, k.B); err != nil {
				t.Fatal(err)
			}
		}
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&keys[0], &keys[1]))
		planMust(t, "Commit", s.Commit(context.Background()))
		if got := s.LastCommit(); got.Deleted["inj_keys"] != 2 || len(got.Missing) != 0 {
			t.Errorf("LastCommit() = %+v, want 2 rows deleted and none missing", got)
		}
		if n := tdb.count(t, "inj_keys"); n != 1 {
			t.Errorf("%d rows left, want 1", n)
		}
	})
}

type ciUser struct {
	Name string `db:"name,pk"`
}

func (ciUser) TableName() string { return "ci_users" }

// TestCaseInsensitiveKeys checks that a key is reported missing exactly
// when no row matched it, where the database compares keys without case
// (MariaDB's default collation, SQLite's NOCASE, utf8mb4_general_ci on
// TiDB): ALICE deletes alice and is not missing; on PostgreSQL it matches
// nothing and is.
func TestCaseInsensitiveKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		ddl := "CREATE TABLE ci_users (name VARCHAR(50) PRIMARY KEY)"
		switch {
		case strings.HasPrefix(tdb.Name, "sqlite"):
			ddl = "CREATE TABLE ci_users (name TEXT COLLATE NOCASE PRIMARY KEY)"
		case tdb.tidb():
			// TiDB's default collation, utf8mb4_bin, compares with case.
			ddl = "CREATE TABLE ci_users (name VARCHAR(50) COLLATE utf8mb4_general_ci PRIMARY KEY)"
		}
		tdb.exec(t, ddl, "INSERT INTO ci_users (name) VALUES ('alice'), ('bob')")
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&ciUser{Name: "ALICE"}, &ciUser{Name: "nobody"}))
		planMust(t, "Commit", s.Commit(context.Background()))
		last := s.LastCommit()
		var missing []string
		for _, m := range last.Missing {
			missing = append(missing, m.Key[0].(string))
		}
		wantMissing, wantDeleted, wantLeft := []string{"nobody"}, int64(1), 1
		if tdb.Name == "postgres" {
			wantMissing, wantDeleted, wantLeft = []string{"ALICE", "nobody"}, 0, 2
		}
		if !slices.Equal(missing, wantMissing) || last.Deleted["ci_users"] != wantDeleted {
			t.Errorf("LastCommit() = %+v, want %d deleted and missing %v", last, wantDeleted, wantMissing)
		}
		if n := tdb.count(t, "ci_users"); n != wantLeft {
			t.Errorf("%d rows left, want %d", n, wantLeft)
		}
	})
}

// TestCaseInsensitiveKeysInLongLists checks the same with more keys than
// one statement asks the database about: 1001 keys in upper case, each
// matching a row in lower case only by the collation, all go and none is
// missing (on PostgreSQL none matches).
func TestCaseInsensitiveKeysInLongLists(t *testing.T) {
	const n = 1001
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		ddl := "CREATE TABLE ci_users (name VARCHAR(50) PRIMARY KEY)"
		switch {
		case strings.HasPrefix(tdb.Name, "sqlite"):
			ddl = "CREATE TABLE ci_users (name TEXT COLLATE NOCASE PRIMARY KEY)"
		case tdb.tidb():
			ddl = "CREATE TABLE ci_users (name VARCHAR(50) COLLATE utf8mb4_general_ci PRIMARY KEY)"
		}
		values := make([]string, n)
		objs := make([]any, n)
		for i := range n {
			values[i] = fmt.Sprintf("('user%04d')", i)
			objs[i] = &ciUser{Name: fmt.Sprintf("USER%04d", i)}
		}
		tdb.exec(t, ddl, "INSERT INTO ci_users (name) VALUES "+strings.Join(values, ", "))
		s := tdb.session()
		planMust(t, "Delete", s.Delete(objs...))
		planMust(t, "Commit", s.Commit(context.Background()))
		last := s.LastCommit()
		wantDeleted, wantMissing, wantLeft := int64(n), 0, 0
		if tdb.Name == "postgres" {
			wantDeleted, wantMissing, wantLeft = 0, n, n
		}
		if last.Deleted["ci_users"] != wantDeleted || len(last.Missing) != wantMissing {
			t.Errorf("LastCommit() deleted %d and missed %d keys, want %d and %d", last.Deleted["ci_users"], len(last.Missing), wantDeleted, wantMissing)
		}
		if got := tdb.count(t, "ci_users"); got != wantLeft {
			t.Errorf("%d rows left, want %d", got, wantLeft)
		}
	})
}

type memberByUser struct {
	UserID int64 `db:"user_id,pk"`
}

func (memberByUser) TableName() string { return "memberships" }

// TestModelKeyMustIdentifyRows checks that a model whose key is neither
// the primary key nor a unique key of its table is refused at first use,
// before anything is sent.
func TestModelKeyMustIdentifyRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, planMemberships)
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&memberByUser{UserID: 1}))
		err := s.Commit(context.Background())
		if !errors.Is(err, typeddelete.ErrInvalidModel) || !strings.Contains(err.Error(), `the key (user_id) is neither the primary key nor a unique key of "memberships"`) {
			t.Fatalf("Commit error = %v, want ErrInvalidModel naming the key", err)
		}
		p.expect(t, map[string][]string{"memberships": {"1|1", "1|2"}})
	})
}

// TestConstantFiltersAreRefused checks that a bulk delete whose filter is
// true for every row, however written, is refused before anything is
// sent, and that one false for every row sends nothing.
func TestConstantFiltersAreRefused(t *testing.T) {
	ctx := context.Background()
	always := []struct {
		name string
		s    sq.Sqlizer
	}{
		{"2=2", sq.Expr("2=2")},
		{"1", sq.Expr("1")},
		{"NOT (1=0)", sq.Expr("NOT (1=0)")},
		{"TRUE AND TRUE", sq.Expr("TRUE AND TRUE")},
		{"1 <> 0", sq.Expr("1 <> 0")},
		{"a bound true", sq.Expr("?", true)},
		{"an Or of an empty Eq and a column", sq.Or{sq.Eq{}, sq.Expr("owner_id > 1")}},
		{"an And of constants", sq.And{sq.Expr("3 > 2"), sq.Expr("'a' = 'a'")}},
		// A column's name in a string literal or a comment names no column.
		{"'name' = 'name'", sq.Expr("'name' = 'name'")},
		{"'id' <> ''", sq.Expr("'id' <> ''")},
		{"'it''s name' <> 'owner_id'", sq.Expr("'it''s name' <> 'owner_id'")},
		{"1 = 1 /* name */", sq.Expr("1 = 1 /* name */")},
		{"a bound value compared with 'name'", sq.Expr("? = 'name'", "name")},
	}
	seed := map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}}
	for _, tc := range always {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, planOwners)
				s := tdb.session()
				_, err := typeddelete.Query[planPet](s).Filter(typeddelete.Raw[planPet](tc.s)).Delete()
				if err == nil {
					err = s.Commit(ctx)
				}
				switch {
				case errors.Is(err, typeddelete.ErrMissingWhere):
				case tdb.Name == "postgres" && tc.name == "1" && err != nil:
					// PostgreSQL refuses an integer as a condition itself.
				default:
					t.Errorf("error = %v, want ErrMissingWhere", err)
				}
				p.expect(t, seed)
			})
		})
	}
	// Quoting that only some databases read so: constant there.
	dialectConstants := []struct {
		name string
		on   func(string) bool
		expr string
	}{
		{"a dollar-quoted string on PostgreSQL", func(n string) bool { return n == "postgres" }, "$$name$$ = $$name$$"},
		{"a tagged dollar-quoted string on PostgreSQL", func(n string) bool { return n == "postgres" }, "$q$ id' $q$ <> 'x'"},
		{"an escaped quote in an E string on PostgreSQL", func(n string) bool { return n == "postgres" }, `E'\' name' <> 'x'`},
		{"double quotes around a string on MySQL", func(n string) bool { return n == "mysql" || strings.HasPrefix(n, "tidb") }, `"name" = "name"`},
		{"an escaped quote in a string on MySQL", func(n string) bool { return n == "mysql" || strings.HasPrefix(n, "tidb") }, `'\' name' <> 'x'`},
		{"double quotes around what is no column on SQLite", func(n string) bool { return strings.HasPrefix(n, "sqlite") }, `"nothing" = "nothing"`},
	}
	for _, tc := range dialectConstants {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			forEachDBWhere(t, tc.on, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, planOwners)
				s := tdb.session()
				_, err := typeddelete.Query[planPet](s).Filter(typeddelete.Raw[planPet](sq.Expr(tc.expr))).Delete()
				if err == nil {
					err = s.Commit(ctx)
				}
				if !errors.Is(err, typeddelete.ErrMissingWhere) {
					t.Errorf("%s: error = %v, want ErrMissingWhere", tc.expr, err)
				}
				p.expect(t, seed)
			})
		})
	}
	t.Run("a filter that names no column and is false sends nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			d, err := typeddelete.Query[planPet](s).Filter(typeddelete.Raw[planPet](sq.Expr("1 = 2"))).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, ok := d.RowsAffected(); n != 0 || !ok {
				t.Errorf("RowsAffected() = %d, %v; want 0, true", n, ok)
			}
			p.expect(t, seed)
		})
	})
	t.Run("AllRows deletes every row on purpose", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			_, err := typeddelete.Query[planPet](s).Filter(typeddelete.Raw[planPet](sq.Expr("2=2"))).AllRows().Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": nil})
		})
	})
}

type qIdent struct {
	ID   int64  `db:"id,pk"`
	What string `db:"what?"`
}

func (qIdent) TableName() string { return "q_idents" }

// TestBadSessionInput checks that a zero Dialect and an identifier with a
// "?" get typed errors, not panics, and send nothing.
func TestBadSessionInput(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		s := tdb.session(typeddelete.WithDialect(&typeddelete.Dialect{}))
		if err := s.Delete(&planPet{ID: 1}); !errors.Is(err, typeddelete.ErrUnknownDialect) {
			t.Errorf("Delete on a zero Dialect = %v, want ErrUnknownDialect", err)
		}
		if _, _, err := typeddelete.Query[planPet](s).FilterBy("id", int64(1)).DeleteSQL(); !errors.Is(err, typeddelete.ErrUnknownDialect) {
			t.Errorf("DeleteSQL on a zero Dialect = %v, want ErrUnknownDialect", err)
		}
		if err := s.Commit(ctx); !errors.Is(err, typeddelete.ErrUnknownDialect) {
			t.Errorf("Commit on a zero Dialect = %v, want ErrUnknownDialect", err)
		}
		s = tdb.session()
		if err := s.Delete(&qIdent{ID: 1}); !errors.Is(err, typeddelete.ErrInvalidModel) || !strings.Contains(err.Error(), `"what?"`) {
			t.Errorf("Delete of a model with a column what? = %v, want ErrInvalidModel naming it", err)
		}
		if _, _, err := typeddelete.Query[qIdent](s).FilterBy("id", int64(1)).DeleteSQL(); !errors.Is(err, typeddelete.ErrInvalidModel) {
			t.Errorf("DeleteSQL of a model with a column what? = %v, want ErrInvalidModel", err)
		}
	})
}

// Tenants: projects and tasks of two tenants share keys.

type tProject struct {
	ID       int64 `db:"id,pk"`
	TenantID int64 `db:"tenant_id,scope"`
}

func (tProject) TableName() string { return "t_projects" }
func (tProject) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[tTask](typeddelete.Cascade, "project_id")}
}

type tTask struct {
	ID        int64 `db:"id,pk"`
	TenantID  int64 `db:"tenant_id,scope"`
	ProjectID int64 `db:"project_id"`
}

func (tTask) TableName() string { return "t_tasks" }

// TestTenantScope checks that a session scoped to one tenant touches none
// of another's rows, even by a key they share: the other tenant's key
// comes back missing.
func TestTenantScope(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, tdb *testDB) *planDB {
		tdb.exec(t, "CREATE TABLE t_projects (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
			"CREATE TABLE t_tasks (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, project_id BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, project_id) REFERENCES t_projects(tenant_id, id))",
			"INSERT INTO t_projects (tenant_id, id) VALUES (1, 1), (2, 1), (2, 2)",
			"INSERT INTO t_tasks (tenant_id, id, project_id) VALUES (1, 10, 1), (2, 10, 1), (2, 20, 2)")
		return &planDB{testDB: tdb, tables: []planTable{{"t_projects", "tenant_id, id", "1, 2"}, {"t_tasks", "tenant_id, id", "1, 2"}}}
	}
	t.Run("object deletes and their cascades stay in the scope", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := setup(t, tdb)
			s := tdb.session(typeddelete.WithScope("tenant_id", int64(1)))
			planMust(t, "Delete", s.Delete(&tProject{ID: 1}, &tProject{ID: 2}))
			planMust(t, "Commit", s.Commit(ctx))
			if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"t_projects:[2]"}) {
				t.Errorf("Missing = %v, want project 2, tenant 2's", got)
			}
			p.expect(t, map[string][]string{"t_projects": {"2|1", "2|2"}, "t_tasks": {"2|10", "2|20"}})
		})
	})
	t.Run("bulk deletes and reads stay in the scope", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := setup(t, tdb)
			s := tdb.session(typeddelete.WithScope("tenant_id", int64(2)))
			n, err := typeddelete.Query[tTask](s).AllRows().Count(ctx)
			planMust(t, "Count", err)
			if n != 2 {
				t.Errorf("Count() = %d in tenant 2, want 2", n)
			}
			_, err = typeddelete.Query[tProject](s).FilterBy("id", int64(1)).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"t_projects": {"1|1", "2|2"}, "t_tasks": {"1|10", "2|20"}})
		})
	})
	t.Run("a scoped model without a scope sends nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			setup(t, tdb)
			s := tdb.session()
			if err := s.Delete(&tProject{ID: 1}); !errors.Is(err, typeddelete.ErrMissingScope) {
				t.Errorf("Delete = %v, want ErrMissingScope", err)
			}
			if _, err := typeddelete.Query[tProject](s).AllRows().All(ctx); !errors.Is(err, typeddelete.ErrMissingScope) {
				t.Errorf("All = %v, want ErrMissingScope", err)
			}
			if o, b := s.Pending(); o+b != 0 || !reflect.DeepEqual(s.LastCommit(), typeddelete.CommitResult{}) {
				t.Errorf("something was registered or sent")
			}
		})
	})
}

// tDoc is a scoped, soft-deletable model.
type tDoc struct {
	ID        int64      `db:"id,pk"`
	TenantID  int64      `db:"tenant_id,scope"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (tDoc) TableName() string { return "t_docs" }

// tNode is a scoped tree: deleting a node deletes its descendants.
type tNode struct {
	ID       int64  `db:"id,pk"`
	TenantID int64  `db:"tenant_id,scope"`
	ParentID *int64 `db:"parent_id"`
}

func (tNode) TableName() string { return "t_nodes" }
func (tNode) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[tNode](typeddelete.Cascade, "parent_id")}
}

// TestTenantScopeInEveryKindOfWrite checks, with two tenants sharing keys,
// that soft deletes and restores, DeleteReturning, the walk of a tree and
// Purge touch only the session's tenant: the other's rows stay as they
// were, and its keys come back missing.
func TestTenantScopeInEveryKindOfWrite(t *testing.T) {
	ctx := context.Background()
	tenant1 := typeddelete.WithScope("tenant_id", int64(1))
	t.Run("soft deletes and restores", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			ts := "TIMESTAMP NULL"
			if tdb.Dialect.Name() == "mysql" {
				ts = "DATETIME(6) NULL"
			}
			tdb.exec(t, "CREATE TABLE t_docs (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, deleted_at "+ts+", PRIMARY KEY (tenant_id, id))",
				"INSERT INTO t_docs (tenant_id, id) VALUES (1, 1), (1, 2), (2, 1), (2, 2), (2, 3)")
			p := &planDB{testDB: tdb, tables: []planTable{{"t_docs", "tenant_id, id, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END", "1, 2"}}}
			s := tdb.session(tenant1)
			planMust(t, "Delete", s.Delete(&tDoc{ID: 1}, &tDoc{ID: 3}))
			planMust(t, "Commit", s.Commit(ctx))
			if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"t_docs:[3]"}) {
				t.Errorf("Missing after the soft delete = %v, want doc 3, tenant 2's", got)
			}
			p.expect(t, map[string][]string{"t_docs": {"1|1|deleted", "1|2|live", "2|1|live", "2|2|live", "2|3|live"}})

			tdb.exec(t, "UPDATE t_docs SET deleted_at = CURRENT_TIMESTAMP WHERE tenant_id = 2")
			planMust(t, "Restore", s.Restore(&tDoc{ID: 1}, &tDoc{ID: 3}))
			planMust(t, "Commit", s.Commit(ctx))
			if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"t_docs:[3]"}) {
				t.Errorf("Missing after the restore = %v, want doc 3, tenant 2's", got)
			}
			p.expect(t, map[string][]string{"t_docs": {"1|1|live", "1|2|live", "2|1|deleted", "2|2|deleted", "2|3|deleted"}})

			_, err := typeddelete.Query[tDoc](s).FilterBy("id", int64(2)).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			tdb.exec(t, "UPDATE t_docs SET deleted_at = NULL WHERE tenant_id = 2 AND id = 1")
			d, err := typeddelete.Query[tDoc](s).FilterBy("id", []int64{1, 2, 3}).Restore()
			planMust(t, "Query.Restore", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, _ := d.RowsAffected(); n != 1 {
				t.Errorf("RowsAffected() of the bulk restore = %d, want 1", n)
			}
			p.expect(t, map[string][]string{"t_docs": {"1|1|live", "1|2|live", "2|1|live", "2|2|deleted", "2|3|deleted"}})
		})
	})
	// Tenant 1 has projects 1 and 3, tenant 2 projects 1, 2 and 3.
	projects := func(t *testing.T, tdb *testDB) *planDB {
		tdb.exec(t, "CREATE TABLE t_projects (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))",
			"CREATE TABLE t_tasks (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, project_id BIGINT NOT NULL, PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, project_id) REFERENCES t_projects(tenant_id, id))",
			"INSERT INTO t_projects (tenant_id, id) VALUES (1, 1), (1, 3), (2, 1), (2, 2), (2, 3)",
			"INSERT INTO t_tasks (tenant_id, id, project_id) VALUES (1, 10, 1), (1, 11, 3), (2, 10, 1), (2, 11, 2), (2, 30, 3)")
		return &planDB{testDB: tdb, tables: []planTable{{"t_projects", "tenant_id, id", "1, 2"}, {"t_tasks", "tenant_id, id, project_id", "1, 2"}}}
	}
	tenant2 := map[string][]string{"t_projects": {"2|1", "2|2", "2|3"}, "t_tasks": {"2|10|1", "2|11|2", "2|30|3"}}
	t.Run("DeleteReturning", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := projects(t, tdb)
			s := tdb.session(tenant1)
			r, err := typeddelete.Query[tTask](s).FilterBy("id", []int64{10, 30}).DeleteReturning()
			planMust(t, "DeleteReturning", err)
			planMust(t, "Commit", s.Commit(ctx))
			if got := r.Rows(); len(got) != 1 || *got[0] != (tTask{ID: 10, TenantID: 1, ProjectID: 1}) {
				t.Errorf("Rows() = %+v, want only tenant 1's task 10", got)
			}
			p.expect(t, map[string][]string{"t_projects": {"1|1", "1|3", "2|1", "2|2", "2|3"}, "t_tasks": {"1|11|3", "2|10|1", "2|11|2", "2|30|3"}})
		})
	})
	t.Run("Purge", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := projects(t, tdb)
			s := tdb.session(tenant1)
			res, err := typeddelete.Query[tProject](s).AllRows().Purge(ctx, typeddelete.ChunkSize(1))
			planMust(t, "Purge", err)
			// Two chunks: the walk reads tenant 1's keys only, and key 2,
			// tenant 2's alone, would end it with no row deleted.
			if want := map[string]int64{"t_projects": 2, "t_tasks": 2}; !res.Done || res.Chunks != 2 || !reflect.DeepEqual(res.Deleted, want) {
				t.Errorf("Purge = %+v, want done in 2 chunks with %v deleted", res, want)
			}
			p.expect(t, tenant2)
		})
	})
	t.Run("a tree's descendants", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			// Both tenants have the tree 1 > 2 > 3; tenant 2 also has 4 under 1.
			tdb.exec(t, "CREATE TABLE t_nodes (tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, parent_id BIGINT, PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, parent_id) REFERENCES t_nodes(tenant_id, id))",
				"INSERT INTO t_nodes (tenant_id, id, parent_id) VALUES (1, 1, NULL), (2, 1, NULL)",
				"INSERT INTO t_nodes (tenant_id, id, parent_id) VALUES (1, 2, 1), (2, 2, 1), (2, 4, 1)",
				"INSERT INTO t_nodes (tenant_id, id, parent_id) VALUES (1, 3, 2), (2, 3, 2)")
			p := &planDB{testDB: tdb, tables: []planTable{{"t_nodes", "tenant_id, id", "1, 2"}}}
			s := tdb.session(tenant1)
			planMust(t, "Delete", s.Delete(&tNode{ID: 1}, &tNode{ID: 4}))
			planMust(t, "Commit", s.Commit(ctx))
			if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"t_nodes:[4]"}) {
				t.Errorf("Missing = %v, want node 4, tenant 2's", got)
			}
			if got := s.LastCommit().Deleted["t_nodes"]; got != 3 {
				t.Errorf("LastCommit().Deleted = %d nodes, want 3", got)
			}
			p.expect(t, map[string][]string{"t_nodes": {"2|1", "2|2", "2|3", "2|4"}})
		})
	})
}

// ckEvent has a composite key of a string and a time.
type ckEvent struct {
	Source string    `db:"source,pk"`
	At     time.Time `db:"at,pk"`
}

func (ckEvent) TableName() string { return "ck_events" }

// TestCompositeKeysOfAnyType deletes 3,000 of 4,000 rows keyed by (text,
// timestamp): on PostgreSQL in one statement, the keys as one array per
// column cast to the columns' own types; elsewhere as row values in
// batches.
func TestCompositeKeysOfAnyType(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		ts := map[string]string{"postgres": "TIMESTAMPTZ", "mysql": "DATETIME(6)"}[tdb.Dialect.Name()]
		if ts == "" {
			ts = "TIMESTAMP"
		}
		tdb.exec(t, "CREATE TABLE ck_events (source VARCHAR(40) NOT NULL, at "+ts+" NOT NULL, PRIMARY KEY (source, at))")
		base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
		var objs []*ckEvent
		for lo := 0; lo < 4000; lo += 500 {
			var b strings.Builder
			var args []any
			b.WriteString("INSERT INTO ck_events (source, at) VALUES ")
			for i := lo; i < lo+500; i++ {
				if i > lo {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?)")
				e := &ckEvent{Source: fmt.Sprintf("src-%d", i%7), At: base.Add(time.Duration(i) * time.Second)}
				args = append(args, e.Source, e.At)
				if i%4 != 0 {
					objs = append(objs, e)
				}
			}
			if _, err := tdb.DB.Exec(tdb.rebind(b.String()), args...); err != nil {
				t.Fatal(err)
			}
		}
		s := tdb.session()
		planMust(t, "Delete", s.Delete(objs))
		planMust(t, "Commit", s.Commit(context.Background()))
		last := s.LastCommit()
		if last.Deleted["ck_events"] != 3000 || len(last.Missing) != 0 {
			t.Errorf("LastCommit() = %d deleted, %d missing; want 3000, 0", last.Deleted["ck_events"], len(last.Missing))
		}
		if tdb.Name == "postgres" && last.Statements != 1 {
			t.Errorf("PostgreSQL sent %d statements, want 1", last.Statements)
		}
		if n := tdb.count(t, "ck_events"); n != 1000 {
			t.Errorf("%d rows left, want 1000", n)
		}
	})
}

// ckUUID is a UUID held as 16 bytes that the driver receives as text, as
// github.com/google/uuid's UUID is.
type ckUUID [16]byte

func (u ckUUID) Value() (driver.Value, error) { return u.String(), nil }

func (u ckUUID) String() string {
	h := fmt.Sprintf("%x", u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ckNewUUID returns a UUID that differs for each (space, n).
func ckNewUUID(space byte, n int) ckUUID {
	var u ckUUID
	u[0], u[6], u[8] = space, 0x40, 0x80
	u[14], u[15] = byte(n>>8), byte(n)
	return u
}

// ckDoc has a composite key of two uuid columns, one held in a Valuer and
// one in a string, and an integer.
type ckDoc struct {
	Tenant ckUUID `db:"tenant,pk"`
	Doc    string `db:"doc,pk"`
	Rev    int64  `db:"rev,pk"`
}

func (ckDoc) TableName() string { return "ck_docs" }

// TestCompositeKeysWithUUID deletes on PostgreSQL, in one statement, rows
// keyed by (uuid, uuid, bigint) out of 2,000 whose key parts each repeat
// across rows, chosen so that matching each column on its own would take
// others too: exactly those rows go.
func TestCompositeKeysWithUUID(t *testing.T) {
	tdb := &testDB{Name: "postgres", DB: openPostgres(t), Dialect: typeddelete.PostgresDialect()}
	tdb.exec(t, "CREATE TABLE ck_docs (tenant UUID NOT NULL, doc UUID NOT NULL, rev BIGINT NOT NULL, PRIMARY KEY (tenant, doc, rev))")
	key := func(tenant, doc string, rev int64) string { return fmt.Sprintf("%s|%s|%d", tenant, doc, rev) }
	var objs []*ckDoc
	var keep []string
	for lo := 0; lo < 2000; lo += 500 {
		var b strings.Builder
		var args []any
		b.WriteString("INSERT INTO ck_docs (tenant, doc, rev) VALUES ")
		for i := lo; i < lo+500; i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			tn, dn, rev := i%8, i/8%25, i/200+1
			e := &ckDoc{Tenant: ckNewUUID(1, tn), Doc: ckNewUUID(2, dn).String(), Rev: int64(rev)}
			args = append(args, e.Tenant, e.Doc, e.Rev)
			if (tn+dn+rev)%3 != 0 {
				objs = append(objs, e)
			} else {
				keep = append(keep, key(e.Tenant.String(), e.Doc, e.Rev))
			}
		}
		if _, err := tdb.DB.Exec(tdb.rebind(b.String()), args...); err != nil {
			t.Fatal(err)
		}
	}
	s := tdb.session()
	planMust(t, "Delete", s.Delete(objs))
	planMust(t, "Commit", s.Commit(context.Background()))
	last := s.LastCommit()
	if last.Deleted["ck_docs"] != int64(len(objs)) || len(last.Missing) != 0 || last.Statements != 1 {
		t.Errorf("LastCommit() = %d deleted, %d missing in %d statements; want %d, 0 in 1",
			last.Deleted["ck_docs"], len(last.Missing), last.Statements, len(objs))
	}
	rows, err := tdb.DB.Query("SELECT tenant::text, doc::text, rev FROM ck_docs")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var left []string
	for rows.Next() {
		var tenant, doc string
		var rev int64
		if err := rows.Scan(&tenant, &doc, &rev); err != nil {
			t.Fatal(err)
		}
		left = append(left, key(tenant, doc, rev))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	slices.Sort(keep)
	if !slices.Equal(left, keep) {
		t.Errorf("%d rows left, want exactly the %d not deleted", len(left), len(keep))
	}
}
