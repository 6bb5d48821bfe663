package conformance_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/typeddelete/typeddelete"
)

// Environment variables that point the conformance suite at real servers.
const (
	postgresEnv = "TYPEDDELETE_POSTGRES_DSN" // e.g. postgres://postgres@127.0.0.1:5432/test
	mysqlEnv    = "TYPEDDELETE_MYSQL_DSN"    // e.g. root@tcp(127.0.0.1:3306)/test
	tidbEnv     = "TYPEDDELETE_TIDB_DSN"     // e.g. root@tcp(127.0.0.1:4000)/test (scripts/tidb.sh start)
)

// testDB is one database a conformance test runs against, in a schema (or
// database) of its own that is dropped when the test ends.
type testDB struct {
	Name    string // "sqlite", "sqlite-modernc", "postgres", "mysql", "tidb" or "tidb-optimistic"
	DB      *sql.DB
	Dialect *typeddelete.Dialect
}

// dbKinds are the databases of the conformance suite, in the order they run.
// The mattn SQLite driver needs cgo; mattn_test.go adds it first where
// cgo is on.
var dbKinds = []dbKind{
	{"sqlite-modernc", openModernc},
	{"postgres", openPostgres},
	{"mysql", openMySQL},
	{"tidb", openTiDB},
	{"tidb-optimistic", openTiDBOptimistic},
}

// dbKind names a database of the suite and opens it for one test.
type dbKind struct {
	name string
	open func(t *testing.T) *sql.DB
}

// forEachDB runs fn once per database as a subtest named after it. Server
// databases whose DSN variable is unset are skipped with a message saying
// how to set it, except under CI=true, where that is a failure.
func forEachDB(t *testing.T, fn func(t *testing.T, tdb *testDB)) {
	t.Helper()
	forEachDBWhere(t, func(string) bool { return true }, fn)
}

// forEachDBWhere is forEachDB over the databases whose name is kept by
// keep, for a case that only some of them can show.
func forEachDBWhere(t *testing.T, keep func(name string) bool, fn func(t *testing.T, tdb *testDB)) {
	t.Helper()
	for _, k := range dbKinds {
		if !keep(k.name) {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			db := k.open(t)
			fn(t, &testDB{Name: k.name, DB: db, Dialect: typeddelete.NewSession(db).Dialect()})
		})
	}
}

// forEachDBLarge is forEachDB for cases of tens of thousands of rows or
// keys. Under the race detector it leaves out the modernc driver, whose C
// translated to Go the detector slows tenfold: those cases then take
// minutes there and check nothing of the library that the mattn driver
// does not. The run without cgo, and so without the detector, covers
// modernc.
func forEachDBLarge(t *testing.T, fn func(t *testing.T, tdb *testDB)) {
	t.Helper()
	forEachDBLargeWhere(t, func(string) bool { return true }, fn)
}

// forEachDBLargeWhere is forEachDBLarge over the databases keep keeps.
func forEachDBLargeWhere(t *testing.T, keep func(name string) bool, fn func(t *testing.T, tdb *testDB)) {
	t.Helper()
	forEachDBWhere(t, func(name string) bool {
		return keep(name) && (!raceEnabled || name != "sqlite-modernc")
	}, fn)
}

// session returns a new session over the test database.
func (tdb *testDB) session(opts ...typeddelete.Option) *typeddelete.Session {
	return typeddelete.NewSession(tdb.DB, opts...)
}

// exec runs statements, failing the test on error.
func (tdb *testDB) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := tdb.DB.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %s: %v", tdb.Name, s, err)
		}
	}
}

// tidb reports whether the database is TiDB, in either transaction mode.
func (tdb *testDB) tidb() bool { return strings.HasPrefix(tdb.Name, "tidb") }

// rebind rewrites the ? placeholders of q for the database: $1, $2, ... on
// PostgreSQL.
func (tdb *testDB) rebind(q string) string {
	if tdb.Dialect.Name() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// count returns the number of rows in table.
func (tdb *testDB) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := tdb.DB.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("%s: count %s: %v", tdb.Name, table, err)
	}
	return n
}

