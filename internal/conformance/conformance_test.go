package conformance_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
)

// The conformance suite: every test runs unchanged on each database of
// forEachDB and checks what is left in the database afterwards.

// confUser is the main model of the suite: a one-column key and a nullable
// column mapped as *string.
type confUser struct {
	ID   int64   `db:"id"`
	Name string  `db:"name"`
	Age  int     `db:"age"`
	Nick *string `db:"nick"`
}

func (confUser) TableName() string { return "conf_users" }

// confPair has a composite primary key (a, b).
type confPair struct {
	A    int64  `db:"a,pk"`
	B    string `db:"b,pk"`
	Note string `db:"note"`
}

func (confPair) TableName() string { return "conf_pairs" }

// confNote has a nullable column mapped as sql.NullString.
type confNote struct {
	ID   int64          `db:"id"`
	Body sql.NullString `db:"body"`
}

func (confNote) TableName() string { return "conf_notes" }

// confBig is a key-only model for large commits.
type confBig struct {
	ID int64 `db:"id"`
}

func (confBig) TableName() string { return "conf_big" }

// confNoKey has no primary key, so it is not a valid model.
type confNoKey struct {
	Name string `db:"name"`
}

// Typed columns of confUser. Columns are immutable, so sharing them between
// tests is safe.
var (
	confUserID   = typeddelete.Col(func(u *confUser) *int64 { return &u.ID })
	confUserName = typeddelete.Col(func(u *confUser) *string { return &u.Name })
	confUserAge  = typeddelete.Col(func(u *confUser) *int { return &u.Age })
	confUserNick = typeddelete.Col(func(u *confUser) **string { return &u.Nick })
)

const (
	confUsersDDL = "CREATE TABLE conf_users (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL, age INTEGER NOT NULL, nick VARCHAR(255))"
	confPairsDDL = "CREATE TABLE conf_pairs (a BIGINT NOT NULL, b VARCHAR(64) NOT NULL, note VARCHAR(255) NOT NULL, PRIMARY KEY (a, b))"
	confNotesDDL = "CREATE TABLE conf_notes (id BIGINT PRIMARY KEY, body VARCHAR(255))"
	confBigDDL   = "CREATE TABLE conf_big (id BIGINT PRIMARY KEY)"
)

func confStr(s string) *string { return &s }

// confPeople are the rows of conf_users every test starts from, listed (and
// inserted) in descending id order so that a database's natural order is not
// the key order.
//
//	id name  age nick
//	 6 frank  60 NULL
//	 5 erin   31 e
//	 4 dave   30 NULL
//	 3 carol  45 caz
//	 2 bob    35 NULL
//	 1 alice  25 al
func confPeople() []confUser {
	return []confUser{
		{ID: 6, Name: "frank", Age: 60},
		{ID: 5, Name: "erin", Age: 31, Nick: confStr("e")},
		{ID: 4, Name: "dave", Age: 30},
		{ID: 3, Name: "carol", Age: 45, Nick: confStr("caz")},
		{ID: 2, Name: "bob", Age: 35},
		{ID: 1, Name: "alice", Age: 25, Nick: confStr("al")},
	}
}

// confAllIDs are the ids of confPeople, ascending.
var confAllIDs = []int64{1, 2, 3, 4, 5, 6}

// confPlaceholder returns the bind-placeholder format of the test database.
func confPlaceholder(tdb *testDB) sq.PlaceholderFormat {
	if tdb.Dialect.Name() == "postgres" {
		return sq.Dollar
	}
	return sq.Question
}

// confInsert inserts rows into table with bound parameters, failing the test
// on error.
func confInsert(t *testing.T, tdb *testDB, table string, cols []string, rows ...[]any) {
	t.Helper()
	b := sq.Insert(table).Columns(cols...).PlaceholderFormat(confPlaceholder(tdb))
	for _, r := range rows {
		b = b.Values(r...)
	}
	query, args, err := b.ToSql()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tdb.DB.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %s: %v", tdb.Name, query, err)
	}
}

// confSeedUsers creates conf_users and fills it with confPeople.
func confSeedUsers(t *testing.T, tdb *testDB) {
	t.Helper()
	tdb.exec(t, confUsersDDL)
	var rows [][]any
	for _, u := range confPeople() {
		rows = append(rows, []any{u.ID, u.Name, u.Age, u.Nick})
	}
	confInsert(t, tdb, "conf_users", []string{"id", "name", "age", "nick"}, rows...)
}

// confSeedPairs creates conf_pairs with the keys (1,x) (1,y) (2,x) (2,y) (3,x).
func confSeedPairs(t *testing.T, tdb *testDB) {
	t.Helper()
	tdb.exec(t, confPairsDDL)
	confInsert(t, tdb, "conf_pairs", []string{"a", "b", "note"},
		[]any{2, "y", "2y"}, []any{1, "x", "1x"}, []any{3, "x", "3x"}, []any{2, "x", "2x"}, []any{1, "y", "1y"})
}

// confAllPairs are the keys of confSeedPairs, in key order.
var confAllPairs = []string{"1/x", "1/y", "2/x", "2/y", "3/x"}

// confPairKeys returns the keys left in conf_pairs as "a/b", in key order.
func confPairKeys(t *testing.T, tdb *testDB) []string {
	t.Helper()
	rows, err := tdb.DB.QueryContext(context.Background(), "SELECT a, b FROM conf_pairs ORDER BY a, b")
	if err != nil {
		t.Fatalf("%s: keys of conf_pairs: %v", tdb.Name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a int64
		var b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d/%s", a, b))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// confSeedNotes creates conf_notes: ids 1 and 3 have a NULL body.
func confSeedNotes(t *testing.T, tdb *testDB) {
	t.Helper()
	tdb.exec(t, confNotesDDL)
	confInsert(t, tdb, "conf_notes", []string{"id", "body"},
		[]any{4, "d"}, []any{3, nil}, []any{2, "b"}, []any{1, nil})
}

// confUsers returns objects of conf_users with the given ids. Only the key
// matters to Session.Delete.
func confUsers(ids ...int64) []*confUser {
	out := make([]*confUser, len(ids))
	for i, id := range ids {
		out[i] = &confUser{ID: id}
	}
	return out
}

// confIDsOf returns the ids of users, ascending.
func confIDsOf(users []*confUser) []int64 {
	out := make([]int64, 0, len(users))
	for _, u := range users {
		out = append(out, u.ID)
	}
	slices.Sort(out)
	return out
}

// confWantIDs fails the test unless table's ids are exactly want.
func confWantIDs(t *testing.T, tdb *testDB, table string, want []int64) {
	t.Helper()
	if got := tdb.ids(t, table); !slices.Equal(got, want) {
		t.Fatalf("%s: ids left in %s = %v, want %v", tdb.Name, table, got, want)
	}
}

// confWantPending fails the test unless the session has exactly the given
// pending work.
func confWantPending(t *testing.T, sess *typeddelete.Session, objects, bulk int) {
	t.Helper()
	if o, b := sess.Pending(); o != objects || b != bulk {
		t.Fatalf("Pending() = (%d, %d), want (%d, %d)", o, b, objects, bulk)
	}
}

// confWantErr fails the test unless err matches target with errors.Is.
func confWantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one that wraps %v", err, target)
	}
}

// confMissing returns the missing keys of r as "table:k1/k2" strings.
func confMissing(r typeddelete.CommitResult) []string {
	out := []string{}
	for _, mk := range r.Missing {
		parts := make([]string, len(mk.Key))
		for i, p := range mk.Key {
			parts[i] = fmt.Sprint(p)
		}
		out = append(out, mk.Table+":"+strings.Join(parts, "/"))
	}
	return out
}

// confMustDelete registers a bulk delete, failing the test on error.
func confMustDelete[T any](t *testing.T, q *typeddelete.TypedQuery[T]) *typeddelete.Deletion {
	t.Helper()
	d, err := q.Delete()
	if err != nil {
		t.Fatalf("Query.Delete: %v", err)
	}
	return d
}

// confMustObjects registers object deletes, failing the test on error.
func confMustObjects(t *testing.T, sess *typeddelete.Session, objs ...any) {
	t.Helper()
	if err := sess.Delete(objs...); err != nil {
		t.Fatalf("Session.Delete: %v", err)
	}
}

// confRecorder is a slog.Handler that records the SQL of every statement a
// session logs.
type confRecorder struct {
	mu    sync.Mutex
	stmts []string
}

func (r *confRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *confRecorder) Handle(_ context.Context, rec slog.Record) error {
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "sql" {
			r.mu.Lock()
			r.stmts = append(r.stmts, a.Value.String())
			r.mu.Unlock()
		}
		return true
	})
	return nil
}

func (r *confRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *confRecorder) WithGroup(string) slog.Handler      { return r }

func (r *confRecorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stmts)
}

