package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// Sizes of the benchmarks. Each object-delete iteration removes every other
// row of benchRows rows in one transaction.
const (
	benchRows     = 10_000
	benchDeletes  = benchRows / 2
	benchChunk    = 500     // keys per DELETE ... IN (...) of the SQLite floor
	benchBulkRows = 100_000 // rows of the bulk-delete table
	benchBulkAge  = 30      // the bulk delete removes rows with age > 30: about half
)

// Environment variables naming the servers of the server benchmarks.
const (
	benchPostgresEnv = "TYPEDDELETE_POSTGRES_DSN"
	benchMySQLEnv    = "TYPEDDELETE_MYSQL_DSN"
)

// benchUser is the SQLite model: users(id, name, age).
type benchUser struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func (benchUser) TableName() string { return "users" }

// benchPGRow is the PostgreSQL model, in a table of its own.
type benchPGRow struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func (benchPGRow) TableName() string { return "typeddelete_bench_pg" }

// benchMyRow is the MariaDB/MySQL model, in a table of its own.
type benchMyRow struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func (benchMyRow) TableName() string { return "typeddelete_bench_mysql" }

// benchTable is a benchmark table with a template copy of its rows, so that
// every iteration starts from the same data.
type benchTable struct {
	db     *sql.DB
	name   string
	rows   int      // rows in the template
	refill []string // statements that restore the table from the template
}

// benchExec runs statements outside any transaction, failing b on error.
func benchExec(b *testing.B, db *sql.DB, stmts ...string) {
	b.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			b.Fatalf("%s: %v", benchShort(s), err)
		}
	}
}

// benchShort returns the start of a statement, for error messages.
func benchShort(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// benchCreate creates table name and its template name_tpl with columns
// cols, fills the template with rows rows (id 1..rows, age 1..60 cyclic)
// and the table from it with the refill statements.
func benchCreate(b *testing.B, db *sql.DB, name, cols string, rows int, refill []string) *benchTable {
	b.Helper()
	tpl := name + "_tpl"
	benchExec(b, db,
		"DROP TABLE IF EXISTS "+name, "DROP TABLE IF EXISTS "+tpl,
		"CREATE TABLE "+name+" "+cols, "CREATE TABLE "+tpl+" "+cols)
	const per = 1000
	for lo := 1; lo <= rows; lo += per {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + tpl + " (id, name, age) VALUES ")
		for id := lo; id < lo+per && id <= rows; id++ {
			if id > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,'user %d',%d)", id, id, id%60+1)
		}
		benchExec(b, db, sb.String())
	}
	t := &benchTable{db: db, name: name, rows: rows, refill: refill}
	t.restore(b)
	return t
}

// restore puts the template rows back in the table.
func (t *benchTable) restore(b *testing.B) {
	b.Helper()
	benchExec(b, t.db, t.refill...)
}

// count returns the number of rows in the table.
func (t *benchTable) count(b *testing.B) int {
	b.Helper()
	var n int
	if err := t.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+t.name).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// benchOpenSQLite opens a WAL SQLite file in b.TempDir with typeddelete's
// OpenSQLite and creates users (and users_tpl) with rows rows.
func benchOpenSQLite(b *testing.B, rows int) *benchTable {
	b.Helper()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return benchCreate(b, db, "users",
		"(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL)", rows,
		[]string{
			"DELETE FROM users",
			"INSERT INTO users SELECT * FROM users_tpl",
			// Start every iteration with an empty WAL, so that no timed
			// commit pays for a checkpoint of the refill.
			"PRAGMA wal_checkpoint(TRUNCATE)",
		})
}

// benchOpenServer opens the server named by env with driver, or skips.
func benchOpenServer(b *testing.B, env, driver, example string) *sql.DB {
	b.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		b.Skipf("%s is unset; set it (for example %s=%q) to run the %s benchmarks", env, env, example, driver)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatalf("%s: %v", env, err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		b.Fatalf("%s does not connect: %v", env, err)
	}
	return db
}

// benchDropOnCleanup drops the table and its template when b ends.
func benchDropOnCleanup(b *testing.B, t *benchTable) {
	b.Cleanup(func() {
		for _, n := range []string{t.name, t.name + "_tpl"} {
			t.db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+n)
		}
	})
}

