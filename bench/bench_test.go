package bench_test

import (
	"cmp"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

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

// Environment variables naming the servers of the server benchmarks, and
// the number of rounds.
const (
	benchPostgresEnv = "TYPEDDELETE_POSTGRES_DSN"
	benchMySQLEnv    = "TYPEDDELETE_MYSQL_DSN"
	benchRoundsEnv   = "TYPEDDELETE_BENCH_ROUNDS"
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

// benchDialect is how a database spells the benchmark tables and restores
// them from their templates.
type benchDialect struct {
	pk     string // an int64 primary key column type
	text   string // a short text column type
	suffix string // table options after the column list
	dollar bool   // $1 placeholders rather than ?
	// refill returns the statements that restore tables (parents before
	// children) from their templates name_tpl.
	refill func(tables ...string) []string
}

// The dialects of the benchmarks.
var (
	benchSQLite = benchDialect{
		pk: "INTEGER PRIMARY KEY", text: "TEXT",
		refill: func(tables ...string) []string {
			// Start every iteration with an empty WAL, so that no timed
			// commit pays for a checkpoint of the refill.
			s := append(benchClear(tables), benchInserts(tables)...)
			return append(s, "PRAGMA wal_checkpoint(TRUNCATE)")
		},
	}
	benchPostgres = benchDialect{
		pk: "BIGINT PRIMARY KEY", text: "TEXT", dollar: true,
		refill: func(tables ...string) []string {
			all := strings.Join(tables, ", ")
			s := append([]string{"TRUNCATE " + all}, benchInserts(tables)...)
			return append(s, "ANALYZE "+all)
		},
	}
	benchMySQL = benchDialect{
		pk: "BIGINT PRIMARY KEY", text: "VARCHAR(64)", suffix: " ENGINE=InnoDB",
		refill: func(tables ...string) []string {
			// TRUNCATE is refused on a table that a foreign key
			// references: DELETE the rows of the parents. ANALYZE, as
			// on PostgreSQL: InnoDB recounts a table's statistics in
			// the background once a tenth of its rows changed, so
			// without it the optimizer plans a timed statement on the
			// counts of an emptied table, or of a refilled one, by
			// chance.
			last := len(tables) - 1
			s := append([]string{"TRUNCATE TABLE " + tables[last]}, benchClear(tables[:last])...)
			s = append(s, benchInserts(tables)...)
			return append(s, "ANALYZE TABLE "+strings.Join(tables, ", "))
		},
	}
)

// benchClear returns a DELETE of every row of each of tables, children
// (the last) first.
func benchClear(tables []string) []string {
	var s []string
	for i := len(tables) - 1; i >= 0; i-- {
		s = append(s, "DELETE FROM "+tables[i])
	}
	return s
}

// benchInserts returns an INSERT of the template rows into each of tables,
// parents (the first) first.
func benchInserts(tables []string) []string {
	var s []string
	for _, t := range tables {
		s = append(s, "INSERT INTO "+t+" SELECT * FROM "+t+"_tpl")
	}
	return s
}

// rowsColumns is the column list of a table of rows (id, name, age).
func (d benchDialect) rowsColumns() string {
	return "(id " + d.pk + ", name " + d.text + " NOT NULL, age INTEGER NOT NULL)" + d.suffix
}

// benchTable is a benchmark table with a template copy of its rows, so that
// every iteration starts from the same data.
type benchTable struct {
	db      *sql.DB
	name    string
	rows    int      // rows in the template(s) of the counted tables
	refill  []string // statements that restore the table from the template
	counted []string // the tables whose rows count adds up; name alone when nil
	keys    int      // keys a run deletes, for the ns/key metric; 0 for none
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

// benchFill inserts rows 1..n into table, 1,000 per statement; columns is
// the column list, row(i) the VALUES tuple of row i.
func benchFill(b *testing.B, db *sql.DB, table, columns string, n int, row func(i int) string) {
	b.Helper()
	const per = 1000
	var sb strings.Builder
	for lo := 1; lo <= n; lo += per {
		sb.Reset()
		sb.WriteString("INSERT INTO " + table + " " + columns + " VALUES ")
		for i := lo; i < lo+per && i <= n; i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			sb.WriteString(row(i))
		}
		benchExec(b, db, sb.String())
	}
}

// benchCreate creates table name and its template name_tpl in dialect d,
// fills the template with rows rows (id 1..rows, age 1..60 cyclic) and the
// table from it.
func benchCreate(b *testing.B, db *sql.DB, d benchDialect, name string, rows int) *benchTable {
	b.Helper()
	tpl := name + "_tpl"
	benchExec(b, db,
		"DROP TABLE IF EXISTS "+name, "DROP TABLE IF EXISTS "+tpl,
		"CREATE TABLE "+name+" "+d.rowsColumns(), "CREATE TABLE "+tpl+" "+d.rowsColumns())
	benchFill(b, db, tpl, "(id, name, age)", rows, func(id int) string {
		return fmt.Sprintf("(%d,'user %d',%d)", id, id, id%60+1)
	})
	t := &benchTable{db: db, name: name, rows: rows, refill: d.refill(name)}
	t.restore(b)
	return t
}

// benchCreateCascade creates parents and children (10 per parent, with a
// foreign key to the parent and an index on it) in dialect d, with their
// templates, fills the templates with n parents and fills the tables. The
// benchTable counts the rows of both tables.
func benchCreateCascade(b *testing.B, db *sql.DB, d benchDialect, parents, children string, n int) *benchTable {
	b.Helper()
	parentCols := "(id " + d.pk + ", name " + d.text + " NOT NULL" + ")" + d.suffix
	childCols := "(id " + d.pk + ", parent_id BIGINT NOT NULL"
	benchExec(b, db,
		"DROP TABLE IF EXISTS "+children, "DROP TABLE IF EXISTS "+children+"_tpl",
		"DROP TABLE IF EXISTS "+parents, "DROP TABLE IF EXISTS "+parents+"_tpl",
		"CREATE TABLE "+parents+" "+parentCols,
		"CREATE TABLE "+children+" "+childCols+", FOREIGN KEY (parent_id) REFERENCES "+parents+" (id))"+d.suffix,
		"CREATE INDEX "+children+"_parent ON "+children+" (parent_id)",
		"CREATE TABLE "+parents+"_tpl "+parentCols,
		"CREATE TABLE "+children+"_tpl "+childCols+")"+d.suffix)
	benchFill(b, db, parents+"_tpl", "(id, name)", n, func(id int) string {
		return fmt.Sprintf("(%d,'parent %d')", id, id)
	})
	benchFill(b, db, children+"_tpl", "(id, parent_id)", n*benchChildren, func(id int) string {
		return fmt.Sprintf("(%d,%d)", id, (id-1)/benchChildren+1)
	})
	t := &benchTable{db: db, name: children, rows: n * (1 + benchChildren),
		refill: d.refill(parents, children), counted: []string{parents, children}}
	t.restore(b)
	return t
}

// restore puts the template rows back in the table.
func (t *benchTable) restore(b *testing.B) {
	b.Helper()
	benchExec(b, t.db, t.refill...)
}

// ready restores the table and prepares c for a run.
func (t *benchTable) ready(b *testing.B, c benchCase) {
	b.Helper()
	t.restore(b)
	if c.prepare != nil {
		c.prepare()
	}
}

// count returns the number of rows in the counted tables.
func (t *benchTable) count(b *testing.B) int {
	b.Helper()
	tables := t.counted
	if tables == nil {
		tables = []string{t.name}
	}
	counts := make([]string, len(tables))
	for i, name := range tables {
		counts[i] = "(SELECT COUNT(*) FROM " + name + ")"
	}
	var n int
	if err := t.db.QueryRowContext(context.Background(), "SELECT "+strings.Join(counts, " + ")).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// benchOpenSQLite opens a WAL SQLite file in b.TempDir with sqlite.Open.
func benchOpenSQLite(b *testing.B) *sql.DB {
	b.Helper()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
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

// benchDropOnCleanup drops the tables (children first) and their templates
// when b ends.
func benchDropOnCleanup(b *testing.B, db *sql.DB, tables ...string) {
	b.Cleanup(func() {
		for _, t := range tables {
			for _, n := range []string{t, t + "_tpl"} {
				db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+n)
			}
		}
	})
}

// benchQuery runs q and calls scan on each row, failing b on error.
func benchQuery(b *testing.B, db *sql.DB, q string, scan func(*sql.Rows) error) {
	b.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		b.Fatalf("%s: %v", benchShort(q), err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
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
	if len(objs) != len(all)/2 {
		b.Fatalf("loaded %d objects to delete of %d, want %d", len(objs), len(all), len(all)/2)
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

// benchRounds is how many rounds benchRunCases runs its cases in: 10, or
// the number in TYPEDDELETE_BENCH_ROUNDS. Go's -count repeats one
// sub-benchmark back to back before the next, so on a shared machine a slow
// spell lands on one case; rounds interleave the cases instead. benchstat
// -ignore /round pools the rounds.
func benchRounds(b *testing.B) int {
	s := os.Getenv(benchRoundsEnv)
	if s == "" {
		return 10
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number of rounds", benchRoundsEnv, s)
	}
	return n
}

// benchOrder returns the order in which round (counted from 0) runs n
// cases: row round of a Williams design, the cases in the order 0, 1,
// m-1, 2, m-2, ... shifted by the round (m is n, made even with a case
// that is then left out). Shifting one order by one each round would keep
// every case right after the same other case, so a case that leaves work
// behind (a WAL to checkpoint, rows to purge) would slow the same next
// case in every round. In this design every case comes first in another
// round and, over m rounds, runs right after each other case once (for an
// odd n, but for the one that followed the left-out case).
func benchOrder(round, n int) []int {
	m := n + n%2
	order := make([]int, 0, m)
	for i := range m {
		base := (i + 1) / 2 // 1, 2, ... at odd places
		if i%2 == 0 {
			base = (m - i/2) % m // 0, m-1, m-2, ... at even places
		}
		if c := (base + round) % m; c < n {
			order = append(order, c)
		}
	}
	return order
}

// benchRunCases runs the cases in benchRounds rounds, each case in turn:
// within a round, one run of each case in benchOrder's order for the
// round, then the next run of each, until each case has run
// benchIterations times. A slow spell of a shared machine, often seconds
// long, then slows every case of the round alike rather than the one case
// that ran during it, so the per-round ratios of two cases pair runs made
// moments apart. After each round it reports each case's mean run as the
// sub-benchmark round=R/case=NAME, in the round's order.
//
// Before the rounds it warms the table up with an untimed run of the
// second case (a floor), then warms up every case (caches of statements
// and metadata, schema reads) with an untimed run of each. Every run
// starts from a collected heap and a restored table, with the clock
// stopped; only the case's transaction is timed. Outside the clock it
// checks that exactly want rows are gone, failing b otherwise. Each case
// reports DELETE statements per op, and ns/key when the table says how
// many keys a run deletes.
func benchRunCases(b *testing.B, t *benchTable, want int, cases []benchCase) {
	b.Helper()
	ctx := context.Background()
	for _, c := range append([]benchCase{cases[1]}, cases...) {
		t.ready(b, c)
		if err := c.run(ctx); err != nil {
			b.Fatalf("warm-up of %s: %v", c.name, err)
		}
	}
	n := benchIterations(b)
	for round := range benchRounds(b) {
		order := benchOrder(round, len(cases))
		elapsed := make([]time.Duration, len(cases))
		stmts := make([]int, len(cases))
		for range n {
			for _, i := range order {
				c := cases[i]
				t.ready(b, c)
				// No case pays for the garbage of the one before it
				// (GORM's and per-row's are large).
				runtime.GC()
				start := time.Now()
				err := c.run(ctx)
				elapsed[i] += time.Since(start)
				if err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
				if got := t.rows - t.count(b); got != want {
					b.Fatalf("%s deleted %d rows, want %d", c.name, got, want)
				}
				stmts[i] += c.stmts()
			}
		}
		b.Run("round="+strconv.Itoa(round+1), func(b *testing.B) {
			for _, i := range order {
				b.Run("case="+cases[i].name, func(b *testing.B) {
					op := float64(elapsed[i].Nanoseconds()) / float64(n)
					b.ReportMetric(op, "ns/op")
					b.ReportMetric(float64(stmts[i])/float64(n), "stmts/op")
					if t.keys > 0 {
						b.ReportMetric(op/float64(t.keys), "ns/key")
					}
				})
			}
		})
	}
}

// benchIterations returns how many times benchRunCases runs each case per
// round: N of -benchtime Nx. The runs of the cases alternate, so they are
// counted, not timed by the testing package; a -benchtime that is a
// duration fails b.
func benchIterations(b *testing.B) int {
	b.Helper()
	f := flag.Lookup("test.benchtime")
	v := ""
	if f != nil {
		v = f.Value.String()
	}
	if s, ok := strings.CutSuffix(v, "x"); ok {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	b.Fatalf("-benchtime %s: these benchmarks take a number of runs per case and round, such as -benchtime 20x", v)
	return 0
}

// benchLibraryCase registers deletes with register on a session and
// commits: what the library sends, whatever it is. Each run uses a new
// session, made outside the timer, as a service makes one per request;
// the sessions share one Catalog, so the catalog is read once, in the
// warm-up run.
func benchLibraryCase(db *sql.DB, register func(*typeddelete.Session) error, opts ...typeddelete.Option) benchCase {
	var s *typeddelete.Session
	opts = append([]typeddelete.Option{typeddelete.WithCatalog(typeddelete.NewCatalog())}, opts...)
	return benchCase{
		name:    "library",
		prepare: func() { s = typeddelete.NewSession(db, opts...) },
		run: func(ctx context.Context) error {
			if err := register(s); err != nil {
				return err
			}
			return s.Commit(ctx)
		},
		stmts: func() int { return s.LastCommit().Statements },
	}
}

// benchLibrary deletes objs with Session.Delete, one call per object, and
// commits.
func benchLibrary[T any](db *sql.DB, objs []*T) benchCase {
	return benchLibraryCase(db, func(s *typeddelete.Session) error {
		for _, o := range objs {
			if err := s.Delete(o); err != nil {
				return err
			}
		}
		return nil
	})
}

// benchLibrarySlice deletes objs with one Session.Delete of the slice, as
// Query.All returns it, and commits, in a session made with opts.
func benchLibrarySlice[T any](db *sql.DB, objs []*T, opts ...typeddelete.Option) benchCase {
	c := benchLibraryCase(db, func(s *typeddelete.Session) error { return s.Delete(objs) }, opts...)
	c.name = "library-slice"
	return c
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

// benchInTx runs f in a transaction of db and commits it.
func benchInTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	return benchInTxAt(ctx, db, nil, f)
}

// benchInTxAt is benchInTx with the transaction's options; nil: the
// server's default isolation.
func benchInTxAt(ctx context.Context, db *sql.DB, opts *sql.TxOptions, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// benchAffected returns the rows a statement deleted.
func benchAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// benchWant returns a check that a statement deleted want rows, to call on
// its results: benchWant(n)(tx.ExecContext(...)).
func benchWant(want int) func(sql.Result, error) error {
	return func(res sql.Result, err error) error {
		n, err := benchAffected(res, err)
		if err == nil && n != int64(want) {
			err = fmt.Errorf("deleted %d rows, want %d", n, want)
		}
		return err
	}
}

// benchShape is one plain way of sending DELETE FROM table WHERE column IN
// (ids) in a transaction: del returns the rows deleted and the statements
// sent.
type benchShape struct {
	name string
	del  func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (rows int64, stmts int, err error)
	tx   *sql.TxOptions // the transaction's options; nil: the server's default
}

// benchReadCommitted is the READ COMMITTED isolation level, that of the
// MySQL dialect's transactions.
var benchReadCommitted = &sql.TxOptions{Isolation: sql.LevelReadCommitted}

// benchAtReadCommitted is shape in a READ COMMITTED transaction, named
// shape's name with -rc.
func benchAtReadCommitted(shape benchShape) benchShape {
	shape.name += "-rc"
	shape.tx = benchReadCommitted
	return shape
}

// benchStep is one delete of a hand-written case: the want rows of table
// whose column is in ids.
type benchStep struct {
	table, column string
	ids           []int64
	want          int
}

// benchKeys is the step that deletes the rows of table with the ids.
func benchKeys(table string, ids []int64) benchStep {
	return benchStep{table: table, column: "id", ids: ids, want: len(ids)}
}

// benchFloor is a hand-written database/sql case: the steps in order, in
// one transaction, each sent in shape and checked to delete its want rows.
func benchFloor(db *sql.DB, name string, shape benchShape, steps ...benchStep) benchCase {
	stmts := 0
	return benchCase{
		name: name,
		run: func(ctx context.Context) error {
			stmts = 0
			return benchInTxAt(ctx, db, shape.tx, func(tx *sql.Tx) error {
				for _, s := range steps {
					n, k, err := shape.del(ctx, tx, s.table, s.column, s.ids)
					stmts += k
					if err != nil {
						return err
					}
					if n != int64(s.want) {
						return fmt.Errorf("%s: deleted %d rows, want %d", s.table, n, s.want)
					}
				}
				return nil
			})
		},
		stmts: func() int { return stmts },
	}
}

// benchObjsFloor is benchFloor of one step that first reads the keys from
// the loaded objects, inside the timer, as hand-written code deleting
// loaded objects must: the floor of a loaded-object delete, where
// benchFloor's keys come for free.
func benchObjsFloor[T any](db *sql.DB, shape benchShape, table string, objs []*T, id func(*T) int64) benchCase {
	ids := make([]int64, len(objs))
	c := benchFloor(db, "objs-"+shape.name, shape, benchStep{table: table, column: "id", ids: ids, want: len(objs)})
	run := c.run
	c.run = func(ctx context.Context) error {
		for i, o := range objs {
			ids[i] = id(o)
		}
		return run(ctx)
	}
	return c
}

// benchIn sends IN lists of chunk bound parameters, one statement per chunk.
// Prepared, it prepares the statement of a full chunk once per transaction
// and executes it for every full chunk.
func benchIn(chunk int, dollar, prepared bool) benchShape {
	name := "in-" + strconv.Itoa(chunk)
	if prepared {
		name = "prep-" + name
	}
	return benchShape{name: name, del: func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (int64, int, error) {
		q := func(n int) string {
			return "DELETE FROM " + table + " WHERE " + column + " IN (" + benchPlaceholders(n, dollar) + ")"
		}
		var stmt *sql.Stmt
		if prepared && len(ids) >= chunk {
			var err error
			if stmt, err = tx.PrepareContext(ctx, q(chunk)); err != nil {
				return 0, 0, err
			}
			defer stmt.Close()
		}
		args := make([]any, 0, min(chunk, len(ids)))
		return benchChunks(ids, chunk, func(part []int64) (int64, error) {
			args = args[:0]
			for _, id := range part {
				args = append(args, id)
			}
			if stmt != nil && len(part) == chunk {
				return benchAffected(stmt.ExecContext(ctx, args...))
			}
			return benchAffected(tx.ExecContext(ctx, q(len(part)), args...))
		})
	}}
}

// benchChunks calls del on each chunk of ids in turn, at most chunk keys
// each, until one fails, and returns the rows they deleted and how many
// statements they sent.
func benchChunks(ids []int64, chunk int, del func(part []int64) (int64, error)) (int64, int, error) {
	var rows int64
	stmts := 0
	for lo := 0; lo < len(ids); lo += chunk {
		n, err := del(ids[lo:min(lo+chunk, len(ids))])
		stmts++
		if err != nil {
			return rows, stmts, err
		}
		rows += n
	}
	return rows, stmts, nil
}

// benchAppendIDs appends ids to b as integers separated by commas.
func benchAppendIDs(b []byte, ids []int64) []byte {
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return b
}

// benchLiteral writes the keys into the SQL text as integer literals,
// chunk per statement, as bun does. With scan, each statement also bounds
// the keys' range and hides the list from the range optimizer, column
// BETWEEN lo AND hi AND column + 0 IN (...), as the library does for keys
// that fill their range closely.
func benchLiteral(chunk int, scan bool) benchShape {
	name := "literal-"
	if scan {
		name = "literal-scan-"
	}
	return benchShape{name: name + strconv.Itoa(chunk), del: func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (int64, int, error) {
		var q []byte
		return benchChunks(ids, chunk, func(part []int64) (int64, error) {
			q = append(q[:0], "DELETE FROM "+table+" WHERE "...)
			if scan {
				q = append(q, column+" BETWEEN "...)
				q = strconv.AppendInt(q, slices.Min(part), 10)
				q = append(q, " AND "...)
				q = strconv.AppendInt(q, slices.Max(part), 10)
				q = append(q, " AND "+column+" + 0"...)
			} else {
				q = append(q, column...)
			}
			q = append(benchAppendIDs(append(q, " IN ("...), part), ')')
			return benchAffected(tx.ExecContext(ctx, string(q)))
		})
	}}
}

// benchJSONEach is the SQLite set of keys in one statement: the keys as one
// JSON array parameter, read back by json_each.
func benchJSONEach() benchShape { return benchJSONChunks(0) }

// benchJSONChunks is benchJSONEach with at most chunk keys per statement
// (all of them for 0).
func benchJSONChunks(chunk int) benchShape {
	name := "json-each"
	if chunk > 0 {
		name += "-" + strconv.Itoa(chunk)
	}
	return benchShape{name: name, del: func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (int64, int, error) {
		per := len(ids)
		if chunk > 0 {
			per = chunk
		}
		return benchChunks(ids, per, func(part []int64) (int64, error) {
			arr := append(benchAppendIDs(append(make([]byte, 0, 8*len(part)+2), '['), part), ']')
			return benchAffected(tx.ExecContext(ctx,
				"DELETE FROM "+table+" WHERE "+column+" IN (SELECT value FROM json_each(?))", string(arr)))
		})
	}}
}

// benchAny is the PostgreSQL set of keys in one statement: = ANY($1) with
// the keys as one array parameter.
func benchAny() benchShape {
	return benchShape{name: "any", del: func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (int64, int, error) {
		n, err := benchAffected(tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+column+" = ANY($1)", ids))
		return n, 1, err
	}}
}

// benchPerRow deletes one row per statement with a prepared DELETE ...
// WHERE column = ?: what SQLAlchemy, and GORM called once per object, send.
func benchPerRow(dollar bool) benchShape {
	return benchShape{name: "per-row", del: func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (int64, int, error) {
		stmt, err := tx.PrepareContext(ctx, "DELETE FROM "+table+" WHERE "+column+" = "+benchPlaceholders(1, dollar))
		if err != nil {
			return 0, 0, err
		}
		defer stmt.Close()
		var rows int64
		for i, id := range ids {
			n, err := benchAffected(stmt.ExecContext(ctx, id))
			if err != nil {
				return rows, i + 1, err
			}
			rows += n
		}
		return rows, len(ids), nil
	}}
}

// benchFloorExec is the hand-written bulk delete: one Exec of q in a
// transaction at the server's default isolation.
func benchFloorExec(db *sql.DB, q string, args ...any) benchCase {
	return benchFloorExecAt(db, nil, q, args...)
}

// benchFloorExecAt is benchFloorExec in a transaction with opts.
func benchFloorExecAt(db *sql.DB, opts *sql.TxOptions, q string, args ...any) benchCase {
	return benchCase{
		name: "floor-exec",
		run: func(ctx context.Context) error {
			return benchInTxAt(ctx, db, opts, func(tx *sql.Tx) error {
				_, err := benchAffected(tx.ExecContext(ctx, q, args...))
				return err
			})
		},
		stmts: func() int { return 1 },
	}
}

// BenchmarkSQLiteDelete deletes 5,000 loaded objects (every other id of
// 10,000 rows) in one transaction on a WAL SQLite file: the library
// (Session.Delete per object, then Commit) against the hand-written
// shapes of the same delete: IN chunks of 500 bound parameters, sent
// plainly and prepared once; the keys as integer literals in the SQL
// text, 500 per statement and all 5,000 in one (bun's shape); one JSON
// array parameter through json_each; and per-row prepared DELETEs.
func BenchmarkSQLiteDelete(b *testing.B) {
	t := benchCreate(b, benchOpenSQLite(b), benchSQLite, "users", benchRows)
	objs, ids := benchLoad(b, t.db, func(u *benchUser) int64 { return u.ID })
	floor := func(s benchShape) benchCase { return benchFloor(t.db, "floor-"+s.name, s, benchKeys("users", ids)) }
	benchRunCases(b, t, benchDeletes, []benchCase{
		benchLibrary(t.db, objs),
		floor(benchIn(benchChunk, false, false)),
		benchLibraryCommit(t.db, objs),
		floor(benchIn(benchChunk, false, true)),
		floor(benchLiteral(benchChunk, false)),
		floor(benchLiteral(benchDeletes, false)),
		floor(benchJSONEach()),
		benchFloor(t.db, "per-row", benchPerRow(false), benchKeys("users", ids)),
	})
}

// BenchmarkSQLiteJSONShapes times the two ways SQLite can take a list of
// integer keys in one statement, at 30 to 3,000 keys: IN lists of 500
// bound parameters, prepared once (floor-prep-in-500), and JSON arrays
// through json_each, all keys in one (floor-json-each) or 1,000 per
// statement (floor-json-each-1000). keys=N deletes N rows of 2N by their
// key, beside the library; children=N deletes the children, 10 each, of N
// parents of 2N by their foreign key, as the library's cascades do.
func BenchmarkSQLiteJSONShapes(b *testing.B) {
	db := benchOpenSQLite(b)
	shapes := []benchShape{benchIn(benchChunk, false, true), benchJSONEach(), benchJSONChunks(1000)}
	for _, n := range []int{30, 100, 300, 1000, 3000} {
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			t := benchCreate(b, db, benchSQLite, "users", 2*n)
			benchDropOnCleanup(b, db, "users")
			objs, ids := benchLoad(b, db, func(u *benchUser) int64 { return u.ID })
			cases := []benchCase{benchLibrary(db, objs)}
			for _, s := range shapes {
				cases = append(cases, benchFloor(db, "floor-"+s.name, s, benchKeys("users", ids)))
			}
			benchRunCases(b, t, n, cases)
		})
		b.Run("children="+strconv.Itoa(n), func(b *testing.B) {
			t := benchCreateCascade(b, db, benchSQLite, peerParents, peerChildren, 2*n)
			benchDropOnCleanup(b, db, peerChildren, peerParents)
			ids := make([]int64, n)
			for i := range ids {
				ids[i] = int64(2 * (i + 1))
			}
			var cases []benchCase
			for _, s := range shapes {
				cases = append(cases, benchFloor(db, "floor-"+s.name, s,
					benchStep{table: peerChildren, column: "parent_id", ids: ids, want: n * benchChildren}))
			}
			benchRunCases(b, t, n*benchChildren, cases)
		})
	}
}

// benchKeyedUser is benchUser keyed by a string: Session.Delete holds its
// keys unboxed too.
type benchKeyedUser struct {
	Key  string `db:"key,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func (benchKeyedUser) TableName() string { return "keyed_users" }

// BenchmarkSessionDelete measures Session.Delete alone, for int64 keys and
// for string keys: one op is 5,000 calls, one object each (keys=int64,
// keys=string), or one call of the 5,000 as a slice (keys=*-slice), into a
// session that sends nothing; the session is reset with Rollback outside
// the timer, which gives its key array back for the next op to reuse. It
// reports the cost per object: ns/object, allocs/object and B/object
// (allocs/op and B/op are per 5,000). It runs benchRounds rounds of
// round=R/keys=KIND, in benchOrder's order for the round.
func BenchmarkSessionDelete(b *testing.B) {
	db := benchOpenSQLite(b)
	ints := make([]*benchUser, benchDeletes)
	strs := make([]*benchKeyedUser, benchDeletes)
	for i := range benchDeletes {
		id := int64(2 * (i + 1))
		name := "user " + strconv.FormatInt(id, 10)
		ints[i] = &benchUser{ID: id, Name: name, Age: int(id%60) + 1}
		strs[i] = &benchKeyedUser{Key: "k" + strconv.FormatInt(id, 36), Name: name, Age: int(id%60) + 1}
	}
	s := typeddelete.NewSession(db)
	kinds := []struct {
		name string
		run  func(b *testing.B)
	}{
		{"int64", func(b *testing.B) { benchSessionDelete(b, s, ints, false) }},
		{"string", func(b *testing.B) { benchSessionDelete(b, s, strs, false) }},
		{"int64-slice", func(b *testing.B) { benchSessionDelete(b, s, ints, true) }},
		{"string-slice", func(b *testing.B) { benchSessionDelete(b, s, strs, true) }},
	}
	for round := range benchRounds(b) {
		b.Run("round="+strconv.Itoa(round+1), func(b *testing.B) {
			for _, i := range benchOrder(round, len(kinds)) {
				b.Run("keys="+kinds[i].name, kinds[i].run)
			}
		})
	}
}

// benchSessionDelete is one sub-benchmark of BenchmarkSessionDelete: it
// deletes objs one call each, or all in one call of the slice.
func benchSessionDelete[T any](b *testing.B, s *typeddelete.Session, objs []*T, slice bool) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	var mallocs, bytes uint64
	b.StopTimer()
	for range b.N {
		runtime.ReadMemStats(&before)
		b.StartTimer()
		if slice {
			if err := s.Delete(objs); err != nil {
				b.Fatal(err)
			}
		} else {
			for _, o := range objs {
				if err := s.Delete(o); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		mallocs += after.Mallocs - before.Mallocs
		bytes += after.TotalAlloc - before.TotalAlloc
		if err := s.Rollback(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N) * float64(len(objs))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/object")
	b.ReportMetric(float64(mallocs)/n, "allocs/object")
	b.ReportMetric(float64(bytes)/n, "B/object")
}

// BenchmarkBulkDelete deletes the 49,991 of 100,000 SQLite rows with age > 30:
// Query[User].Filter(age.Gt(30)).Delete() and Commit against db.Exec of the
// same SQL in a transaction.
func BenchmarkBulkDelete(b *testing.B) {
	t := benchCreate(b, benchOpenSQLite(b), benchSQLite, "users", benchBulkRows)
	age := typeddelete.Col(func(u *benchUser) *int { return &u.Age })
	q, args, err := typeddelete.Query[benchUser](typeddelete.NewSession(t.db)).Filter(age.Gt(benchBulkAge)).DeleteSQL()
	if err != nil {
		b.Fatal(err)
	}
	var want int
	if err := t.db.QueryRow("SELECT COUNT(*) FROM users_tpl WHERE age > ?", benchBulkAge).Scan(&want); err != nil {
		b.Fatal(err)
	}
	benchRunCases(b, t, want, []benchCase{
		benchLibraryCase(t.db, func(s *typeddelete.Session) error {
			_, err := typeddelete.Query[benchUser](s).Filter(age.Gt(benchBulkAge)).Delete()
			return err
		}),
		benchFloorExec(t.db, q, args...),
	})
}

// BenchmarkPostgresDelete deletes every other row of 10,000 on PostgreSQL
// in one transaction: the library against one DELETE ... = ANY($1), IN
// chunks of 500 and per-row prepared DELETEs.
func BenchmarkPostgresDelete(b *testing.B) {
	db := benchOpenServer(b, benchPostgresEnv, "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	const name = "typeddelete_bench_pg"
	t := benchCreate(b, db, benchPostgres, name, benchRows)
	benchDropOnCleanup(b, db, name)
	objs, ids := benchLoad(b, db, func(r *benchPGRow) int64 { return r.ID })
	benchRunCases(b, t, benchDeletes, []benchCase{
		benchLibrary(db, objs),
		benchFloor(db, "floor-any", benchAny(), benchKeys(name, ids)),
		benchLibraryCommit(db, objs),
		benchFloor(db, "floor-in-500", benchIn(500, true, false), benchKeys(name, ids)),
		benchFloor(db, "per-row", benchPerRow(true), benchKeys(name, ids)),
	})
}

// BenchmarkPostgresExecMode measures what pgx's statement cache is worth
// to a delete of 50,000 loaded objects, every other row of 100,000. With
// the cache, pgx's default, a connection prepares "id = ANY($1)" once and
// PostgreSQL plans it for the array's values on its first five
// executions, then once for any array. Without it (cases *-exec,
// default_query_exec_mode=exec, as behind a pooler in transaction mode)
// it plans every execution for the values: 50,000 selectivity estimates.
// floor-hidden hides the array from the planner in a scalar subquery,
// = ANY((SELECT $1::bigint[])::bigint[]), as the library sends 1,000 keys
// or more.
func BenchmarkPostgresExecMode(b *testing.B) {
	db := benchOpenServer(b, benchPostgresEnv, "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	cfg, err := pgx.ParseConfig(os.Getenv(benchPostgresEnv))
	if err != nil {
		b.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	exec := stdlib.OpenDB(*cfg)
	b.Cleanup(func() { exec.Close() })
	const keys = 50_000
	t, objs, ids := peerLoad(b, db, benchPostgres, keys)
	hidden := benchShape{name: "hidden", del: func(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (int64, int, error) {
		n, err := benchAffected(tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+column+" = ANY((SELECT $1::bigint[])::bigint[])", ids))
		return n, 1, err
	}}
	var cases []benchCase
	for _, m := range []struct {
		db     *sql.DB
		suffix string
	}{{db, ""}, {exec, "-exec"}} {
		lib := benchLibrarySlice(m.db, objs)
		lib.name += m.suffix
		cases = append(cases, lib,
			benchFloor(m.db, "floor-any"+m.suffix, benchAny(), benchKeys(peerRows, ids)),
			benchFloor(m.db, "floor-hidden"+m.suffix, hidden, benchKeys(peerRows, ids)))
	}
	benchRunCases(b, t, keys, cases)
}

// BenchmarkMySQLDelete deletes every other row of 10,000 on MariaDB (or
// MySQL) in one transaction: the library against IN chunks of several
// sizes and per-row prepared DELETEs.
func BenchmarkMySQLDelete(b *testing.B) {
	db := benchOpenServer(b, benchMySQLEnv, "mysql", "root@tcp(127.0.0.1:3306)/test")
	const name = "typeddelete_bench_mysql"
	t := benchCreate(b, db, benchMySQL, name, benchRows)
	benchDropOnCleanup(b, db, name)
	objs, ids := benchLoad(b, db, func(r *benchMyRow) int64 { return r.ID })
	cases := []benchCase{benchLibrary(db, objs), benchLibraryCommit(db, objs)}
	for _, chunk := range []int{500, 1000, 5000, 20000} {
		cases = append(cases, benchFloor(db, "floor-in-"+strconv.Itoa(chunk), benchIn(chunk, false, false), benchKeys(name, ids)))
	}
	cases = append(cases, benchFloor(db, "per-row", benchPerRow(false), benchKeys(name, ids)))
	benchRunCases(b, t, benchDeletes, cases)
}

// BenchmarkMySQLIsolation measures what the session's READ COMMITTED
// transactions cost on MariaDB against the server's default, REPEATABLE
// READ: the same statement in transactions begun at either level. keys:
// 50,000 integer keys (every other row of 100,000) as one IN list of
// literals, the library's statement, and in two other shapes that visit
// fewer rows, to see whether one of them wins back READ COMMITTED's cost:
// the primary key forced, and the list as a subquery over a table value
// constructor; bulk: age > 30 on 100,000 rows, a scan of the table.
func BenchmarkMySQLIsolation(b *testing.B) {
	db := benchOpenServer(b, benchMySQLEnv, "mysql", "root@tcp(127.0.0.1:3306)/test")
	const name, rows = "typeddelete_bench_iso", 100_000
	levels := []struct {
		name string
		opts *sql.TxOptions
	}{{"repeatable-read", nil}, {"read-committed", &sql.TxOptions{Isolation: sql.LevelReadCommitted}}}
	// stmt is a statement and the shape that names its cases.
	type stmt struct{ shape, q string }
	// run runs each of stmts at each level, in cases named level or
	// level-shape.
	run := func(b *testing.B, stmts []stmt, want int) {
		t := benchCreate(b, db, benchMySQL, name, rows)
		benchDropOnCleanup(b, db, name)
		var cases []benchCase
		for _, st := range stmts {
			for _, l := range levels {
				c := benchCase{name: l.name, stmts: func() int { return 1 }, run: func(ctx context.Context) error {
					tx, err := db.BeginTx(ctx, l.opts)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					if err := benchWant(want)(tx.ExecContext(ctx, st.q)); err != nil {
						return err
					}
					return tx.Commit()
				}}
				if st.shape != "" {
					c.name += "-" + st.shape
				}
				cases = append(cases, c)
			}
		}
		benchRunCases(b, t, want, cases)
	}
	b.Run("keys=50000", func(b *testing.B) {
		var list, values []byte
		for id := 2; id <= rows; id += 2 {
			if id > 2 {
				list, values = append(list, ','), append(values, ',')
			}
			list = strconv.AppendInt(list, int64(id), 10)
			values = strconv.AppendInt(append(values, '('), int64(id), 10)
			values = append(values, ')')
		}
		run(b, []stmt{
			{"", "DELETE FROM " + name + " WHERE id IN (" + string(list) + ")"},
			{"force-primary", "DELETE " + name + " FROM " + name + " FORCE INDEX (PRIMARY) WHERE id IN (" + string(list) + ")"},
			{"values", "DELETE FROM " + name + " WHERE id IN (SELECT * FROM (VALUES " + string(values) + ") AS v)"},
			{"range-scan", "DELETE FROM " + name + " WHERE id BETWEEN 2 AND " + strconv.Itoa(rows) + " AND id + 0 IN (" + string(list) + ")"},
		}, rows/2)
	})
	b.Run("bulk=100000", func(b *testing.B) {
		// age is id % 60 + 1: ages 31 to 60 are half of each 60 ids.
		want := 0
		for id := 1; id <= rows; id++ {
			if id%60+1 > benchBulkAge {
				want++
			}
		}
		run(b, []stmt{{"", "DELETE FROM " + name + " WHERE age > " + strconv.Itoa(benchBulkAge)}}, want)
	})
}

// BenchmarkMySQLDenseKeys deletes 5,000 loaded objects of 100,000 rows on
// MariaDB (or MySQL), every step-th row from the first, in one transaction:
// the plain list of literals against the range scan (BETWEEN, then "+ 0"
// IN the list) that the library sends for keys under three rows apart,
// and the library itself, at its own isolation and at the server's, the
// floors'. Where the scan stops paying is where the library switches.
func BenchmarkMySQLDenseKeys(b *testing.B) {
	db := benchOpenServer(b, benchMySQLEnv, "mysql", "root@tcp(127.0.0.1:3306)/test")
	const rows, keys = 100_000, 5000
	name := benchMyRow{}.TableName()
	t := benchCreate(b, db, benchMySQL, name, rows)
	benchDropOnCleanup(b, db, name)
	t.keys = keys
	id := typeddelete.Col(func(r *benchMyRow) *int64 { return &r.ID })
	all, err := typeddelete.Query[benchMyRow](typeddelete.NewSession(db)).Filter(id.Le(6 * keys)).All(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	slices.SortFunc(all, func(x, y *benchMyRow) int { return cmp.Compare(x.ID, y.ID) })
	for _, step := range []int{1, 2, 3, 4, 6} {
		b.Run("step="+strconv.Itoa(step), func(b *testing.B) {
			var objs []*benchMyRow
			var ids []int64
			for i := 0; len(objs) < keys; i += step {
				objs, ids = append(objs, all[i]), append(ids, all[i].ID)
			}
			c := benchLibrarySlice(db, objs, peerServerTx)
			c.name = "library-slice-server-tx"
			benchRunCases(b, t, keys, []benchCase{
				benchLibrarySlice(db, objs), c,
				benchFloor(db, "floor-literal-5000", benchLiteral(keys, false), benchKeys(name, ids)),
				benchFloor(db, "floor-literal-scan-5000", benchLiteral(keys, true), benchKeys(name, ids)),
			})
		})
	}
}

// benchLibraryCommit is benchLibrary with Session.Delete outside the timer:
// the cost of Commit alone, which the server targets are stated for, in a
// session made with opts.
func benchLibraryCommit[T any](db *sql.DB, objs []*T, opts ...typeddelete.Option) benchCase {
	var s *typeddelete.Session
	opts = append([]typeddelete.Option{typeddelete.WithCatalog(typeddelete.NewCatalog())}, opts...)
	return benchCase{
		name: "library-commit",
		prepare: func() {
			s = typeddelete.NewSession(db, opts...)
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
	db := benchOpenSQLite(b)
	t := benchCreateCascade(b, db, benchSQLite, "bench_parents", "bench_children", benchParents)
	var parents []*benchParent
	var ids []int64
	for id := int64(2); id <= benchParents; id += 2 {
		parents = append(parents, &benchParent{ID: id, Name: "parent " + strconv.FormatInt(id, 10)})
		ids = append(ids, id)
	}
	benchRunCases(b, t, len(ids)*(1+benchChildren), []benchCase{
		benchLibrary(db, parents),
		benchFloor(db, "floor-set-based", benchIn(benchChunk, false, false),
			benchStep{table: "bench_children", column: "parent_id", ids: ids, want: len(ids) * benchChildren},
			benchKeys("bench_parents", ids)),
		benchLibraryCommit(db, parents),
	})
}

type benchPGPair struct {
	A    int64  `db:"a,pk"`
	B    int64  `db:"b,pk"`
	Name string `db:"name"`
}

func (benchPGPair) TableName() string { return "typeddelete_bench_pairs" }

type benchPGTextPair struct {
	A    string `db:"a,pk"`
	B    string `db:"b,pk"`
	Name string `db:"name"`
}

func (benchPGTextPair) TableName() string { return "typeddelete_bench_tpairs" }

// BenchmarkPostgresCompositeDelete deletes 5,000 of 10,000 rows with a
// two-column key on PostgreSQL in one transaction, for integer and for
// text keys: the library (one array per column through unnest, typed from
// the catalog) against one DELETE written by hand the same way, and
// against row values in one statement per 1,000 keys: which form
// composite keys should take.
func BenchmarkPostgresCompositeDelete(b *testing.B) {
	db := benchOpenServer(b, benchPostgresEnv, "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	b.Run("keys=int", func(b *testing.B) {
		benchPGComposite(b, db, "bigint", "i / 100 + 1", "i % 100 + 1", func(p *benchPGPair) (any, any, bool) { return p.A, p.B, p.B%2 == 0 })
	})
	b.Run("keys=text", func(b *testing.B) {
		benchPGComposite(b, db, "text", "'t' || (i / 100 + 1)", "'k' || lpad((i % 100 + 1)::text, 3, '0')", func(p *benchPGTextPair) (any, any, bool) {
			n, _ := strconv.Atoi(strings.TrimLeft(p.B[1:], "0"))
			return p.A, p.B, n%2 == 0
		})
	})
}

// benchPGComposite runs the composite-key cases on model T, whose table
// has a key (a, b) of SQL type typ filled from i by the expressions aExpr
// and bExpr; key returns an object's key and whether it is deleted.
func benchPGComposite[T any](b *testing.B, db *sql.DB, typ, aExpr, bExpr string, key func(*T) (any, any, bool)) {
	name := any(*new(T)).(interface{ TableName() string }).TableName()
	benchExec(b, db, "DROP TABLE IF EXISTS "+name, "DROP TABLE IF EXISTS "+name+"_tpl",
		"CREATE TABLE "+name+" (a "+typ+", b "+typ+", name TEXT NOT NULL, PRIMARY KEY (a, b))",
		"CREATE TABLE "+name+"_tpl (a "+typ+", b "+typ+", name TEXT NOT NULL)",
		"INSERT INTO "+name+"_tpl SELECT "+aExpr+", "+bExpr+", 'pair ' || i FROM generate_series(0, "+strconv.Itoa(benchRows-1)+") AS i")
	t := &benchTable{db: db, name: name, rows: benchRows, refill: benchPostgres.refill(name)}
	t.restore(b)
	benchDropOnCleanup(b, db, name)
	all, err := typeddelete.Query[T](typeddelete.NewSession(db)).All(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var objs []*T
	var as, bs []any
	for _, p := range all {
		if ka, kb, del := key(p); del {
			objs = append(objs, p)
			as, bs = append(as, ka), append(bs, kb)
		}
	}
	// Typed arrays, as pgx encodes them.
	arr := func(vs []any) any {
		if typ == "bigint" {
			out := make([]int64, len(vs))
			for i, v := range vs {
				out[i] = v.(int64)
			}
			return out
		}
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v.(string)
		}
		return out
	}
	unnest := func(ctx context.Context, aArr, bArr any) error {
		return benchInTx(ctx, db, func(tx *sql.Tx) error {
			return benchWant(len(as))(tx.ExecContext(ctx, "DELETE FROM "+name+" WHERE (a, b) IN (SELECT * FROM unnest($1::"+typ+"[], $2::"+typ+"[]))", aArr, bArr))
		})
	}
	aArr, bArr := arr(as), arr(bs)
	benchRunCases(b, t, len(objs), []benchCase{
		benchLibrary(db, objs),
		benchLibrarySlice(db, objs),
		{
			name:  "floor-unnest",
			run:   func(ctx context.Context) error { return unnest(ctx, aArr, bArr) },
			stmts: func() int { return 1 },
		},
		{
			// A join instead of IN: no de-duplication of the keys, rows
			// visited in the arrays' order.
			name: "floor-unnest-using",
			run: func(ctx context.Context) error {
				return benchInTx(ctx, db, func(tx *sql.Tx) error {
					return benchWant(len(as))(tx.ExecContext(ctx, "DELETE FROM "+name+" AS t USING unnest($1::"+typ+"[], $2::"+typ+"[]) AS k (a, b) WHERE t.a = k.a AND t.b = k.b", aArr, bArr))
				})
			},
			stmts: func() int { return 1 },
		},
		{
			// The floor reading the keys from the objects inside the timer,
			// as the library must.
			name: "objs-unnest",
			run: func(ctx context.Context) error {
				as, bs := as[:0], bs[:0]
				for _, o := range objs {
					ka, kb, _ := key(o)
					as, bs = append(as, ka), append(bs, kb)
				}
				return unnest(ctx, arr(as), arr(bs))
			},
			stmts: func() int { return 1 },
		},
		{
			name: "floor-rows-1000",
			run: func(ctx context.Context) error {
				return benchInTx(ctx, db, func(tx *sql.Tx) error {
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
						if err := benchWant(hi - lo)(tx.ExecContext(ctx, "DELETE FROM "+name+" WHERE (a, b) IN ("+sb.String()+")", args...)); err != nil {
							return err
						}
					}
					return nil
				})
			},
			stmts: func() int { return (len(as) + 999) / 1000 },
		},
	})
}