// TestConformanceCommit checks that object and bulk deletes registered in a
// session delete exactly their rows at Commit, in registration order.
func TestConformanceCommit(t *testing.T) {
	tests := []struct {
		name        string
		register    func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion
		wantIDs     []int64
		wantRows    []int64 // RowsAffected of each returned Deletion
		wantDeleted int64
		wantMissing []string
	}{
		{
			name: "deleting the row First returned removes exactly that row",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				u, err := typeddelete.Query[confUser](sess).FilterBy("name", "carol").First(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				confMustObjects(t, sess, u)
				return nil
			},
			wantIDs:     []int64{1, 2, 4, 5, 6},
			wantDeleted: 1,
		},
		{
			name: "deleting a slice of objects removes each of them",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				confMustObjects(t, sess, confUsers(5, 1))
				return nil
			},
			wantIDs:     []int64{2, 3, 4, 6},
			wantDeleted: 2,
		},
		{
			name: "a bulk delete of ages over 30 removes exactly those rows and reports the count",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				return []*typeddelete.Deletion{confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(30)))}
			},
			wantIDs:     []int64{1, 4},
			wantRows:    []int64{4},
			wantDeleted: 4,
		},
		{
			name: "an object delete registered before a bulk delete is sent before it",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				confMustObjects(t, sess, confUsers(2)[0]) // age 35: the bulk delete would match it
				return []*typeddelete.Deletion{confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(30)))}
			},
			wantIDs:     []int64{1, 4},
			wantRows:    []int64{3},
			wantDeleted: 4,
		},
		{
			name: "an object delete registered after a bulk delete that removed its row is reported missing",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				d := confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(30)))
				confMustObjects(t, sess, confUsers(3)[0])
				return []*typeddelete.Deletion{d}
			},
			wantIDs:     []int64{1, 4},
			wantRows:    []int64{4},
			wantDeleted: 4,
			wantMissing: []string{"conf_users:3"},
		},
		{
			name: "object deletes before and after a bulk delete keep their order",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				confMustObjects(t, sess, confUsers(2, 1))
				d := confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(30)))
				confMustObjects(t, sess, confUsers(3)[0])
				return []*typeddelete.Deletion{d}
			},
			wantIDs:     []int64{4},
			wantRows:    []int64{3},
			wantDeleted: 5,
			wantMissing: []string{"conf_users:3"},
		},
		{
			name: "two bulk deletes run in order, the second seeing what the first left",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				q := typeddelete.Query[confUser](sess)
				return []*typeddelete.Deletion{
					confMustDelete(t, q.Filter(confUserAge.Ge(45))),
					confMustDelete(t, q.Filter(confUserAge.Ge(31))),
				}
			},
			wantIDs:     []int64{1, 4},
			wantRows:    []int64{2, 2},
			wantDeleted: 4,
		},
		{
			name: "a bulk delete with In and no values deletes nothing",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				return []*typeddelete.Deletion{confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserID.In()))}
			},
			wantIDs:  confAllIDs,
			wantRows: []int64{0},
		},
		{
			name: "a bulk delete with FilterBy and an empty slice deletes nothing",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				return []*typeddelete.Deletion{confMustDelete(t, typeddelete.Query[confUser](sess).FilterBy("id", []int64{}))}
			},
			wantIDs:  confAllIDs,
			wantRows: []int64{0},
		},
		{
			name: "AllRows with a real filter still deletes only the matching rows",
			register: func(t *testing.T, sess *typeddelete.Session) []*typeddelete.Deletion {
				return []*typeddelete.Deletion{confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserID.Le(2)).AllRows())}
			},
			wantIDs:     []int64{3, 4, 5, 6},
			wantRows:    []int64{2},
			wantDeleted: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				confSeedUsers(t, tdb)
				sess := tdb.session()
				ds := tt.register(t, sess)
				for i, d := range ds {
					if n, done := d.RowsAffected(); n != 0 || done {
						t.Fatalf("deletion %d before Commit: RowsAffected() = (%d, %v), want (0, false)", i, n, done)
					}
				}
				if err := sess.Commit(t.Context()); err != nil {
					t.Fatalf("Commit: %v", err)
				}
				confWantIDs(t, tdb, "conf_users", tt.wantIDs)
				for i, d := range ds {
					if n, done := d.RowsAffected(); n != tt.wantRows[i] || !done {
						t.Errorf("deletion %d: RowsAffected() = (%d, %v), want (%d, true)", i, n, done, tt.wantRows[i])
					}
					if d.Table() != "conf_users" {
						t.Errorf("deletion %d: Table() = %q, want conf_users", i, d.Table())
					}
				}
				last := sess.LastCommit()
				if got := last.Deleted["conf_users"]; got != tt.wantDeleted {
					t.Errorf("LastCommit().Deleted[conf_users] = %d, want %d", got, tt.wantDeleted)
				}
				if got, want := confMissing(last), append([]string{}, tt.wantMissing...); !slices.Equal(got, want) {
					t.Errorf("LastCommit().Missing = %v, want %v", got, want)
				}
				confWantPending(t, sess, 0, 0)
			})
		})
	}
}

// TestConformanceCommitTwoTables checks that one Commit deletes objects of
// several tables, each from its own table.
func TestConformanceCommitTwoTables(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		confSeedNotes(t, tdb)
		sess := tdb.session()
		confMustObjects(t, sess, &confUser{ID: 2}, &confNote{ID: 2}, &confUser{ID: 4}, &confNote{ID: 3})
		if err := sess.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		confWantIDs(t, tdb, "conf_users", []int64{1, 3, 5, 6})
		confWantIDs(t, tdb, "conf_notes", []int64{1, 4})
		last := sess.LastCommit()
		if want := map[string]int64{"conf_users": 2, "conf_notes": 2}; !reflect.DeepEqual(last.Deleted, want) {
			t.Fatalf("LastCommit().Deleted = %v, want %v", last.Deleted, want)
		}
	})
}

// TestConformanceNothingSentBeforeCommit checks that registering deletes
// changes nothing in the database until Commit.
func TestConformanceNothingSentBeforeCommit(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		rec := &confRecorder{}
		sess := tdb.session(typeddelete.WithLogger(slog.New(rec)))

		t.Run("registered deletes leave every row in place until Commit", func(t *testing.T) {
			confMustObjects(t, sess, confUsers(1, 2))
			d := confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(40)))
			confWantIDs(t, tdb, "conf_users", confAllIDs)
			if got := rec.sent(); len(got) != 0 {
				t.Fatalf("statements sent before Commit: %q", got)
			}
			confWantPending(t, sess, 2, 1)
			if n, done := d.RowsAffected(); n != 0 || done {
				t.Fatalf("RowsAffected() before Commit = (%d, %v), want (0, false)", n, done)
			}
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{4, 5})
		})

		t.Run("a Commit with nothing registered sends nothing, not even BEGIN", func(t *testing.T) {
			before := len(rec.sent())
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := rec.sent()[before:]; len(got) != 0 {
				t.Fatalf("statements sent: %q", got)
			}
			if last := sess.LastCommit(); last.Statements != 0 || len(last.Deleted) != 0 || len(last.Missing) != 0 {
				t.Fatalf("LastCommit() = %+v, want the zero result", last)
			}
		})

		t.Run("a Commit after a Delete of no objects sends nothing, not even BEGIN", func(t *testing.T) {
			before := len(rec.sent())
			confMustObjects(t, sess)
			confMustObjects(t, sess, []*confUser{})
			confWantPending(t, sess, 0, 0)
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := rec.sent()[before:]; len(got) != 0 {
				t.Fatalf("statements sent: %q", got)
			}
			confWantIDs(t, tdb, "conf_users", []int64{4, 5})
		})
	})
}

// TestConformanceCompositeKeys checks that object deletes of a composite-key
// model match whole keys and that duplicate registrations delete once.
func TestConformanceCompositeKeys(t *testing.T) {
	tests := []struct {
		name        string
		objs        []any
		wantKeys    []string
		wantDeleted int64
		wantMissing []string
	}{
		{
			name:        "deleting (1,x) and (2,y) leaves (1,y) and (2,x)",
			objs:        []any{&confPair{A: 1, B: "x"}, &confPair{A: 2, B: "y"}},
			wantKeys:    []string{"1/y", "2/x", "3/x"},
			wantDeleted: 2,
		},
		{
			name:        "deleting (2,x) and (1,y) leaves (1,x) and (2,y)",
			objs:        []any{&confPair{A: 2, B: "x"}, &confPair{A: 1, B: "y"}},
			wantKeys:    []string{"1/x", "2/y", "3/x"},
			wantDeleted: 2,
		},
		{
			name:        "a key whose parts exist only in other rows is missing and deletes nothing",
			objs:        []any{&confPair{A: 3, B: "y"}},
			wantKeys:    confAllPairs,
			wantMissing: []string{"conf_pairs:3/y"},
		},
		{
			name:        "the same key registered twice is deleted once and not reported missing",
			objs:        []any{&confPair{A: 1, B: "x"}, &confPair{A: 1, B: "x", Note: "copy"}, []*confPair{{A: 1, B: "x"}}},
			wantKeys:    []string{"1/y", "2/x", "2/y", "3/x"},
			wantDeleted: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				confSeedPairs(t, tdb)
				sess := tdb.session()
				confMustObjects(t, sess, tt.objs...)
				if err := sess.Commit(t.Context()); err != nil {
					t.Fatal(err)
				}
				if got := confPairKeys(t, tdb); !slices.Equal(got, tt.wantKeys) {
					t.Fatalf("keys left = %v, want %v", got, tt.wantKeys)
				}
				last := sess.LastCommit()
				if got := last.Deleted["conf_pairs"]; got != tt.wantDeleted {
					t.Errorf("LastCommit().Deleted[conf_pairs] = %d, want %d", got, tt.wantDeleted)
				}
				if got, want := confMissing(last), append([]string{}, tt.wantMissing...); !slices.Equal(got, want) {
					t.Errorf("LastCommit().Missing = %v, want %v", got, want)
				}
			})
		})
	}
}