// benchLoad loads every other row (even ids) of T through the library, as
// an application would before deleting them, and returns the objects and
// their ids, ascending.
func benchLoad[T any](b *testing.B, db *sql.DB, id func(*T) int64) ([]*T, []int64) {
	b.Helper()
	all, err := typeddelete.Query[T](typeddelete.NewSession(db)).All(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var objs []*T
	var ids []int64
	for _, o := range all {
		if id(o)%2 == 0 {
			objs = append(objs, o)
			ids = append(ids, id(o))
		}
	}
	if len(objs) != benchDeletes {
		b.Fatalf("loaded %d objects to delete, want %d", len(objs), benchDeletes)
	}
	return objs, ids
}

// benchCase is one way of deleting the rows.
type benchCase struct {
	name    string
	prepare func()                          // untimed, before each run; may be nil
	run     func(ctx context.Context) error // the timed work: one transaction
	stmts   func() int                      // DELETE statements the last run sent
}

// benchRounds is how many rounds benchRunCases runs its cases in. Go's
// -count repeats one sub-benchmark back to back before the next, so on a
// shared machine a slow spell lands on one case; rounds interleave the
// cases instead. benchstat -ignore /round pools the rounds.
const benchRounds = 10

// benchRunCases runs the cases as sub-benchmarks round=R/case=NAME, for R
// in 1..benchRounds, rotating their order by one each round so that no case
// always runs first or right after the same other case. Before the rounds
// it warms the table up with two untimed runs of the second case (a floor).
// Each iteration restores the table with the timer stopped, times the case,
// then checks outside the timer that exactly want rows are gone. It reports
// DELETE statements per op.
func benchRunCases(b *testing.B, t *benchTable, want int, cases []benchCase) {
	b.Helper()
	for range 2 {
		t.restore(b)
		if cases[1].prepare != nil {
			cases[1].prepare()
		}
		if err := cases[1].run(context.Background()); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}
	for round := range benchRounds {
		b.Run("round="+strconv.Itoa(round+1), func(b *testing.B) {
			r := round % len(cases)
			for _, c := range append(cases[r:len(cases):len(cases)], cases[:r]...) {
				b.Run("case="+c.name, func(b *testing.B) { benchRunCase(b, t, want, c) })
			}
		})
	}
}

// benchRunCase is one sub-benchmark of benchRunCases.
func benchRunCase(b *testing.B, t *benchTable, want int, c benchCase) {
	ctx := context.Background()
	stmts := 0
	b.StopTimer()
	for range b.N {
		t.restore(b)
		if c.prepare != nil {
			c.prepare()
		}
		b.StartTimer()
		err := c.run(ctx)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if got := t.rows - t.count(b); got != want {
			b.Fatalf("deleted %d rows, want %d", got, want)
		}
		stmts += c.stmts()
	}
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
}

// benchLibrary deletes objs with Session.Delete, one call per object, and
// commits: what the library sends, whatever it is. Each run uses a new
// session, made outside the timer: a session remembers the rows its commits
// deleted and would skip them the next time.
func benchLibrary[T any](db *sql.DB, objs []*T) benchCase {
	var s *typeddelete.Session
	return benchCase{
		name:    "library",
		prepare: func() { s = typeddelete.NewSession(db) },
		run: func(ctx context.Context) error {
			for _, o := range objs {
				if err := s.Delete(o); err != nil {
					return err
				}
			}
			return s.Commit(ctx)
		},
		stmts: func() int { return s.LastCommit().Statements },
	}
}

// benchPlaceholders returns n placeholders: ?,?,... or $1,$2,...
func benchPlaceholders(n int, dollar bool) string {
	var sb strings.Builder
	sb.Grow(n * 6)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		if dollar {
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(i + 1))
		} else {
			sb.WriteByte('?')
		}
	}
	return sb.String()
}

