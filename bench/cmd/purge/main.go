// Command purge measures TypedQuery.Purge against a hand-written keyset
// loop of the same chunk size, against other statement shapes for a chunk
// and, on MySQL or MariaDB, Percona's pt-archiver, on one table of N rows
// of which about 48% match, in interleaved rounds, checking the rows left
// after every run. It reports per case the median time and rows/s, the
// paired ratio of the case to the loop, the library's peak Go heap, and
// optionally, per case, the time of a chunk and the waits of a concurrent
// writer updating rows the purge does not touch.
//
// The cases (-cases, comma-separated):
//
//	library       TypedQuery.Purge
//	keyset-loop   the library's shape by hand: per chunk, in a transaction,
//	              SELECT id ... WHERE day < ? AND id > cursor ORDER BY id
//	              LIMIT n [FOR UPDATE], then DELETE by those keys as the
//	              dialect sends keys: IN (?, ...) in statements of 500 on
//	              SQLite, = ANY($1) on PostgreSQL, IN (literals) on MySQL
//	json-each     SQLite: the same read, then one DELETE ... WHERE id IN
//	              (SELECT value FROM json_each(?)) with the keys as JSON
//	subquery      one statement per chunk that picks its own keys:
//	              SQLite, PostgreSQL: DELETE ... WHERE id IN (SELECT id ...
//	              AND id > cursor ORDER BY id LIMIT n) RETURNING id, the
//	              keys returned moving the cursor; MySQL: DELETE ... WHERE
//	              id IN (SELECT id FROM (SELECT id ... ORDER BY id LIMIT n)
//	              t), the derived table dodging error 1093 and LIMIT in IN;
//	              with no RETURNING, each chunk starts again at the first
//	              matching key, the earlier ones being gone
//	any-array     PostgreSQL: DELETE ... WHERE id = ANY(ARRAY(SELECT id ...
//	              ORDER BY id LIMIT n)) RETURNING id
//	delete-limit  MySQL: DELETE ... WHERE day < ? ORDER BY id LIMIT n
//	range         MySQL: the keyset loop's locked read, then one DELETE of
//	              the key range it covered, as pt-archiver --bulk-delete
//	              sends it: WHERE id > cursor AND id <= last AND day < ?
//	last-key      MySQL: per chunk, in a transaction, the chunk's last key
//	              alone (SELECT id ... ORDER BY id LIMIT 1 OFFSET n-1 FOR
//	              UPDATE), then the range DELETE up to it
//	returning     MariaDB: DELETE ... WHERE day < ? AND id > cursor ORDER
//	              BY id LIMIT n RETURNING id, in autocommit
//
// The one-statement shapes fit only a model without relations or hooks,
// where nothing else needs a chunk's keys; they run in autocommit, one
// statement a transaction.
//
//	go run ./bench/cmd/purge -db sqlite -rows 1000000 -chunks 1000
//	go run ./bench/cmd/purge -db sqlite -cases keyset-loop,json-each,subquery
//	go run ./bench/cmd/purge -db postgres -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -writer
//	go run ./bench/cmd/purge -db mysql -dsn 'root@tcp(127.0.0.1:3306)/test' -ptarchiver -chunks 500,1000,5000,20000
//	go run ./bench/cmd/purge -db sqlite -rows 20700000 -rounds 1 -cases library   # 10M matching rows
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// Event is the purged model.
type Event struct {
	ID      int64 `db:"id,pk"`
	Day     int   `db:"day"`
	Payload int64 `db:"payload"`
}

func (Event) TableName() string { return "purge_events" }

// cutoff: rows with day < cutoff match; days run 0..999, so 48.3% match.
const cutoff = 483

type config struct {
	db, dsn    string
	rows       int
	chunks     []int
	rounds     int
	cases      []string
	ptArchiver bool
	writer     bool
}