// TestConformanceDuplicatesAcrossBulkDelete checks that an object registered
// both before and after a bulk delete is deleted once and not reported
// missing.
func TestConformanceDuplicatesAcrossBulkDelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		sess := tdb.session(typeddelete.WithStrictRowCounts())
		confMustObjects(t, sess, &confUser{ID: 1})
		d := confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(60)))
		confMustObjects(t, sess, &confUser{ID: 1, Name: "copy"})
		if err := sess.Commit(t.Context()); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		confWantIDs(t, tdb, "conf_users", []int64{2, 3, 4, 5})
		if n, _ := d.RowsAffected(); n != 1 {
			t.Fatalf("bulk RowsAffected = %d, want 1", n)
		}
		if got := confMissing(sess.LastCommit()); len(got) != 0 {
			t.Fatalf("LastCommit().Missing = %v, want none", got)
		}
	})
}

// confBulkInsert inserts rows 1..n into target ("table (columns)") in one
// transaction, 1000 rows per INSERT; row(i) gives the SQL literals of row i.
func confBulkInsert(t *testing.T, tdb *testDB, target string, n int, row func(i int) string) {
	t.Helper()
	ctx := t.Context()
	tx, err := tdb.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var b strings.Builder
	for lo := 1; lo <= n; lo += 1000 {
		b.Reset()
		b.WriteString("INSERT INTO " + target + " VALUES ")
		for i := lo; i < lo+1000 && i <= n; i++ {
			if i > lo {
				b.WriteByte(',')
			}
			b.WriteString("(" + row(i) + ")")
		}
		if _, err := tx.ExecContext(ctx, b.String()); err != nil {
			t.Fatalf("%s: insert into %s: %v", tdb.Name, target, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// confBigRow is the row literal of conf_big for confBulkInsert.
func confBigRow(i int) string { return strconv.Itoa(i) }

// TestConformanceLargeCommit checks that a Commit of 100,000 objects, more
// keys than any database takes bind parameters in one statement, deletes
// them all. Every database takes 100,000: the servers need well under a
// second here, the pure-Go SQLite a few seconds under -race.
func TestConformanceLargeCommit(t *testing.T) {
	tests := []struct {
		name string
		opts []typeddelete.Option
		rows int     // 100,000 when zero
		gone []int64 // rows removed behind the session's back before Commit
	}{
		{name: "100,000 objects are deleted with the default batch size"},
		{
			name: "100,000 objects are deleted when the batch size is above the bind-parameter limit",
			opts: []typeddelete.Option{typeddelete.WithBatchSize(1_000_000)},
		},
		{
			name: "70,000 objects of which 3 are already gone delete the rest and report exactly those 3",
			rows: 70_000, // enough to pass the 65,535 bind-parameter limit, cheaper to rerun precisely
			gone: []int64{1, 65_536, 70_000},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDBLarge(t, func(t *testing.T, tdb *testDB) {
				n := cmp.Or(tt.rows, 100_000)
				tdb.exec(t, confBigDDL)
				confBulkInsert(t, tdb, "conf_big (id)", n, confBigRow)
				objs := make([]*confBig, n)
				for i := range objs {
					objs[i] = &confBig{ID: int64(n - i)} // registered in descending order
				}
				sess := tdb.session(tt.opts...)
				confMustObjects(t, sess, objs)
				var wantMissing []string
				for _, id := range tt.gone {
					tdb.exec(t, "DELETE FROM conf_big WHERE id = "+strconv.FormatInt(id, 10))
					wantMissing = append(wantMissing, "conf_big:"+strconv.FormatInt(id, 10))
				}
				start := time.Now()
				if err := sess.Commit(t.Context()); err != nil {
					t.Fatalf("Commit: %v", err)
				}
				t.Logf("%s: committed %d deletes in %v", tdb.Name, n, time.Since(start))
				if got := tdb.count(t, "conf_big"); got != 0 {
					t.Fatalf("%d rows left, want 0", got)
				}
				last := sess.LastCommit()
				if got, want := last.Deleted["conf_big"], int64(n-len(tt.gone)); got != want {
					t.Fatalf("LastCommit().Deleted[conf_big] = %d, want %d", got, want)
				}
				if got := confMissing(last); !slices.Equal(got, append([]string{}, wantMissing...)) {
					t.Fatalf("LastCommit().Missing = %v, want %v", got, wantMissing)
				}
			})
		})
	}

	t.Run("composite keys with more key values than the bind-parameter limit are deleted at any batch size", func(t *testing.T) {
		forEachDBLarge(t, func(t *testing.T, tdb *testDB) {
			// 40,000 keys are 80,000 values, above the servers' 65,535
			// parameters; SQLite allows 32,766, so 20,000 keys (40,000
			// values) are enough there and keep the pure-Go driver fast.
			pairs := 40_000
			if strings.HasPrefix(tdb.Name, "sqlite") {
				pairs = 20_000
			}
			tdb.exec(t, confPairsDDL)
			for _, opts := range [][]typeddelete.Option{nil, {typeddelete.WithBatchSize(1_000_000)}} {
				confBulkInsert(t, tdb, "conf_pairs (a, b, note)", pairs, func(i int) string {
					return fmt.Sprintf("%d, '%c', ''", (i+1)/2, "xy"[i%2])
				})
				objs := make([]*confPair, 0, pairs)
				for a := int64(1); a <= int64(pairs/2); a++ {
					objs = append(objs, &confPair{A: a, B: "y"}, &confPair{A: a, B: "x"})
				}
				sess := tdb.session(opts...)
				confMustObjects(t, sess, objs)
				start := time.Now()
				if err := sess.Commit(t.Context()); err != nil {
					t.Fatalf("Commit: %v", err)
				}
				t.Logf("%s: committed %d composite deletes in %v", tdb.Name, pairs, time.Since(start))
				if got := tdb.count(t, "conf_pairs"); got != 0 {
					t.Fatalf("%d rows left, want 0", got)
				}
				if last := sess.LastCommit(); last.Deleted["conf_pairs"] != int64(pairs) || len(last.Missing) != 0 {
					t.Fatalf("LastCommit() deleted %d with %d missing, want %d and none", last.Deleted["conf_pairs"], len(last.Missing), pairs)
				}
			}
		})
	})
}

// TestConformanceMissingKeys checks what a Commit does with objects whose
// rows are already gone: report them, or with strict row counts fail and
// change nothing.
func TestConformanceMissingKeys(t *testing.T) {
	// Rows 1..6 exist; 4 is removed behind the session's back, 7 and 8 never
	// existed. The session deletes 2, 3, 4, 7 and 8.
	setup := func(t *testing.T, tdb *testDB, opts ...typeddelete.Option) *typeddelete.Session {
		t.Helper()
		confSeedUsers(t, tdb)
		sess := tdb.session(opts...)
		confMustObjects(t, sess, confUsers(8, 2, 4, 7, 3))
		tdb.exec(t, "DELETE FROM conf_users WHERE id = 4")
		return sess
	}

	t.Run("missing keys are reported and the others deleted", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			sess := setup(t, tdb)
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{1, 5, 6})
			last := sess.LastCommit()
			if want := []string{"conf_users:4", "conf_users:7", "conf_users:8"}; !slices.Equal(confMissing(last), want) {
				t.Fatalf("LastCommit().Missing = %v, want %v", confMissing(last), want)
			}
			if last.Deleted["conf_users"] != 2 {
				t.Fatalf("LastCommit().Deleted[conf_users] = %d, want 2", last.Deleted["conf_users"])
			}
			for _, mk := range last.Missing {
				if len(mk.Key) != 1 || reflect.TypeOf(mk.Key[0]) != reflect.TypeFor[int64]() {
					t.Fatalf("missing key %#v: want one int64 part", mk.Key)
				}
			}
			confWantPending(t, sess, 0, 0)
		})
	})

	t.Run("with strict row counts the Commit fails, changes nothing and keeps the work pending", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			sess := setup(t, tdb, typeddelete.WithStrictRowCounts())
			d := confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(60)))
			before := sess.LastCommit()
			err := sess.Commit(t.Context())
			confWantErr(t, err, typeddelete.ErrStaleData)
			var stale *typeddelete.StaleDataError
			if !errors.As(err, &stale) {
				t.Fatalf("error %v is not a *StaleDataError", err)
			}
			if want := [][]any{{int64(4)}, {int64(7)}, {int64(8)}}; stale.Table != "conf_users" || !reflect.DeepEqual(stale.Keys, want) {
				t.Fatalf("StaleDataError = {%q, %#v}, want {conf_users, %#v}", stale.Table, stale.Keys, want)
			}
			confWantIDs(t, tdb, "conf_users", []int64{1, 2, 3, 5, 6})
			confWantPending(t, sess, 5, 1)
			if n, done := d.RowsAffected(); n != 0 || done {
				t.Fatalf("bulk RowsAffected() after the failed Commit = (%d, %v), want (0, false)", n, done)
			}
			if after := sess.LastCommit(); !reflect.DeepEqual(after, before) {
				t.Fatalf("LastCommit() changed by a failed Commit: %+v, was %+v", after, before)
			}

			if err := sess.Rollback(context.Background()); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			confWantPending(t, sess, 0, 0)
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("Commit after Rollback: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{1, 2, 3, 5, 6})
		})
	})

	t.Run("with strict row counts a missing composite key is named with all its parts", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			confSeedPairs(t, tdb)
			sess := tdb.session(typeddelete.WithStrictRowCounts())
			confMustObjects(t, sess, &confPair{A: 1, B: "x"}, &confPair{A: 3, B: "y"})
			err := sess.Commit(t.Context())
			var stale *typeddelete.StaleDataError
			if !errors.As(err, &stale) || !errors.Is(err, typeddelete.ErrStaleData) {
				t.Fatalf("Commit error = %v, want a *StaleDataError", err)
			}
			if want := [][]any{{int64(3), "y"}}; stale.Table != "conf_pairs" || !reflect.DeepEqual(stale.Keys, want) {
				t.Fatalf("StaleDataError = {%q, %#v}, want {conf_pairs, %#v}", stale.Table, stale.Keys, want)
			}
			if got := confPairKeys(t, tdb); !slices.Equal(got, confAllPairs) {
				t.Fatalf("keys left = %v, want %v", got, confAllPairs)
			}
			confWantPending(t, sess, 2, 0)
		})
	})
}