// benchInChunks is the hand-written floor: DELETE FROM table WHERE id IN
// (...) with chunk ids per statement, in one transaction, checking the row
// count of each statement as the library does.
func benchInChunks(db *sql.DB, table string, ids []int64, chunk int, dollar bool) benchCase {
	n := (len(ids) + chunk - 1) / chunk
	return benchCase{
		name: "floor-in-" + strconv.Itoa(chunk),
		run: func(ctx context.Context) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			args := make([]any, 0, min(chunk, len(ids)))
			for lo := 0; lo < len(ids); lo += chunk {
				part := ids[lo:min(lo+chunk, len(ids))]
				args = args[:0]
				for _, id := range part {
					args = append(args, id)
				}
				q := "DELETE FROM " + table + " WHERE id IN (" + benchPlaceholders(len(part), dollar) + ")"
				res, err := tx.ExecContext(ctx, q, args...)
				if err != nil {
					return err
				}
				if k, err := res.RowsAffected(); err != nil || k != int64(len(part)) {
					return fmt.Errorf("deleted %d rows of %d (%v)", k, len(part), err)
				}
			}
			return tx.Commit()
		},
		stmts: func() int { return n },
	}
}

// benchPerRow deletes one row per statement with a prepared DELETE ...
// WHERE id = ?, in one transaction: what SQLAlchemy and GORM do.
func benchPerRow(db *sql.DB, table string, ids []int64, dollar bool) benchCase {
	ph := "?"
	if dollar {
		ph = "$1"
	}
	q := "DELETE FROM " + table + " WHERE id = " + ph
	return benchCase{
		name: "per-row",
		run: func(ctx context.Context) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			stmt, err := tx.PrepareContext(ctx, q)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, id := range ids {
				res, err := stmt.ExecContext(ctx, id)
				if err != nil {
					return err
				}
				if k, err := res.RowsAffected(); err != nil || k != 1 {
					return fmt.Errorf("deleted %d rows of 1 (%v)", k, err)
				}
			}
			return tx.Commit()
		},
		stmts: func() int { return len(ids) },
	}
}

// benchAny is the PostgreSQL floor: one DELETE ... WHERE id = ANY($1) with
// the ids as one array parameter.
func benchAny(db *sql.DB, table string, ids []int64) benchCase {
	q := "DELETE FROM " + table + " WHERE id = ANY($1)"
	return benchCase{
		name: "floor-any",
		run: func(ctx context.Context) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			res, err := tx.ExecContext(ctx, q, ids)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil || k != int64(len(ids)) {
				return fmt.Errorf("deleted %d rows of %d (%v)", k, len(ids), err)
			}
			return tx.Commit()
		},
		stmts: func() int { return 1 },
	}
}

// BenchmarkSQLiteDelete deletes 5,000 loaded objects (every other id of
// 10,000 rows) in one transaction on a WAL SQLite file: the library
// (Session.Delete per object, then Commit) against the hand-written floor
// (IN chunks of 500) and per-row prepared DELETEs.
func BenchmarkSQLiteDelete(b *testing.B) {
	t := benchOpenSQLite(b, benchRows)
	objs, ids := benchLoad(b, t.db, func(u *benchUser) int64 { return u.ID })
	benchRunCases(b, t, benchDeletes, []benchCase{
		benchLibrary(t.db, objs),
		benchInChunks(t.db, "users", ids, benchChunk, false),
		benchLibraryCommit(t.db, objs),
		benchPerRow(t.db, "users", ids, false),
	})
}