func main() {
	var c config
	var chunks string
	flag.StringVar(&c.db, "db", "sqlite", "sqlite, postgres or mysql")
	flag.StringVar(&c.dsn, "dsn", "", "data source name (servers)")
	flag.IntVar(&c.rows, "rows", 1_000_000, "rows in the table")
	flag.StringVar(&chunks, "chunks", "1000", "chunk sizes, comma-separated: one sweep step each")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds of every case")
	cases := flag.String("cases", "library,keyset-loop", "cases to run, comma-separated: library, keyset-loop, json-each (sqlite), subquery, any-array (postgres), delete-limit (mysql)")
	flag.BoolVar(&c.ptArchiver, "ptarchiver", false, "also run pt-archiver --purge --commit-each --bulk-delete (mysql)")
	flag.BoolVar(&c.writer, "writer", false, "run a concurrent writer and report its waits")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	for _, name := range strings.Split(*cases, ",") {
		name = strings.TrimSpace(name)
		if dbs, ok := caseDBs[name]; !ok || len(dbs) > 0 && !slices.Contains(dbs, c.db) {
			log.Fatalf("-cases: %q is not a case on -db %s", name, c.db)
		}
		c.cases = append(c.cases, name)
	}
	for _, s := range strings.Split(chunks, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			log.Fatal(err)
		}
		c.chunks = append(c.chunks, n)
	}
	if err := run(c); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// caseDBs lists the cases and the databases each runs on; none listed:
// every one.
var caseDBs = map[string][]string{
	"library":      nil,
	"keyset-loop":  nil,
	"json-each":    {"sqlite"},
	"subquery":     nil,
	"any-array":    {"postgres"},
	"delete-limit": {"mysql"},
	"range":        {"mysql"},
	"last-key":     {"mysql"},
	"returning":    {"mysql"},
}

// result is one run of one case.
type result struct {
	d     time.Duration
	peak  uint64 // peak Go heap during the run, for the library
	waits []time.Duration
	// lockWaits counts the waits for a row lock during the run (MySQL).
	lockWaits int64
	maxStmt   int // most rows of the table one statement deleted
}

func run(c config) error {
	ctx := context.Background()
	db, cleanup, err := open(c)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Printf("# db=%s rows=%d matching=%.1f%% rounds=%d\n", c.db, c.rows, float64(cutoff)/10, c.rounds)
	if err := seed(ctx, db, c); err != nil {
		return err
	}
	want := int64(0)
	if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM purge_tpl WHERE day < %d", cutoff)).Scan(&want); err != nil {
		return err
	}
	catalog := typeddelete.NewCatalog()
	for _, chunk := range c.chunks {
		cases := slices.Clone(c.cases)
		if c.ptArchiver {
			cases = append(cases, "pt-archiver")
		}
		times := map[string][]result{}
		for round := range c.rounds {
			order := append(cases[round%len(cases):], cases[:round%len(cases)]...)
			for _, name := range order {
				if err := restore(ctx, db, c.db); err != nil {
					return err
				}
				r, err := runCase(ctx, db, c, name, chunk, catalog)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				var left, matching int64
				if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN day < "+strconv.Itoa(cutoff)+" THEN 1 ELSE 0 END), 0) FROM purge_events").Scan(&left, &matching); err != nil {
					return err
				}
				if matching != 0 || left != int64(c.rows)-want {
					return fmt.Errorf("%s left %d rows, %d matching; want %d, 0", name, left, matching, int64(c.rows)-want)
				}
				times[name] = append(times[name], r)
			}
		}
		report(c, chunk, want, cases, times)
	}
	return nil
}