// TestConformanceFailureRollsBack checks that a Commit that fails part way
// leaves the database exactly as it was and keeps the work pending.
func TestConformanceFailureRollsBack(t *testing.T) {
	badColumn := typeddelete.Raw[confUser](sq.Expr("no_such_column = ?", 1))
	tests := []struct {
		name        string
		register    func(t *testing.T, sess *typeddelete.Session)
		wantObjects int
		wantBulk    int
	}{
		{
			name: "a valid object delete followed by a failing bulk delete is undone",
			register: func(t *testing.T, sess *typeddelete.Session) {
				confMustObjects(t, sess, confUsers(1, 2))
				confMustDelete(t, typeddelete.Query[confUser](sess).Filter(badColumn))
			},
			wantObjects: 2,
			wantBulk:    1,
		},
		{
			name: "a valid bulk delete followed by a failing bulk delete and an object delete is undone",
			register: func(t *testing.T, sess *typeddelete.Session) {
				confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(30)))
				confMustDelete(t, typeddelete.Query[confUser](sess).Filter(badColumn))
				confMustObjects(t, sess, confUsers(1)[0])
			},
			wantObjects: 1,
			wantBulk:    2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				confSeedUsers(t, tdb)
				sess := tdb.session()
				tt.register(t, sess)
				if err := sess.Commit(t.Context()); err == nil {
					t.Fatal("Commit succeeded with a bulk delete on a column that does not exist")
				}
				confWantIDs(t, tdb, "conf_users", confAllIDs)
				confWantPending(t, sess, tt.wantObjects, tt.wantBulk)
				if err := sess.Rollback(context.Background()); err != nil {
					t.Fatal(err)
				}
				confWantPending(t, sess, 0, 0)
				confWantIDs(t, tdb, "conf_users", confAllIDs)
			})
		})
	}

	t.Run("a failure after a Flush undoes the flushed work too", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			confSeedUsers(t, tdb)
			sess := tdb.session()
			confMustObjects(t, sess, confUsers(1)[0])
			if err := sess.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			confMustDelete(t, typeddelete.Query[confUser](sess).Filter(badColumn))
			if err := sess.Commit(t.Context()); err == nil {
				t.Fatal("Commit succeeded with a bulk delete on a column that does not exist")
			}
			confWantIDs(t, tdb, "conf_users", confAllIDs)
			confWantPending(t, sess, 1, 1)
			if n, err := typeddelete.Query[confUser](sess).Count(t.Context()); err != nil || n != 6 {
				t.Fatalf("Count through the session = %d, %v; want 6", n, err)
			}
		})
	})

	t.Run("a cancelled context fails the Commit, changes nothing, and the work can be retried", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			confSeedUsers(t, tdb)
			sess := tdb.session()
			confMustObjects(t, sess, confUsers(1, 2))
			confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(60)))
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			confWantErr(t, sess.Commit(ctx), context.Canceled)
			confWantIDs(t, tdb, "conf_users", confAllIDs)
			confWantPending(t, sess, 2, 1)
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("retried Commit: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{3, 4, 5})
		})
	})

	t.Run("a context cancelled after a Flush fails the Commit and undoes the flush", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			confSeedUsers(t, tdb)
			sess := tdb.session()
			confMustObjects(t, sess, confUsers(1, 2))
			if err := sess.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			confMustObjects(t, sess, confUsers(3)[0])
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			confWantErr(t, sess.Commit(ctx), context.Canceled)
			confWantIDs(t, tdb, "conf_users", confAllIDs)
			confWantPending(t, sess, 3, 0)
		})
	})
}

// TestConformanceFlush checks that Flush sends the work without committing:
// reads through the session see it, Rollback undoes it, Commit keeps it.
func TestConformanceFlush(t *testing.T) {
	flush := func(t *testing.T, tdb *testDB) (*typeddelete.Session, *typeddelete.Deletion) {
		t.Helper()
		confSeedUsers(t, tdb)
		sess := tdb.session()
		confMustObjects(t, sess, confUsers(1)[0])
		d := confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(45)))
		if err := sess.Flush(t.Context()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		confWantPending(t, sess, 0, 0)
		if n, done := d.RowsAffected(); n != 2 || !done {
			t.Fatalf("RowsAffected() after Flush = (%d, %v), want (2, true)", n, done)
		}
		return sess, d
	}

	t.Run("reads through the session see flushed deletes", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			sess, _ := flush(t, tdb)
			n, err := typeddelete.Query[confUser](sess).Count(t.Context())
			if err != nil || n != 3 {
				t.Fatalf("Count = %d, %v; want 3", n, err)
			}
			all, err := typeddelete.Query[confUser](sess).All(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := confIDsOf(all), []int64{2, 4, 5}; !slices.Equal(got, want) {
				t.Fatalf("All through the session = %v, want %v", got, want)
			}
			if _, err := typeddelete.Query[confUser](sess).Get(t.Context(), 1); !errors.Is(err, typeddelete.ErrNotFound) {
				t.Fatalf("Get(1) after Flush = %v, want ErrNotFound", err)
			}
			// Other connections do not see uncommitted work.
			confWantIDs(t, tdb, "conf_users", confAllIDs)
			if err := sess.Rollback(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	})

	t.Run("Rollback after Flush restores the rows", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			sess, d := flush(t, tdb)
			if err := sess.Rollback(context.Background()); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", confAllIDs)
			if n, err := typeddelete.Query[confUser](sess).Count(t.Context()); err != nil || n != 6 {
				t.Fatalf("Count through the session after Rollback = %d, %v; want 6", n, err)
			}
			if n, done := d.RowsAffected(); n != 0 || done {
				t.Fatalf("RowsAffected() after Rollback = (%d, %v), want (0, false)", n, done)
			}
			confWantPending(t, sess, 0, 0)
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", confAllIDs)
		})
	})

	t.Run("Commit after Flush makes the flushed and later work permanent", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			sess, d := flush(t, tdb)
			confMustObjects(t, sess, confUsers(2)[0])
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{4, 5})
			if n, done := d.RowsAffected(); n != 2 || !done {
				t.Fatalf("RowsAffected() after Commit = (%d, %v), want (2, true)", n, done)
			}
			if got := sess.LastCommit().Deleted["conf_users"]; got != 4 {
				t.Fatalf("LastCommit().Deleted[conf_users] = %d, want 4 (flushed and committed)", got)
			}
		})
	})

	t.Run("a key missing after a Flush is reported once by Commit", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			confSeedUsers(t, tdb)
			sess := tdb.session()
			confMustObjects(t, sess, confUsers(1, 9))
			if err := sess.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			confMustObjects(t, sess, confUsers(2, 10))
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{3, 4, 5, 6})
			last := sess.LastCommit()
			if want := []string{"conf_users:9", "conf_users:10"}; !slices.Equal(confMissing(last), want) {
				t.Fatalf("LastCommit().Missing = %v, want %v", confMissing(last), want)
			}
			if last.Deleted["conf_users"] != 2 {
				t.Fatalf("LastCommit().Deleted[conf_users] = %d, want 2", last.Deleted["conf_users"])
			}
		})
	})
}