// BenchmarkSessionDelete measures Session.Delete alone: one op is 5,000
// calls, one object each, into a session that sends nothing; the session is
// reset with Rollback outside the timer. It reports the cost per object:
// ns/object, allocs/object and B/object (allocs/op and B/op are per 5,000).
// It runs benchRounds rounds, as benchRunCases does.
func BenchmarkSessionDelete(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	objs := make([]*benchUser, benchDeletes)
	for i := range objs {
		id := int64(2 * (i + 1))
		objs[i] = &benchUser{ID: id, Name: "user " + strconv.FormatInt(id, 10), Age: int(id%60) + 1}
	}
	s := typeddelete.NewSession(db)
	for round := range benchRounds {
		b.Run("round="+strconv.Itoa(round+1), func(b *testing.B) {
			b.ReportAllocs()
			var before, after runtime.MemStats
			var mallocs, bytes uint64
			b.StopTimer()
			for range b.N {
				runtime.ReadMemStats(&before)
				b.StartTimer()
				for _, o := range objs {
					if err := s.Delete(o); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				runtime.ReadMemStats(&after)
				mallocs += after.Mallocs - before.Mallocs
				bytes += after.TotalAlloc - before.TotalAlloc
				if err := s.Rollback(); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N) * float64(len(objs))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/object")
			b.ReportMetric(float64(mallocs)/n, "allocs/object")
			b.ReportMetric(float64(bytes)/n, "B/object")
		})
	}
}

// BenchmarkBulkDelete deletes the 49,991 of 100,000 SQLite rows with age > 30:
// Query[User].Filter(age.Gt(30)).Delete() and Commit against db.Exec of the
// same SQL in a transaction.
func BenchmarkBulkDelete(b *testing.B) {
	t := benchOpenSQLite(b, benchBulkRows)
	age := typeddelete.Col(func(u *benchUser) *int { return &u.Age })
	q, args, err := typeddelete.Query[benchUser](typeddelete.NewSession(t.db)).Filter(age.Gt(benchBulkAge)).DeleteSQL()
	if err != nil {
		b.Fatal(err)
	}
	var want int
	if err := t.db.QueryRow("SELECT COUNT(*) FROM users_tpl WHERE age > ?", benchBulkAge).Scan(&want); err != nil {
		b.Fatal(err)
	}
	var s *typeddelete.Session
	benchRunCases(b, t, want, []benchCase{
		{
			name:    "library",
			prepare: func() { s = typeddelete.NewSession(t.db) },
			run: func(ctx context.Context) error {
				if _, err := typeddelete.Query[benchUser](s).Filter(age.Gt(benchBulkAge)).Delete(); err != nil {
					return err
				}
				return s.Commit(ctx)
			},
			stmts: func() int { return s.LastCommit().Statements },
		},
		{
			name: "floor-exec",
			run: func(ctx context.Context) error {
				tx, err := t.db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				res, err := tx.ExecContext(ctx, q, args...)
				if err != nil {
					return err
				}
				if _, err := res.RowsAffected(); err != nil {
					return err
				}
				return tx.Commit()
			},
			stmts: func() int { return 1 },
		},
	})
}

// BenchmarkPostgresDelete deletes every other row of 10,000 on PostgreSQL
// in one transaction: the library against one DELETE ... = ANY($1), IN
// chunks of 500 and per-row prepared DELETEs.
func BenchmarkPostgresDelete(b *testing.B) {
	db := benchOpenServer(b, benchPostgresEnv, "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	const name = "typeddelete_bench_pg"
	t := benchCreate(b, db, name, "(id BIGINT PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL)", benchRows,
		[]string{"TRUNCATE " + name, "INSERT INTO " + name + " SELECT * FROM " + name + "_tpl", "ANALYZE " + name})
	benchDropOnCleanup(b, t)
	objs, ids := benchLoad(b, db, func(r *benchPGRow) int64 { return r.ID })
	benchRunCases(b, t, benchDeletes, []benchCase{
		benchLibrary(db, objs),
		benchAny(db, name, ids),
		benchLibraryCommit(db, objs),
		benchInChunks(db, name, ids, 500, true),
		benchPerRow(db, name, ids, true),
	})
}

// BenchmarkMySQLDelete deletes every other row of 10,000 on MariaDB (or
// MySQL) in one transaction: the library against IN chunks of several
// sizes and per-row prepared DELETEs.
func BenchmarkMySQLDelete(b *testing.B) {
	db := benchOpenServer(b, benchMySQLEnv, "mysql", "root@tcp(127.0.0.1:3306)/test")
	const name = "typeddelete_bench_mysql"
	t := benchCreate(b, db, name, "(id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, age INT NOT NULL) ENGINE=InnoDB", benchRows,
		[]string{"TRUNCATE TABLE " + name, "INSERT INTO " + name + " SELECT * FROM " + name + "_tpl"})
	benchDropOnCleanup(b, t)
	objs, ids := benchLoad(b, db, func(r *benchMyRow) int64 { return r.ID })
	cases := []benchCase{benchLibrary(db, objs), benchLibraryCommit(db, objs)}
	for _, chunk := range []int{500, 1000, 5000, 20000} {
		cases = append(cases, benchInChunks(db, name, ids, chunk, false))
	}
	cases = append(cases, benchPerRow(db, name, ids, false))
	benchRunCases(b, t, benchDeletes, cases)
}

// benchLibraryCommit is benchLibrary with Session.Delete outside the timer:
// the cost of Commit alone, which the server targets are stated for.
func benchLibraryCommit[T any](db *sql.DB, objs []*T) benchCase {
	var s *typeddelete.Session
	return benchCase{
		name: "library-commit",
		prepare: func() {
			s = typeddelete.NewSession(db)
			for _, o := range objs {
				if err := s.Delete(o); err != nil {
					panic(err)
				}
			}
		},
		run:   func(ctx context.Context) error { return s.Commit(ctx) },
		stmts: func() int { return s.LastCommit().Statements },
	}
}

// Cascade benchmark: parents with children that a Cascade relation removes.
const (
	benchParents  = 2_000
	benchChildren = 10 // per parent
)

type benchParent struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (benchParent) TableName() string { return "bench_parents" }

func (benchParent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[benchChild](typeddelete.Cascade, "parent_id")}
}

type benchChild struct {
	ID       int64 `db:"id,pk"`
	ParentID int64 `db:"parent_id"`
}

func (benchChild) TableName() string { return "bench_children" }

// BenchmarkCascadeDelete deletes 1,000 loaded parents (every other of
// 2,000), each with 10 children, in one transaction on SQLite with foreign
// keys on: the library (Session.Delete per parent, Cascade to the children,
// Commit) against the hand-written set-based SQL for the same result,
// DELETE children WHERE parent_id IN (...) then DELETE parents WHERE id IN
// (...), in chunks of 500.
func BenchmarkCascadeDelete(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	benchExec(b, db,
		"CREATE TABLE bench_parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
		"CREATE TABLE bench_children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES bench_parents(id))",
		"CREATE INDEX bench_children_parent ON bench_children (parent_id)",
		"CREATE TABLE bench_parents_tpl AS SELECT * FROM bench_parents",
		"CREATE TABLE bench_children_tpl AS SELECT * FROM bench_children")
	var sb strings.Builder
	sb.WriteString("INSERT INTO bench_parents_tpl (id, name) VALUES ")
	for p := 1; p <= benchParents; p++ {
		if p > 1 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(%d,'parent %d')", p, p)
	}
	benchExec(b, db, sb.String())
	for p := 1; p <= benchParents; p += 100 {
		sb.Reset()
		sb.WriteString("INSERT INTO bench_children_tpl (id, parent_id) VALUES ")
		for q := p; q < p+100; q++ {
			for c := range benchChildren {
				if q > p || c > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, "(%d,%d)", q*benchChildren+c, q)
			}
		}
		benchExec(b, db, sb.String())
	}
	t := &benchTable{db: db, name: "bench_children", rows: benchParents * benchChildren, refill: []string{
		"DELETE FROM bench_children", "DELETE FROM bench_parents",
		"INSERT INTO bench_parents SELECT * FROM bench_parents_tpl",
		"INSERT INTO bench_children SELECT * FROM bench_children_tpl",
		"PRAGMA wal_checkpoint(TRUNCATE)",
	}}
	t.restore(b)
	var parents []*benchParent
	var ids []int64
	for id := int64(2); id <= benchParents; id += 2 {
		parents = append(parents, &benchParent{ID: id, Name: "parent " + strconv.FormatInt(id, 10)})
		ids = append(ids, id)
	}
	benchRunCases(b, t, len(ids)*benchChildren, []benchCase{
		benchLibrary(db, parents),
		{
			name: "floor-set-based",
			run: func(ctx context.Context) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				args := make([]any, 0, benchChunk)
				for lo := 0; lo < len(ids); lo += benchChunk {
					part := ids[lo:min(lo+benchChunk, len(ids))]
					args = args[:0]
					for _, id := range part {
						args = append(args, id)
					}
					in := "(" + benchPlaceholders(len(part), false) + ")"
					if _, err := tx.ExecContext(ctx, "DELETE FROM bench_children WHERE parent_id IN "+in, args...); err != nil {
						return err
					}
					res, err := tx.ExecContext(ctx, "DELETE FROM bench_parents WHERE id IN "+in, args...)
					if err != nil {
						return err
					}
					if n, err := res.RowsAffected(); err != nil || n != int64(len(part)) {
						return fmt.Errorf("deleted %d parents of %d (%v)", n, len(part), err)
					}
				}
				return tx.Commit()
			},
			stmts: func() int { return 2 * ((len(ids) + benchChunk - 1) / benchChunk) },
		},
		benchLibraryCommit(db, parents),
	})
}