// report prints the medians and the paired ratio of the library to the
// loop, for one chunk size.
func report(c config, chunk int, want int64, cases []string, times map[string][]result) {
	med := func(rs []result) time.Duration {
		ds := make([]time.Duration, len(rs))
		for i, r := range rs {
			ds[i] = r.d
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	// paired returns the median over rounds of the case's time over the
	// loop's in the same round, or 0 without the loop.
	paired := func(name string) float64 {
		loop := times["keyset-loop"]
		if len(loop) == 0 || len(loop) != len(times[name]) {
			return 0
		}
		var ratios []float64
		for i, r := range times[name] {
			ratios = append(ratios, r.d.Seconds()/loop[i].d.Seconds())
		}
		slices.Sort(ratios)
		return ratios[len(ratios)/2]
	}
	for _, name := range cases {
		m := med(times[name])
		line := fmt.Sprintf("db=%s chunk=%d case=%s median=%.3fs rows/s=%.0f", c.db, chunk, name, m.Seconds(), float64(want)/m.Seconds())
		if p := paired(name); p > 0 && name != "keyset-loop" {
			line += fmt.Sprintf(" paired=%.3f", p)
		}
		if name == "library" {
			var peak uint64
			most := 0
			for _, r := range times[name] {
				peak = max(peak, r.peak)
				most = max(most, r.maxStmt)
			}
			line += fmt.Sprintf(" peak_heap_mb=%.1f max_rows_per_stmt=%d", float64(peak)/(1<<20), most)
		}
		var waits []time.Duration
		var locks int64
		for _, r := range times[name] {
			waits = append(waits, r.waits...)
			locks += r.lockWaits
		}
		if len(waits) > 0 {
			slices.Sort(waits)
			line += fmt.Sprintf(" chunk=%s writer_p50=%s writer_p99=%s writer_max=%s",
				(m / time.Duration((want+int64(chunk)-1)/int64(chunk))).Round(time.Microsecond),
				waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1])
			if c.db == "mysql" {
				line += fmt.Sprintf(" row_lock_waits=%d", locks)
			}
		}
		fmt.Println(line)
	}
}

// open connects to the database; for SQLite, a new file.
func open(c config) (*sql.DB, func(), error) {
	switch c.db {
	case "sqlite":
		dir, err := os.MkdirTemp("", "typeddelete-purge-bench-")
		if err != nil {
			return nil, nil, err
		}
		db, err := sqlite.Open(filepath.Join(dir, "purge.db"))
		return db, func() { db.Close(); os.RemoveAll(dir) }, err
	case "postgres":
		db, err := sql.Open("pgx", c.dsn)
		return db, func() { db.Close() }, err
	case "mysql":
		db, err := sql.Open("mysql", c.dsn)
		return db, func() { db.Close() }, err
	}
	return nil, nil, fmt.Errorf("unknown -db %q", c.db)
}

// seed creates the template table purge_tpl with c.rows rows.
func seed(ctx context.Context, db *sql.DB, c config) error {
	for _, q := range []string{"DROP TABLE IF EXISTS purge_events", "DROP TABLE IF EXISTS purge_tpl",
		"CREATE TABLE purge_tpl (id BIGINT PRIMARY KEY, day INT NOT NULL, payload BIGINT NOT NULL)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if c.db == "mysql" {
		// MariaDB and MySQL name the limit of a recursive CTE differently.
		conn.ExecContext(ctx, "SET SESSION max_recursive_iterations = 1000000")
		conn.ExecContext(ctx, "SET SESSION cte_max_recursion_depth = 1000000")
	}
	const step = 100_000
	for lo := 1; lo <= c.rows; lo += step {
		hi := min(lo+step-1, c.rows)
		var q string
		switch c.db {
		case "postgres":
			q = fmt.Sprintf("INSERT INTO purge_tpl SELECT i, (i::bigint * 7919) %% 1000, i FROM generate_series(%d, %d) i", lo, hi)
		case "mysql":
			q = fmt.Sprintf(`INSERT INTO purge_tpl WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM c WHERE i < %d)
				SELECT i, (i * 7919) %% 1000, i FROM c`, lo, hi)
		default:
			q = fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM c WHERE i < %d)
				INSERT INTO purge_tpl SELECT i, (i * 7919) %% 1000, i FROM c`, lo, hi)
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
	}
	return nil
}

// restore makes purge_events a fresh copy of purge_tpl, with an index on
// day as a retention table would have.
func restore(ctx context.Context, db *sql.DB, kind string) error {
	qs := []string{"DROP TABLE IF EXISTS purge_events",
		"CREATE TABLE purge_events (id BIGINT PRIMARY KEY, day INT NOT NULL, payload BIGINT NOT NULL)"}
	if kind == "mysql" {
		// In ranges of ids, under TiDB's transaction size limit.
		var hi int64
		if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM purge_tpl").Scan(&hi); err != nil {
			return err
		}
		for lo := int64(0); lo < hi; lo += 100_000 {
			qs = append(qs, fmt.Sprintf("INSERT INTO purge_events SELECT * FROM purge_tpl WHERE id > %d AND id <= %d", lo, lo+100_000))
		}
	} else {
		qs = append(qs, "INSERT INTO purge_events SELECT * FROM purge_tpl")
	}
	qs = append(qs, "CREATE INDEX purge_events_day ON purge_events (day)")
	if kind == "postgres" {
		qs = append(qs, "VACUUM ANALYZE purge_events")
	}
	if kind == "mysql" {
		qs = append(qs, "ANALYZE TABLE purge_events")
	}
	for _, q := range qs {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// runCase runs one case and times it; a writer, when asked, updates rows
// the purge does not touch meanwhile.
func runCase(ctx context.Context, db *sql.DB, c config, name string, chunk int, catalog *typeddelete.Catalog) (result, error) {
	var r result
	stopWriter := func() {}
	if c.writer {
		stopWriter = writer(ctx, db, c, &r)
	}
	var stopHeap func() uint64
	if name == "library" {
		stopHeap = heapSampler()
	}
	locks := lockWaits(ctx, db, c.db)
	start := time.Now()
	var err error
	switch name {
	case "library":
		sess := typeddelete.NewSession(db, typeddelete.WithCatalog(catalog))
		day := typeddelete.Col(func(e *Event) *int { return &e.Day })
		_, err = typeddelete.Query[Event](sess).Filter(day.Lt(cutoff)).Purge(ctx, typeddelete.ChunkSize(chunk),
			typeddelete.OnChunk(func(p typeddelete.Progress) error {
				r.maxStmt = max(r.maxStmt, int(p.Rows))
				return nil
			}))
	case "keyset-loop", "json-each", "range":
		err = keysetLoop(ctx, db, c.db, chunk, name)
	case "last-key":
		err = lastKeyLoop(ctx, db, chunk)
	case "subquery", "any-array", "delete-limit", "returning":
		err = oneStatementLoop(ctx, db, c.db, name, chunk)
	case "pt-archiver":
		err = ptArchiver(ctx, c, chunk)
	}
	r.d = time.Since(start)
	if stopHeap != nil {
		r.peak = stopHeap()
	}
	stopWriter()
	r.lockWaits = lockWaits(ctx, db, c.db) - locks
	return r, err
}

// lockWaits returns how many times, so far, a statement of the server
// waited for a row lock (InnoDB's Innodb_row_lock_waits), on MySQL and
// MariaDB; 0 elsewhere.
func lockWaits(ctx context.Context, db *sql.DB, kind string) int64 {
	if kind != "mysql" {
		return 0
	}
	var name string
	var n int64
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'").Scan(&name, &n); err != nil {
		return 0
	}
	return n
}

// keysetLoop is the hand-written purge: per chunk, in one transaction,
// read the next keys in order with a lock, then delete them in the shape
// the library uses on the dialect; or, as shape says, in one statement
// that reads the keys from a JSON array (json-each, SQLite) or that deletes
// the key range the read covered (range, MySQL).
func keysetLoop(ctx context.Context, db *sql.DB, kind string, chunk int, shape string) error {
	var cursor int64
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		q := "SELECT id FROM purge_events WHERE day < ? AND id > ? ORDER BY id LIMIT ?"
		if kind != "sqlite" {
			q += " FOR UPDATE"
		}
		if kind == "postgres" {
			q = "SELECT id FROM purge_events WHERE day < $1 AND id > $2 ORDER BY id LIMIT $3 FOR UPDATE"
		}
		rows, err := tx.QueryContext(ctx, q, cutoff, cursor, chunk)
		if err != nil {
			tx.Rollback()
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				tx.Rollback()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return tx.Commit()
		}
		switch {
		case shape == "range":
			_, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id > ? AND id <= ? AND day < ?", cursor, ids[len(ids)-1], cutoff)
		case shape == "json-each":
			parts := make([]string, len(ids))
			for i, id := range ids {
				parts[i] = strconv.FormatInt(id, 10)
			}
			_, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id IN (SELECT value FROM json_each(?))", "["+strings.Join(parts, ",")+"]")
		case kind == "postgres":
			_, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id = ANY($1)", ids)
		case kind == "mysql":
			parts := make([]string, len(ids))
			for i, id := range ids {
				parts[i] = strconv.FormatInt(id, 10)
			}
			_, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id IN ("+strings.Join(parts, ",")+")")
		default:
			for lo := 0; lo < len(ids) && err == nil; lo += 500 {
				part := ids[lo:min(lo+500, len(ids))]
				args := make([]any, len(part))
				for i, id := range part {
					args[i] = id
				}
				_, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id IN (?"+strings.Repeat(",?", len(part)-1)+")", args...)
			}
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		cursor = ids[len(ids)-1]
	}
}

// lastKeyLoop purges with the last-key shape: per chunk, in a
// transaction, read and lock up to the chunk's last key, then delete the
// key range up to it; the final chunk, shorter, deletes what is left.
func lastKeyLoop(ctx context.Context, db *sql.DB, chunk int) error {
	var cursor int64
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var last int64
		err = tx.QueryRowContext(ctx, "SELECT id FROM purge_events WHERE day < ? AND id > ? ORDER BY id LIMIT 1 OFFSET ? FOR UPDATE", cutoff, cursor, chunk-1).Scan(&last)
		var res sql.Result
		switch err {
		case nil:
			res, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id > ? AND id <= ? AND day < ?", cursor, last, cutoff)
		case sql.ErrNoRows:
			res, err = tx.ExecContext(ctx, "DELETE FROM purge_events WHERE id > ? AND day < ? ORDER BY id LIMIT ?", cursor, cutoff, chunk)
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if last == 0 {
			if n == 0 {
				return nil
			}
			continue // the rest, in the next round, starts at cursor again
		}
		cursor = last
	}
}

// oneStatementLoop deletes each chunk with one statement, in autocommit,
// that picks the chunk's keys itself (see the command's documentation for
// the shapes), until a statement deletes nothing.
func oneStatementLoop(ctx context.Context, db *sql.DB, kind, name string, chunk int) error {
	var q string
	returning := true // the statement returns the keys deleted: a cursor
	switch kind + " " + name {
	case "sqlite subquery":
		q = "DELETE FROM purge_events WHERE id IN (SELECT id FROM purge_events WHERE day < ? AND id > ? ORDER BY id LIMIT ?) RETURNING id"
	case "postgres subquery":
		q = "DELETE FROM purge_events WHERE id IN (SELECT id FROM purge_events WHERE day < $1 AND id > $2 ORDER BY id LIMIT $3) RETURNING id"
	case "postgres any-array":
		q = "DELETE FROM purge_events WHERE id = ANY(ARRAY(SELECT id FROM purge_events WHERE day < $1 AND id > $2 ORDER BY id LIMIT $3)) RETURNING id"
	case "mysql subquery":
		q, returning = "DELETE FROM purge_events WHERE id IN (SELECT id FROM (SELECT id FROM purge_events WHERE day < ? ORDER BY id LIMIT ?) t)", false
	case "mysql returning":
		q = "DELETE FROM purge_events WHERE day < ? AND id > ? ORDER BY id LIMIT ? RETURNING id"
	case "mysql delete-limit":
		q, returning = "DELETE FROM purge_events WHERE day < ? ORDER BY id LIMIT ?", false
	default:
		return fmt.Errorf("no %s shape on %s", name, kind)
	}
	var cursor int64
	for {
		var n int64
		if returning {
			rows, err := db.QueryContext(ctx, q, cutoff, cursor, chunk)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				cursor = max(cursor, id)
				n++
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
		} else {
			res, err := db.ExecContext(ctx, q, cutoff, chunk)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
	}
}

// ptArchiver runs Percona's pt-archiver on the same table, WHERE and
// chunk size: --purge --commit-each --bulk-delete.
func ptArchiver(ctx context.Context, c config, chunk int) error {
	cfg, err := mysql.ParseDSN(c.dsn)
	if err != nil {
		return err
	}
	host, port, _ := strings.Cut(cfg.Addr, ":")
	src := fmt.Sprintf("h=%s,P=%s,u=%s,D=%s,t=purge_events", host, port, cfg.User, cfg.DBName)
	if cfg.Passwd != "" {
		src += ",p=" + cfg.Passwd
	}
	cmd := exec.CommandContext(ctx, "pt-archiver", "--source", src, "--purge", "--where", fmt.Sprintf("day < %d", cutoff),
		"--limit", strconv.Itoa(chunk), "--commit-each", "--bulk-delete", "--no-check-charset", "--primary-key-only")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// heapSampler samples the Go heap every 5 ms until stopped, and returns
// the peak.
func heapSampler() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// writer updates, one row per transaction, rows the purge keeps (day >=
// cutoff), spread over the whole key range so that some lie in every
// chunk's range, until stopped, recording how long each UPDATE took: the wait
// for a lock the purge holds shows there, while the COMMIT, whose flush
// to disk waits for the purge's commits but for none of its locks, is not
// timed.
func writer(ctx context.Context, db *sql.DB, c config, r *result) func() {
	var ids []int64
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT id FROM purge_tpl WHERE day >= %d AND id %% 97 = 0", cutoff))
	if err == nil {
		for rows.Next() {
			var id int64
			if rows.Scan(&id) == nil {
				ids = append(ids, id)
			}
		}
		rows.Close()
	}
	q := "UPDATE purge_events SET payload = payload + 1 WHERE id = ?"
	if c.db == "postgres" {
		q = "UPDATE purge_events SET payload = payload + 1 WHERE id = $1"
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				continue
			}
			start := time.Now()
			_, err = tx.ExecContext(ctx, q, ids[rand.IntN(len(ids))])
			d := time.Since(start)
			if err != nil || tx.Commit() != nil {
				tx.Rollback()
				continue
			}
			mu.Lock()
			r.waits = append(r.waits, d)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
	}
}