// TestConformanceReads checks the rows that All and Count return for each
// kind of filter.
func TestConformanceReads(t *testing.T) {
	type query = *typeddelete.TypedQuery[confUser]
	tests := []struct {
		name  string
		query func(q query) query
		want  []int64
	}{
		{"no filter returns every row", func(q query) query { return q }, confAllIDs},
		{"FilterBy with a value returns the equal rows", func(q query) query { return q.FilterBy("name", "dave") }, []int64{4}},
		{"FilterBy with a slice returns the rows in it", func(q query) query { return q.FilterBy("id", []int64{2, 4, 9}) }, []int64{2, 4}},
		{"FilterBy with an empty slice returns no row", func(q query) query { return q.FilterBy("id", []int64{}) }, nil},
		{"FilterBy with a slice on a *string column returns the rows in it", func(q query) query { return q.FilterBy("nick", []string{"al", "e", "zz"}) }, []int64{1, 5}},
		{"FilterBy with nil on a *string column returns the NULL rows", func(q query) query { return q.FilterBy("nick", nil) }, []int64{2, 4, 6}},
		{"Eq with a nil pointer returns the NULL rows", func(q query) query { return q.Filter(confUserNick.Eq(nil)) }, []int64{2, 4, 6}},
		{"Ne with a nil pointer returns the non-NULL rows", func(q query) query { return q.Filter(confUserNick.Ne(nil)) }, []int64{1, 3, 5}},
		{"IsNull returns the NULL rows", func(q query) query { return q.Filter(confUserNick.IsNull()) }, []int64{2, 4, 6}},
		{"NotNull returns the non-NULL rows", func(q query) query { return q.Filter(confUserNick.NotNull()) }, []int64{1, 3, 5}},
		{"Eq with a pointer to a value returns the equal rows", func(q query) query { return q.Filter(confUserNick.Eq(confStr("caz"))) }, []int64{3}},
		{"In with values returns the rows in them", func(q query) query { return q.Filter(confUserID.In(6, 1, 42)) }, []int64{1, 6}},
		{"In with no values returns no row", func(q query) query { return q.Filter(confUserID.In()) }, nil},
		{"NotIn with values returns the other rows", func(q query) query { return q.Filter(confUserID.NotIn(1, 2)) }, []int64{3, 4, 5, 6}},
		{"NotIn with no values returns every row", func(q query) query { return q.Filter(confUserID.NotIn()) }, confAllIDs},
		{"Gt returns the greater rows", func(q query) query { return q.Filter(confUserAge.Gt(31)) }, []int64{2, 3, 6}},
		{"Ge returns the greater or equal rows", func(q query) query { return q.Filter(confUserAge.Ge(31)) }, []int64{2, 3, 5, 6}},
		{"Lt returns the smaller rows", func(q query) query { return q.Filter(confUserAge.Lt(30)) }, []int64{1}},
		{"Le returns the smaller or equal rows", func(q query) query { return q.Filter(confUserAge.Le(30)) }, []int64{1, 4}},
		{"Ne returns the different rows", func(q query) query { return q.Filter(confUserName.Ne("bob")) }, []int64{1, 3, 4, 5, 6}},
		{"Like returns the rows matching the pattern", func(q query) query { return q.Filter(typeddelete.Like(confUserName, "%a%")) }, []int64{1, 3, 4, 6}},
		{"Like with a prefix returns the rows starting with it", func(q query) query { return q.Filter(typeddelete.Like(confUserName, "c%")) }, []int64{3}},
		{"Between is inclusive at both ends", func(q query) query { return q.Filter(confUserAge.Between(30, 45)) }, []int64{2, 3, 4, 5}},
		{"Between on strings compares them in order", func(q query) query { return q.Filter(confUserName.Between("bob", "dave")) }, []int64{2, 3, 4}},
		{"several Filter calls must all match", func(q query) query {
			return q.Filter(confUserAge.Gt(30)).Filter(typeddelete.Like(confUserName, "%r%"))
		}, []int64{3, 5, 6}},
		{"And matches rows that match every predicate", func(q query) query {
			return q.Filter(typeddelete.And(confUserAge.Gt(30), confUserNick.NotNull()))
		}, []int64{3, 5}},
		{"Or matches rows that match any predicate", func(q query) query {
			return q.Filter(typeddelete.Or(confUserAge.Lt(26), confUserName.Eq("frank")))
		}, []int64{1, 6}},
		{"Not matches the rows its predicate does not", func(q query) query { return q.Filter(typeddelete.Not(confUserAge.Gt(30))) }, []int64{1, 4}},
		{"Not of an Or of an And nests correctly", func(q query) query {
			return q.Filter(typeddelete.Not(typeddelete.Or(confUserID.In(1, 2), typeddelete.And(confUserAge.Ge(40), confUserNick.NotNull()))))
		}, []int64{4, 5, 6}},
		{"an Or of Ands nests correctly", func(q query) query {
			return q.Filter(typeddelete.Or(
				typeddelete.And(confUserAge.Gt(30), confUserNick.IsNull()),
				typeddelete.And(confUserAge.Lt(30), confUserNick.NotNull()),
			))
		}, []int64{1, 2, 6}},
		{"Or with no predicates matches no row", func(q query) query { return q.Filter(typeddelete.Or[confUser]()) }, nil},
		{"And with no predicates matches every row", func(q query) query { return q.Filter(typeddelete.And[confUser]()) }, confAllIDs},
		{"Or with In and no values keeps the other branch", func(q query) query {
			return q.Filter(typeddelete.Or(confUserID.In(), confUserID.Eq(3)))
		}, []int64{3}},
		{"Not of In with no values matches every row", func(q query) query { return q.Filter(typeddelete.Not(confUserID.In())) }, confAllIDs},
		{"Not of NotIn with no values matches no row", func(q query) query { return q.Filter(typeddelete.Not(confUserID.NotIn())) }, nil},
		{"Raw sends its SQL with bound arguments", func(q query) query {
			return q.Filter(typeddelete.Raw[confUser](sq.Expr("age + ? > ?", 10, 50)))
		}, []int64{3, 6}},
	}
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		sess := tdb.session()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.query(typeddelete.Query[confUser](sess))
				all, err := q.All(t.Context())
				if err != nil {
					t.Fatalf("All: %v", err)
				}
				if got := confIDsOf(all); !slices.Equal(got, append([]int64{}, tt.want...)) {
					t.Fatalf("All returned ids %v, want %v", got, tt.want)
				}
				n, err := q.Count(t.Context())
				if err != nil {
					t.Fatalf("Count: %v", err)
				}
				if n != int64(len(tt.want)) {
					t.Fatalf("Count = %d, want %d", n, len(tt.want))
				}
			})
		}
		t.Run("All returns every column of each row", func(t *testing.T) {
			all, err := typeddelete.Query[confUser](sess).All(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(all, func(a, b *confUser) int { return int(a.ID - b.ID) })
			want := confPeople()
			slices.Reverse(want)
			for i, u := range all {
				if !reflect.DeepEqual(*u, want[i]) {
					t.Fatalf("row %d = %+v, want %+v", i, *u, want[i])
				}
			}
			if len(all) != len(want) {
				t.Fatalf("All returned %d rows, want %d", len(all), len(want))
			}
		})
		t.Run("queries that share a prefix do not affect each other", func(t *testing.T) {
			base := typeddelete.Query[confUser](sess).Filter(confUserAge.Gt(30))
			a := base.Filter(confUserNick.IsNull())
			b := base.Filter(confUserNick.NotNull())
			for _, c := range []struct {
				q    query
				want []int64
			}{{base, []int64{2, 3, 5, 6}}, {a, []int64{2, 6}}, {b, []int64{3, 5}}} {
				all, err := c.q.All(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if got := confIDsOf(all); !slices.Equal(got, c.want) {
					t.Fatalf("ids = %v, want %v", got, c.want)
				}
			}
		})
		// Reads never change the database.
		confWantIDs(t, tdb, "conf_users", confAllIDs)
	})
}

// TestConformanceFirstAndGet checks First and Get: the lowest key, the row
// of a key, and ErrNotFound or ErrInvalidValue otherwise.
func TestConformanceFirstAndGet(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		confSeedPairs(t, tdb)
		sess := tdb.session()
		users := typeddelete.Query[confUser](sess)
		pairs := typeddelete.Query[confPair](sess)

		firstTests := []struct {
			name string
			q    *typeddelete.TypedQuery[confUser]
			want int64
		}{
			{"First with no filter returns the lowest key", users, 1},
			{"First returns the matching row with the lowest key", users.Filter(confUserAge.Gt(30)), 2},
			{"First with a filter matching one row returns it", users.FilterBy("name", "erin"), 5},
		}
		for _, tt := range firstTests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := tt.q.First(t.Context())
				if err != nil {
					t.Fatalf("First: %v", err)
				}
				if u.ID != tt.want {
					t.Fatalf("First returned id %d, want %d", u.ID, tt.want)
				}
			})
		}

		t.Run("First on a composite key orders by every key column", func(t *testing.T) {
			p, err := pairs.FilterBy("a", 2).First(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if p.A != 2 || p.B != "x" || p.Note != "2x" {
				t.Fatalf("First = %+v, want (2, x, 2x)", *p)
			}
		})

		t.Run("Get with a single key returns its row", func(t *testing.T) {
			u, err := users.Get(t.Context(), 3)
			if err != nil {
				t.Fatal(err)
			}
			if want := (confUser{ID: 3, Name: "carol", Age: 45, Nick: confStr("caz")}); !reflect.DeepEqual(*u, want) {
				t.Fatalf("Get(3) = %+v, want %+v", *u, want)
			}
		})

		t.Run("Get with a composite key returns its row", func(t *testing.T) {
			p, err := pairs.Get(t.Context(), int64(1), "y")
			if err != nil {
				t.Fatal(err)
			}
			if want := (confPair{A: 1, B: "y", Note: "1y"}); *p != want {
				t.Fatalf("Get(1, y) = %+v, want %+v", *p, want)
			}
		})

		errTests := []struct {
			name string
			run  func(ctx context.Context) error
			want error
		}{
			{"First with no matching row fails with ErrNotFound", func(ctx context.Context) error {
				_, err := users.Filter(confUserAge.Gt(100)).First(ctx)
				return err
			}, typeddelete.ErrNotFound},
			{"Get of an absent key fails with ErrNotFound", func(ctx context.Context) error {
				_, err := users.Get(ctx, 99)
				return err
			}, typeddelete.ErrNotFound},
			{"Get of a key whose row the filter excludes fails with ErrNotFound", func(ctx context.Context) error {
				_, err := users.Filter(confUserAge.Lt(30)).Get(ctx, 3)
				return err
			}, typeddelete.ErrNotFound},
			{"Get of an absent composite key fails with ErrNotFound", func(ctx context.Context) error {
				_, err := pairs.Get(ctx, 3, "y")
				return err
			}, typeddelete.ErrNotFound},
			{"Get with no key values fails with ErrInvalidValue", func(ctx context.Context) error {
				_, err := users.Get(ctx)
				return err
			}, typeddelete.ErrInvalidValue},
			{"Get with two values for a one-column key fails with ErrInvalidValue", func(ctx context.Context) error {
				_, err := users.Get(ctx, 1, 2)
				return err
			}, typeddelete.ErrInvalidValue},
			{"Get with one value for a composite key fails with ErrInvalidValue", func(ctx context.Context) error {
				_, err := pairs.Get(ctx, 1)
				return err
			}, typeddelete.ErrInvalidValue},
			{"Get with a nil key value fails with ErrInvalidValue", func(ctx context.Context) error {
				_, err := users.Get(ctx, nil)
				return err
			}, typeddelete.ErrInvalidValue},
			{"Get with a string for a number key fails with ErrInvalidValue", func(ctx context.Context) error {
				_, err := users.Get(ctx, "1")
				return err
			}, typeddelete.ErrInvalidValue},
		}
		for _, tt := range errTests {
			t.Run(tt.name, func(t *testing.T) {
				confWantErr(t, tt.run(t.Context()), tt.want)
			})
		}
	})
}