// ids returns the id column of table, ascending.
func (tdb *testDB) ids(t *testing.T, table string) []int64 {
	t.Helper()
	rows, err := tdb.DB.QueryContext(context.Background(), "SELECT id FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatalf("%s: ids of %s: %v", tdb.Name, table, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// uniqueName returns a fresh lowercase identifier for a schema or database.
func uniqueName(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "td_" + hex.EncodeToString(b)
}

func openModernc(t *testing.T) *sql.DB {
	path := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.Join(t.TempDir(), "test.db"))
	dsn := "file:" + path +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// serverDSN returns the DSN in env, or skips (fails under CI) when unset.
func serverDSN(t *testing.T, env, example string) string {
	dsn := os.Getenv(env)
	if dsn == "" {
		msg := fmt.Sprintf("%s is unset; set it (for example %s=%q) to run these cases", env, env, example)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

func openPostgres(t *testing.T) *sql.DB { return openPostgresWith(t, nil) }

// openPostgresWith opens PostgreSQL in a schema of its own, with the
// connection parameters params added to the DSN's.
func openPostgresWith(t *testing.T, params url.Values) *sql.DB {
	dsn := serverDSN(t, postgresEnv, "postgres://postgres@127.0.0.1:5432/test")
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := uniqueName(t)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("%s does not connect: %v", postgresEnv, err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		t.Fatalf("%s must be a postgres:// URL: %q", postgresEnv, dsn)
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openMySQL(t *testing.T) *sql.DB {
	return openMySQLDatabase(t, mysqlEnv, "root@tcp(127.0.0.1:3306)/test", nil)
}

// openTiDB opens TiDB in its default, pessimistic transaction mode.
func openTiDB(t *testing.T) *sql.DB {
	return openMySQLDatabase(t, tidbEnv, "root@tcp(127.0.0.1:4000)/test", nil)
}

// openTiDBOptimistic opens TiDB with every connection in optimistic
// transaction mode, where conflicts are found at COMMIT.
func openTiDBOptimistic(t *testing.T) *sql.DB {
	return openMySQLDatabase(t, tidbEnv, "root@tcp(127.0.0.1:4000)/test",
		map[string]string{"tidb_txn_mode": "'optimistic'"})
}

// openMySQLDatabase opens, through the DSN in env, a database of its own
// on a server of the MySQL protocol, with the system variables vars set on
// every connection.
func openMySQLDatabase(t *testing.T, env, example string, vars map[string]string) *sql.DB {
	dsn := serverDSN(t, env, example)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	cfg.MultiStatements = false
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	t.Cleanup(func() { admin.Close() })
	name := uniqueName(t)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("%s does not connect: %v", env, err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE " + name) })
	cfg.DBName = name
	cfg.ParseTime = true
	for k, v := range vars {
		if cfg.Params == nil {
			cfg.Params = make(map[string]string)
		}
		cfg.Params[k] = v
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformanceHarness checks that every database of the suite opens in
// a schema of its own and that tables created there start empty.
func TestConformanceHarness(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		if tdb.Dialect == nil {
			t.Fatalf("%s: no dialect detected", tdb.Name)
		}
		want := map[string]string{"sqlite-modernc": "sqlite", "tidb": "mysql", "tidb-optimistic": "mysql"}[tdb.Name]
		if want == "" {
			want = tdb.Name
		}
		if got := tdb.Dialect.Name(); got != want {
			t.Fatalf("dialect = %q, want %q", got, want)
		}
		if tdb.tidb() {
			mode := strings.TrimPrefix(strings.TrimPrefix(tdb.Name, "tidb"), "-")
			if mode == "" {
				mode = "pessimistic"
			}
			var got string
			if err := tdb.DB.QueryRow("SELECT @@tidb_txn_mode").Scan(&got); err != nil || got != mode {
				t.Fatalf("@@tidb_txn_mode = %q, %v; want %q", got, err, mode)
			}
		}
		tdb.exec(t, "CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL, age INTEGER NOT NULL)")
		if n := tdb.count(t, "users"); n != 0 {
			t.Fatalf("new table has %d rows", n)
		}
	})
}