type benchPGPair struct {
	A    int64  `db:"a,pk"`
	B    int64  `db:"b,pk"`
	Name string `db:"name"`
}

func (benchPGPair) TableName() string { return "typeddelete_bench_pairs" }

// BenchmarkPostgresCompositeDelete deletes 5,000 of 10,000 rows with a
// two-column key on PostgreSQL in one transaction: the library (row values,
// 1,000 per statement) against one DELETE that matches the keys as two
// arrays through unnest, and against row values in one statement per 1,000
// keys written by hand: which form composite keys should take.
func BenchmarkPostgresCompositeDelete(b *testing.B) {
	db := benchOpenServer(b, benchPostgresEnv, "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	const name = "typeddelete_bench_pairs"
	benchExec(b, db, "DROP TABLE IF EXISTS "+name, "DROP TABLE IF EXISTS "+name+"_tpl",
		"CREATE TABLE "+name+" (a BIGINT, b BIGINT, name TEXT NOT NULL, PRIMARY KEY (a, b))",
		"CREATE TABLE "+name+"_tpl (a BIGINT, b BIGINT, name TEXT NOT NULL)",
		"INSERT INTO "+name+"_tpl SELECT i / 100 + 1, i % 100 + 1, 'pair ' || i FROM generate_series(0, "+strconv.Itoa(benchRows-1)+") AS i")
	t := &benchTable{db: db, name: name, rows: benchRows, refill: []string{
		"TRUNCATE " + name, "INSERT INTO " + name + " SELECT * FROM " + name + "_tpl", "ANALYZE " + name}}
	t.restore(b)
	benchDropOnCleanup(b, t)
	all, err := typeddelete.Query[benchPGPair](typeddelete.NewSession(db)).All(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var objs []*benchPGPair
	var as, bs []int64
	for _, p := range all {
		if p.B%2 == 0 {
			objs = append(objs, p)
			as, bs = append(as, p.A), append(bs, p.B)
		}
	}
	check := func(res sql.Result, want int) error {
		if k, err := res.RowsAffected(); err != nil || k != int64(want) {
			return fmt.Errorf("deleted %d rows of %d (%v)", k, want, err)
		}
		return nil
	}
	benchRunCases(b, t, len(objs), []benchCase{
		benchLibrary(db, objs),
		{
			name: "floor-unnest",
			run: func(ctx context.Context) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				res, err := tx.ExecContext(ctx, "DELETE FROM "+name+" WHERE (a, b) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))", as, bs)
				if err != nil {
					return err
				}
				if err := check(res, len(as)); err != nil {
					return err
				}
				return tx.Commit()
			},
			stmts: func() int { return 1 },
		},
		{
			name: "floor-rows-1000",
			run: func(ctx context.Context) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				for lo := 0; lo < len(as); lo += 1000 {
					hi := min(lo+1000, len(as))
					var sb strings.Builder
					args := make([]any, 0, 2*(hi-lo))
					for i := lo; i < hi; i++ {
						if i > lo {
							sb.WriteByte(',')
						}
						fmt.Fprintf(&sb, "($%d,$%d)", len(args)+1, len(args)+2)
						args = append(args, as[i], bs[i])
					}
					res, err := tx.ExecContext(ctx, "DELETE FROM "+name+" WHERE (a, b) IN ("+sb.String()+")", args...)
					if err != nil {
						return err
					}
					if err := check(res, hi-lo); err != nil {
						return err
					}
				}
				return tx.Commit()
			},
			stmts: func() int { return (len(as) + 999) / 1000 },
		},
	})
}