// TestConformanceNullStringColumn checks FilterBy on a nullable column
// mapped as sql.NullString.
func TestConformanceNullStringColumn(t *testing.T) {
	type query = *typeddelete.TypedQuery[confNote]
	tests := []struct {
		name  string
		query func(q query) query
		want  []int64
	}{
		{"FilterBy with nil returns the NULL rows", func(q query) query { return q.FilterBy("body", nil) }, []int64{1, 3}},
		{"FilterBy with a string returns the equal rows", func(q query) query { return q.FilterBy("body", "b") }, []int64{2}},
		{"FilterBy with a valid NullString returns the equal rows", func(q query) query {
			return q.FilterBy("body", sql.NullString{String: "d", Valid: true})
		}, []int64{4}},
		{"FilterBy with a slice of strings returns the rows in it", func(q query) query { return q.FilterBy("body", []string{"b", "d", "z"}) }, []int64{2, 4}},
	}
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedNotes(t, tdb)
		sess := tdb.session()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				notes, err := tt.query(typeddelete.Query[confNote](sess)).All(t.Context())
				if err != nil {
					t.Fatalf("All: %v", err)
				}
				var got []int64
				for _, n := range notes {
					got = append(got, n.ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("ids = %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("a bulk delete by FilterBy with nil removes exactly the NULL rows", func(t *testing.T) {
			d := confMustDelete(t, typeddelete.Query[confNote](sess).FilterBy("body", nil))
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_notes", []int64{2, 4})
			if n, _ := d.RowsAffected(); n != 2 {
				t.Fatalf("RowsAffected = %d, want 2", n)
			}
		})
	})
}

// TestConformanceBadInput checks that invalid deletes and queries fail with
// the right sentinel, register nothing and leave the database untouched.
func TestConformanceBadInput(t *testing.T) {
	var zeroCol typeddelete.Column[confUser, int]
	notAField := typeddelete.Col(func(u *confUser) *int { return new(int) })
	tests := []struct {
		name string
		run  func(ctx context.Context, sess *typeddelete.Session) error
		want error
	}{
		{"a bulk delete with no filter fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete filtered by NotIn with no values fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(confUserID.NotIn()).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete filtered by an empty And fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.And[confUser]()).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete filtered by Not of an empty Or fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Not(typeddelete.Or[confUser]())).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete filtered by Or with an always-true branch fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Or(confUserID.Eq(1), confUserID.NotIn())).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete filtered by a Raw empty squirrel.Eq fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Raw[confUser](sq.Eq{})).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete filtered by Raw 1 = 1 fails with ErrMissingWhere", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Raw[confUser](sq.Expr(" ( 1 = 1 ) "))).Delete()
			return err
		}, typeddelete.ErrMissingWhere},
		{"a bulk delete by an unknown column fails with ErrUnknownColumn", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).FilterBy("no_such_column", 1).Delete()
			return err
		}, typeddelete.ErrUnknownColumn},
		{"a read by an unknown column fails with ErrUnknownColumn", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).FilterBy("no_such_column", 1).All(ctx)
			return err
		}, typeddelete.ErrUnknownColumn},
		{"a bulk delete by a value of the wrong type fails with ErrInvalidValue", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).FilterBy("age", "old").Delete()
			return err
		}, typeddelete.ErrInvalidValue},
		{"a bulk delete with the zero Predicate fails with ErrInvalidPredicate", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Predicate[confUser]{}).Delete()
			return err
		}, typeddelete.ErrInvalidPredicate},
		{"a bulk delete with Raw(nil) fails with ErrInvalidPredicate", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Raw[confUser](nil)).Delete()
			return err
		}, typeddelete.ErrInvalidPredicate},
		{"a bulk delete with a Raw expression that renders to nothing fails with ErrInvalidPredicate", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Raw[confUser](sq.Expr("  "))).Delete()
			return err
		}, typeddelete.ErrInvalidPredicate},
		{"a bulk delete on the zero Column fails with ErrInvalidPredicate", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(zeroCol.Eq(1)).Delete()
			return err
		}, typeddelete.ErrInvalidPredicate},
		{"a bulk delete on a Column whose accessor returns no field fails with ErrInvalidPredicate", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(notAField.Eq(1)).Delete()
			return err
		}, typeddelete.ErrInvalidPredicate},
		{"a bulk delete with an invalid predicate inside Or fails with ErrInvalidPredicate", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confUser](sess).Filter(typeddelete.Or(confUserID.Eq(1), zeroCol.Gt(3))).Delete()
			return err
		}, typeddelete.ErrInvalidPredicate},
		{"a bulk delete of a model without a key fails with ErrInvalidModel", func(ctx context.Context, sess *typeddelete.Session) error {
			_, err := typeddelete.Query[confNoKey](sess).FilterBy("name", "x").Delete()
			return err
		}, typeddelete.ErrInvalidModel},
		{"deleting nil fails with ErrInvalidModel", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete(nil)
		}, typeddelete.ErrInvalidModel},
		{"deleting a nil pointer fails with ErrInvalidModel", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete((*confUser)(nil))
		}, typeddelete.ErrInvalidModel},
		{"deleting a struct value fails with ErrInvalidModel", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete(confUser{ID: 1})
		}, typeddelete.ErrInvalidModel},
		{"deleting a pointer to a non-struct fails with ErrInvalidModel", func(ctx context.Context, sess *typeddelete.Session) error {
			id := int64(1)
			return sess.Delete(&id)
		}, typeddelete.ErrInvalidModel},
		{"deleting a model without a key fails with ErrInvalidModel", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete(&confNoKey{Name: "x"})
		}, typeddelete.ErrInvalidModel},
		{"deleting an object with a zero key fails with ErrNotPersisted", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete(&confUser{Name: "alice"})
		}, typeddelete.ErrNotPersisted},
		{"deleting an object with a zero part of a composite key fails with ErrNotPersisted", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete(&confPair{A: 1})
		}, typeddelete.ErrNotPersisted},
		{"deleting valid objects with one unsaved among them registers none of them", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete(&confUser{ID: 1}, &confUser{ID: 2}, &confUser{})
		}, typeddelete.ErrNotPersisted},
		{"deleting a slice with one unsaved object registers none of it", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete([]*confUser{{ID: 1}, {}, {ID: 3}})
		}, typeddelete.ErrNotPersisted},
		{"deleting a slice with a nil element registers none of it", func(ctx context.Context, sess *typeddelete.Session) error {
			return sess.Delete([]*confUser{{ID: 1}, nil})
		}, typeddelete.ErrInvalidModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				confSeedUsers(t, tdb)
				confSeedPairs(t, tdb)
				rec := &confRecorder{}
				sess := tdb.session(typeddelete.WithLogger(slog.New(rec)))
				confWantErr(t, tt.run(t.Context(), sess), tt.want)
				confWantPending(t, sess, 0, 0)
				if err := sess.Commit(t.Context()); err != nil {
					t.Fatalf("Commit: %v", err)
				}
				if got := rec.sent(); len(got) != 0 {
					t.Fatalf("statements sent: %q", got)
				}
				confWantIDs(t, tdb, "conf_users", confAllIDs)
				if got := confPairKeys(t, tdb); !slices.Equal(got, confAllPairs) {
					t.Fatalf("keys left in conf_pairs = %v, want %v", got, confAllPairs)
				}
			})
		})
	}
}

// TestConformanceAllRows checks that AllRows lets a bulk delete without a
// real filter delete every row.
func TestConformanceAllRows(t *testing.T) {
	type query = *typeddelete.TypedQuery[confUser]
	tests := []struct {
		name  string
		query func(q query) query
	}{
		{"AllRows with no filter deletes every row", func(q query) query { return q.AllRows() }},
		{"AllRows with NotIn and no values deletes every row", func(q query) query { return q.Filter(confUserID.NotIn()).AllRows() }},
		{"AllRows set before an always-true filter deletes every row", func(q query) query {
			return q.AllRows().Filter(typeddelete.Raw[confUser](sq.Eq{}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				confSeedUsers(t, tdb)
				confSeedNotes(t, tdb)
				sess := tdb.session()
				d := confMustDelete(t, tt.query(typeddelete.Query[confUser](sess)))
				if err := sess.Commit(t.Context()); err != nil {
					t.Fatal(err)
				}
				if n := tdb.count(t, "conf_users"); n != 0 {
					t.Fatalf("%d rows left in conf_users, want 0", n)
				}
				if n, done := d.RowsAffected(); n != 6 || !done {
					t.Fatalf("RowsAffected() = (%d, %v), want (6, true)", n, done)
				}
				confWantIDs(t, tdb, "conf_notes", []int64{1, 2, 3, 4}) // other tables untouched
			})
		})
	}
}

// TestConformanceConcurrency checks one session shared by goroutines and two
// sessions committing overlapping keys at the same time.
func TestConformanceConcurrency(t *testing.T) {
	t.Run("8 goroutines registering in one session are committed together", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			const rows, workers = 1000, 8
			tdb.exec(t, confUsersDDL)
			var all [][]any
			for id := 1; id <= rows; id++ {
				all = append(all, []any{id, "u" + strconv.Itoa(id), id, nil})
			}
			confInsert(t, tdb, "conf_users", []string{"id", "name", "age", "nick"}, all...)

			// Goroutine g deletes the objects 1..400 with id%8 == g one by
			// one; the even ones also bulk-delete ages 501+50g..525+50g.
			sess := tdb.session()
			left := make(map[int64]bool)
			for id := int64(1); id <= rows; id++ {
				left[id] = true
			}
			var wg sync.WaitGroup
			errs := make(chan error, rows)
			deletions := make(chan *typeddelete.Deletion, workers)
			for g := range workers {
				for id := int64(1); id <= 400; id++ {
					if id%workers == int64(g) {
						delete(left, id)
					}
				}
				if g%2 == 0 {
					for age := 501 + 50*g; age <= 525+50*g; age++ {
						delete(left, int64(age))
					}
				}
				wg.Go(func() {
					for id := int64(1); id <= 400; id++ {
						if id%workers == int64(g) {
							if err := sess.Delete(&confUser{ID: id}); err != nil {
								errs <- err
							}
						}
						if g%2 == 0 && id == 200 {
							d, err := typeddelete.Query[confUser](sess).Filter(confUserAge.Between(501+50*g, 525+50*g)).Delete()
							if err != nil {
								errs <- err
							}
							deletions <- d
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			close(deletions)
			for err := range errs {
				t.Fatalf("registering: %v", err)
			}
			confWantPending(t, sess, 400, workers/2)
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			var want []int64
			for id := range left {
				want = append(want, id)
			}
			slices.Sort(want)
			confWantIDs(t, tdb, "conf_users", want)
			for d := range deletions {
				if n, done := d.RowsAffected(); n != 25 || !done {
					t.Fatalf("bulk RowsAffected() = (%d, %v), want (25, true)", n, done)
				}
			}
			last := sess.LastCommit()
			if last.Deleted["conf_users"] != 500 || len(last.Missing) != 0 {
				t.Fatalf("LastCommit() deleted %d with missing %v, want 500 and none", last.Deleted["conf_users"], confMissing(last))
			}
		})
	})

	t.Run("two sessions committing overlapping keys at once both succeed", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, confBigDDL)
			for round := range 3 {
				const n = 3000
				tdb.exec(t, "DELETE FROM conf_big")
				confBulkInsert(t, tdb, "conf_big (id)", n, confBigRow)
				// Session a deletes 1..2000 registered ascending, session b
				// 1001..3000 registered descending; 1001..2000 overlap.
				var a, b []*confBig
				for id := int64(1); id <= 2000; id++ {
					a = append(a, &confBig{ID: id})
				}
				for id := int64(n); id > 1000; id-- {
					b = append(b, &confBig{ID: id})
				}
				sessions := []*typeddelete.Session{tdb.session(typeddelete.WithBatchSize(250)), tdb.session(typeddelete.WithBatchSize(250))}
				confMustObjects(t, sessions[0], a)
				confMustObjects(t, sessions[1], b)
				start := make(chan struct{})
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, s := range sessions {
					wg.Go(func() {
						<-start
						ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
						defer cancel()
						errs[i] = s.Commit(ctx)
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d: session %d: Commit: %v", round, i, err)
					}
				}
				if got := tdb.count(t, "conf_big"); got != 0 {
					t.Fatalf("round %d: %d rows left, want 0", round, got)
				}
				ra, rb := sessions[0].LastCommit(), sessions[1].LastCommit()
				if got := ra.Deleted["conf_big"] + rb.Deleted["conf_big"]; got != n {
					t.Fatalf("round %d: the sessions deleted %d rows together, want %d", round, got, n)
				}
				if got := len(ra.Missing) + len(rb.Missing); got != 1000 {
					t.Fatalf("round %d: the sessions reported %d missing keys together, want 1000 (the overlap)", round, got)
				}
			}
		})
	})
}

// TestConformanceCallerTx checks a session over a caller's *sql.Tx: the
// caller's commit or rollback decides, and a failed Commit leaves the
// transaction usable.
func TestConformanceCallerTx(t *testing.T) {
	begin := func(t *testing.T, tdb *testDB, opts ...typeddelete.Option) (*sql.Tx, *typeddelete.Session) {
		t.Helper()
		confSeedUsers(t, tdb)
		tx, err := tdb.DB.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		return tx, typeddelete.NewSession(tx, append([]typeddelete.Option{typeddelete.WithDialect(tdb.Dialect)}, opts...)...)
	}

	t.Run("Commit then the caller's Rollback leaves every row", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tx, sess := begin(t, tdb)
			confMustObjects(t, sess, confUsers(1, 2))
			confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(60)))
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if n, err := typeddelete.Query[confUser](sess).Count(t.Context()); err != nil || n != 3 {
				t.Fatalf("Count inside the caller's transaction = %d, %v; want 3", n, err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", confAllIDs)
		})
	})

	t.Run("Commit then the caller's Commit deletes the rows", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tx, sess := begin(t, tdb)
			confMustObjects(t, sess, confUsers(1, 2))
			confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(60)))
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", confAllIDs) // not committed yet
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{3, 4, 5})
		})
	})

	t.Run("a failing Commit undoes only its own work and leaves the transaction usable", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tx, sess := begin(t, tdb)
			if _, err := tx.ExecContext(t.Context(), "DELETE FROM conf_users WHERE id = 6"); err != nil {
				t.Fatal(err)
			}
			confMustObjects(t, sess, confUsers(1, 2))
			confMustDelete(t, typeddelete.Query[confUser](sess).Filter(typeddelete.Raw[confUser](sq.Expr("no_such_column = ?", 1))))
			if err := sess.Commit(t.Context()); err == nil {
				t.Fatal("Commit succeeded with a bulk delete on a column that does not exist")
			}
			confWantPending(t, sess, 2, 1)
			if _, err := tx.ExecContext(t.Context(), "DELETE FROM conf_users WHERE id = 5"); err != nil {
				t.Fatalf("the caller's transaction is not usable after a failed Commit: %v", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("the caller's Commit: %v", err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{1, 2, 3, 4})
		})
	})

	t.Run("a strict Commit with a missing key undoes only its own work", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tx, sess := begin(t, tdb, typeddelete.WithStrictRowCounts())
			confMustObjects(t, sess, confUsers(1, 9))
			confWantErr(t, sess.Commit(t.Context()), typeddelete.ErrStaleData)
			if err := sess.Rollback(context.Background()); err != nil {
				t.Fatal(err)
			}
			confMustObjects(t, sess, confUsers(2)[0])
			if err := sess.Commit(t.Context()); err != nil {
				t.Fatalf("second Commit: %v", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{1, 3, 4, 5, 6})
		})
	})

	t.Run("Rollback after a Flush undoes only the session's work", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tx, sess := begin(t, tdb)
			if _, err := tx.ExecContext(t.Context(), "DELETE FROM conf_users WHERE id = 6"); err != nil {
				t.Fatal(err)
			}
			confMustObjects(t, sess, confUsers(1)[0])
			if err := sess.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n, err := typeddelete.Query[confUser](sess).Count(t.Context()); err != nil || n != 4 {
				t.Fatalf("Count after Flush = %d, %v; want 4", n, err)
			}
			if err := sess.Rollback(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", []int64{1, 2, 3, 4, 5})
		})
	})

	t.Run("a session on a *sql.Tx without WithDialect fails with ErrUnknownDialect", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			confSeedUsers(t, tdb)
			tx, err := tdb.DB.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			sess := typeddelete.NewSession(tx)
			confWantErr(t, sess.Delete(&confUser{ID: 1}), typeddelete.ErrUnknownDialect)
			confWantErr(t, sess.Commit(t.Context()), typeddelete.ErrUnknownDialect)
			if _, err := typeddelete.Query[confUser](sess).Count(t.Context()); !errors.Is(err, typeddelete.ErrUnknownDialect) {
				t.Fatalf("Count error = %v, want ErrUnknownDialect", err)
			}
			if _, err := typeddelete.Query[confUser](sess).FilterBy("id", 1).Delete(); !errors.Is(err, typeddelete.ErrUnknownDialect) {
				t.Fatalf("Query.Delete error = %v, want ErrUnknownDialect", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", confAllIDs)
		})
	})
}

// TestConformanceConn checks a session over a *sql.Conn: each Commit runs in
// a transaction of its own on that connection, all or nothing.
func TestConformanceConn(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		conn, err := tdb.DB.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		sess := typeddelete.NewSession(conn)
		if d := sess.Dialect(); d == nil || d.Name() != tdb.Dialect.Name() {
			t.Fatalf("dialect detected on a *sql.Conn = %v, want %s", d, tdb.Dialect.Name())
		}

		confMustObjects(t, sess, confUsers(1)[0])
		confMustDelete(t, typeddelete.Query[confUser](sess).Filter(typeddelete.Raw[confUser](sq.Expr("no_such_column = ?", 1))))
		if err := sess.Commit(t.Context()); err == nil {
			t.Fatal("Commit succeeded with a bulk delete on a column that does not exist")
		}
		confWantIDs(t, tdb, "conf_users", confAllIDs)
		if err := sess.Rollback(context.Background()); err != nil {
			t.Fatal(err)
		}

		confMustObjects(t, sess, confUsers(1, 2))
		confMustDelete(t, typeddelete.Query[confUser](sess).Filter(confUserAge.Ge(60)))
		if err := sess.Commit(t.Context()); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		confWantIDs(t, tdb, "conf_users", []int64{3, 4, 5})
	})
}

// confIntPair has a composite key of two integers, which PostgreSQL receives as
// one array per column.
type confIntPair struct {
	A int64 `db:"a,pk"`
	B int64 `db:"b,pk"`
}

func (confIntPair) TableName() string { return "conf_int_pairs" }

// TestConformanceIntegerCompositeKeys deletes (1,2) and (2,1) from the four
// pairs of {1,2}×{1,2} and checks that exactly (1,1) and (2,2) are left,
// with keys matched as pairs, however the dialect sends them.
func TestConformanceIntegerCompositeKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "CREATE TABLE conf_int_pairs (a BIGINT NOT NULL, b BIGINT NOT NULL, PRIMARY KEY (a, b))",
			"INSERT INTO conf_int_pairs (a, b) VALUES (1, 1), (1, 2), (2, 1), (2, 2)")
		s := tdb.session()
		if err := s.Delete(&confIntPair{A: 2, B: 1}, &confIntPair{A: 1, B: 2}, &confIntPair{A: 3, B: 3}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		left, err := typeddelete.Query[confIntPair](s).All(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range left {
			got = append(got, fmt.Sprintf("(%d,%d)", p.A, p.B))
		}
		slices.Sort(got)
		if want := []string{"(1,1)", "(2,2)"}; !slices.Equal(got, want) {
			t.Fatalf("rows left %v, want %v", got, want)
		}
		res := s.LastCommit()
		if res.Deleted["conf_int_pairs"] != 2 || len(res.Missing) != 1 || !slices.Equal(res.Missing[0].Key, []any{int64(3), int64(3)}) {
			t.Fatalf("LastCommit = %+v, want 2 deleted and (3,3) missing", res)
		}
	})
}

// confCode has a one-column text key of at most four characters.
type confCode struct {
	Code string `db:"code,pk"`
}

func (confCode) TableName() string { return "conf_codes" }

// confCodePair has a key of an integer and a text of at most four
// characters.
type confCodePair struct {
	A    int64  `db:"a,pk"`
	Code string `db:"code,pk"`
}

func (confCodePair) TableName() string { return "conf_code_pairs" }

// TestConformanceKeysLongerThanTheirColumn deletes keys longer than their
// VARCHAR(4) column, whose first four characters are those of a row: such
// a key matches no row and is missing. On PostgreSQL the keys travel as
// arrays cast to the column's type, which must not cut them to its length:
// 1,000 one-column keys (the scalar-subquery form) and composite keys
// (unnest), and on PostgreSQL composite keys of a domain over VARCHAR(4).
func TestConformanceKeysLongerThanTheirColumn(t *testing.T) {
	wantPairLeft := func(t *testing.T, s *typeddelete.Session) {
		t.Helper()
		pairs, err := typeddelete.Query[confCodePair](s).All(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(pairs) != 1 || *pairs[0] != (confCodePair{A: 1, Code: "r999"}) {
			t.Errorf("conf_code_pairs left %v, want (1, r999) alone", pairs)
		}
	}
	t.Run("VARCHAR(4)", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE conf_codes (code VARCHAR(4) PRIMARY KEY)",
				"CREATE TABLE conf_code_pairs (a BIGINT NOT NULL, code VARCHAR(4) NOT NULL, PRIMARY KEY (a, code))",
				"INSERT INTO conf_code_pairs (a, code) VALUES (1, 'r998'), (1, 'r999')")
			confBulkInsert(t, tdb, "conf_codes (code)", 1000, func(i int) string { return fmt.Sprintf("'r%03d'", i-1) })
			var codes []*confCode
			for i := range 1000 {
				code := fmt.Sprintf("r%03d", i)
				if i == 999 {
					code += "!"
				}
				codes = append(codes, &confCode{Code: code})
			}
			s := tdb.session()
			if err := s.Delete(codes, &confCodePair{A: 1, Code: "r998"}, &confCodePair{A: 1, Code: "r999!"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			left, err := typeddelete.Query[confCode](s).All(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[0].Code != "r999" {
				t.Errorf("conf_codes left %v, want r999 alone", left)
			}
			wantPairLeft(t, s)
			got := confMissing(s.LastCommit())
			slices.Sort(got)
			if want := []string{"conf_code_pairs:1/r999!", "conf_codes:r999!"}; !slices.Equal(got, want) {
				t.Errorf("LastCommit().Missing = %v, want %v", got, want)
			}
		})
	})

	// A column of a domain over VARCHAR(4): a cast to the domain fails on
	// the longer key, which is missing like any other.
	t.Run("a domain over VARCHAR(4)", func(t *testing.T) {
		forEachDBWhere(t, func(name string) bool { return name == "postgres" }, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE DOMAIN conf_code4 AS VARCHAR(4)",
				"CREATE TABLE conf_code_pairs (a BIGINT NOT NULL, code conf_code4 NOT NULL, PRIMARY KEY (a, code))",
				"INSERT INTO conf_code_pairs (a, code) VALUES (1, 'r998'), (1, 'r999')")
			s := tdb.session()
			if err := s.Delete(&confCodePair{A: 1, Code: "r998"}, &confCodePair{A: 1, Code: "r999!"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			wantPairLeft(t, s)
			if got, want := confMissing(s.LastCommit()), []string{"conf_code_pairs:1/r999!"}; !slices.Equal(got, want) {
				t.Errorf("LastCommit().Missing = %v, want %v", got, want)
			}
		})
	})
}

// TestPostgresQueryExecModes deletes 1,000 loaded objects, whose keys go
// as the text of an array, a string, in a scalar subquery, through each of
// pgx's query exec modes: prepared or not, described or not, or written
// into the statement as a literal by the simple protocol, the server must
// read the string as the array.
func TestPostgresQueryExecModes(t *testing.T) {
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			db := openPostgresWith(t, url.Values{"default_query_exec_mode": {mode}})
			tdb := &testDB{Name: "postgres", DB: db, Dialect: typeddelete.NewSession(db).Dialect()}
			tdb.exec(t, confUsersDDL, "INSERT INTO conf_users (id, name, age) SELECT g, 'user', g % 60 FROM generate_series(1, 2000) g")
			var even, odd []int64
			for id := int64(1); id <= 2000; id++ {
				if id%2 == 0 {
					even = append(even, id)
				} else {
					odd = append(odd, id)
				}
			}
			s := tdb.session()
			if err := s.Delete(confUsers(even...)); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			confWantIDs(t, tdb, "conf_users", odd)
			if got := s.LastCommit().Deleted["conf_users"]; got != 1000 {
				t.Errorf("LastCommit().Deleted[conf_users] = %d, want 1000", got)
			}
		})
	}
}

// TestIterDeletesAsItReads registers a delete for each row Iter yields and
// stops the loop early: the sequence must end without yielding again, the
// rows must be released (the next read and the Commit run on the same
// database) and exactly the visited rows are deleted.
func TestIterDeletesAsItReads(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		confSeedUsers(t, tdb)
		sess := tdb.session()
		var seen []int64
		for u, err := range typeddelete.Query[confUser](sess).Filter(confUserID.Ge(2)).Iter(t.Context()) {
			if err != nil {
				t.Fatalf("Iter: %v", err)
			}
			seen = append(seen, u.ID)
			if err := sess.Delete(u); err != nil {
				t.Fatalf("Delete(%d): %v", u.ID, err)
			}
			if len(seen) == 3 {
				break
			}
		}
		if len(seen) != 3 {
			t.Fatalf("Iter yielded %v before the break, want 3 rows", seen)
		}
		if n, err := typeddelete.Query[confUser](sess).Count(t.Context()); err != nil || n != 6 {
			t.Fatalf("Count after the loop = %d, %v; want 6 (nothing sent yet)", n, err)
		}
		if err := sess.Commit(t.Context()); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		want := slices.DeleteFunc(slices.Clone(confAllIDs), func(id int64) bool { return slices.Contains(seen, id) })
		confWantIDs(t, tdb, "conf_users", want)
		if slices.Contains(seen, 1) {
			t.Fatalf("Iter yielded id 1, which the filter excludes: %v", seen)
		}
	})
}
